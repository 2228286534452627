/**
 * BatchMatMul for tfjs's WASM backend that always takes the stock kernel's fast (XNNPACK) path.
 *
 * Why: the stock kernel (tfjs-wasm 4.22) is fast only for one untransposed pair of matrices. With a
 * transposed operand, or a batch of matrices, it falls back to a naive loop (~0.8-1 GFLOP/s against
 * 4-10 on the fast path). Every backward pass through a dense layer multiplies by a transposed operand
 * (dA = dY B^T, dB = A^T dY), and the ONNX importer's Gemm (PyTorch's Linear exports transB = 1) takes
 * the slow path even in the forward pass. Here transposed operands are transposed explicitly first (an
 * O(n^2) copy before an O(n^3) product); a batch against one shared right-hand matrix is folded into
 * the rows of a single product; other batches run one fast product per matrix, copied on the heap.
 * Shapes the stock kernel broadcasts in other ways go to it unchanged (after the transposes).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { type BackendWasm, heapView, makeOutput, runStock, type WasmKernelArgs } from './wasm-kernel-utils.ts';

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

/** Swaps the last two axes with the (stock) Transpose kernel. */
function transposeLast2(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.getKernel('Transpose', 'wasm').kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
}

/** The same data seen with another shape (kernels read a tensor through its dataId only). */
const as = (t: TensorInfo, shape: number[]): TensorInfo => ({ dataId: t.dataId, dtype: t.dtype, shape });

/** Copies rows [from, from + count) of a flat tensor into a new tensor of the given shape. */
function copyPart(backend: BackendWasm, src: TensorInfo, from: number, shape: number[]): TensorInfo {
  const part = makeOutput(backend, shape, src.dtype);
  const n = size(shape);
  heapView(backend, part).set(heapView(backend, src).subarray(from, from + n));
  return part;
}

/** One fast product per matrix of a batch (a or b may be a single matrix shared by all). */
function perMatrix(backend: BackendWasm, a: TensorInfo, b: TensorInfo, batch: number, outShape: number[]): TensorInfo {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  const aShared = size(a.shape.slice(0, -2)) === 1;
  const bShared = size(b.shape.slice(0, -2)) === 1;
  const out = makeOutput(backend, outShape, 'float32');
  for (let i = 0; i < batch; i++) {
    const ai = aShared ? as(a, [m, k]) : copyPart(backend, a, i * m * k, [m, k]);
    const bi = bShared ? as(b, [k, n]) : copyPart(backend, b, i * k * n, [k, n]);
    const yi = runStock('BatchMatMul', backend, { a: ai, b: bi }, { transposeA: false, transposeB: false });
    heapView(backend, out).set(heapView(backend, yi), i * m * n);
    if (!aShared) backend.disposeData(ai.dataId);
    if (!bShared) backend.disposeData(bi.dataId);
    backend.disposeData(yi.dataId);
  }
  return out;
}

function batchMatMul({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const { transposeA = false, transposeB = false } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  if (
    inputs.a.dtype !== 'float32' ||
    inputs.b.dtype !== 'float32' ||
    inputs.a.shape.length < 2 ||
    inputs.b.shape.length < 2
  ) {
    return runStock('BatchMatMul', backend, inputs, attrs);
  }
  const a = transposeA ? transposeLast2(backend, inputs.a) : inputs.a;
  const b = transposeB ? transposeLast2(backend, inputs.b) : inputs.b;
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batch = size(outer);
  const outShape = [...outer, m, n];
  let out: TensorInfo;
  if (b.shape[b.shape.length - 2] !== k) {
    out = runStock('BatchMatMul', backend, { a, b }, {}); // the stock kernel names the shape mismatch
  } else if (batch === 1 || size(outerB) === 1) {
    // One product: a batch of left matrices against one right matrix is a taller left matrix.
    out = runStock('BatchMatMul', backend, { a: as(a, [size(outerA) * m, k]), b: as(b, [k, n]) }, {});
    out.shape = outShape;
  } else if (size(outerA) === 1 || size(outerA) === size(outerB)) {
    out = perMatrix(backend, a, b, batch, outShape);
  } else {
    out = runStock('BatchMatMul', backend, { a, b }, {});
  }
  if (a !== inputs.a) backend.disposeData(a.dataId);
  if (b !== inputs.b) backend.disposeData(b.dataId);
  return out;
}

/** Registered by wasm-kernels.ts. */
export const MATMUL_KERNELS: Record<string, KernelFunc> = {
  BatchMatMul: batchMatMul as unknown as KernelFunc,
};
