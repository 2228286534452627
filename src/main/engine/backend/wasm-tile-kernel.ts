/**
 * Tile for tfjs's WASM backend as block copies on the WASM heap.
 *
 * Why: tfjs's batch-norm gradient tiles the per-channel scale to the activation's full shape
 * (tile([1,1,1,C] by [N,H,W,1])) on every backward pass through a BatchNormalization layer, and the
 * stock kernel (tfjs-wasm 4.22) computes every output element's source index one by one: it was 48% of
 * a training step of the small ResNet. Here the input is copied once into the first tile, then each
 * tiled axis, innermost first, is filled by doubling copies of the block already written
 * (`copyWithin`, a memmove), so the cost is the output's bytes plus O(log reps) calls per block.
 */
import type { KernelFunc, TensorInfo, TypedArray } from '@tensorflow/tfjs';
import { heapView, makeOutput, runStock, type WasmKernelArgs } from './wasm-kernel-utils.ts';

/** Fills out[base + len, base + len * reps) with copies of out[base, base + len). */
function repeatBlock(out: TypedArray, base: number, len: number, reps: number): void {
  const total = len * reps;
  for (let filled = len; filled < total; filled *= 2)
    out.copyWithin(base + filled, base, base + Math.min(filled, total - filled));
}

/**
 * Writes input sub-tensor at axis `d` (input offset `inOff`) into its first tile at output offset
 * `outOff`, then repeats that tile along axis d. Axes after `last` have reps 1 and are copied whole.
 */
function fill(
  src: TypedArray,
  out: TypedArray,
  d: number,
  inOff: number,
  outOff: number,
  g: { shape: number[]; reps: number[]; inStride: number[]; outStride: number[]; last: number },
): void {
  const n = g.shape[d];
  if (d === g.last) {
    const run = n * g.inStride[d];
    out.set(src.subarray(inOff, inOff + run), outOff);
  } else {
    for (let i = 0; i < n; i++) fill(src, out, d + 1, inOff + i * g.inStride[d], outOff + i * g.outStride[d], g);
  }
  if (g.reps[d] > 1) repeatBlock(out, outOff, n * g.outStride[d], g.reps[d]);
}

function tile({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const { x } = inputs;
  const reps = (attrs?.reps ?? []) as number[];
  if (x.dtype === 'string' || x.dtype === 'complex64' || reps.length !== x.shape.length)
    return runStock('Tile', backend, inputs, attrs); // its own checks and messages
  const shape = x.shape;
  const outShape = shape.map((s, i) => s * reps[i]);
  const out = makeOutput(backend, outShape, x.dtype);
  if (outShape.some((s) => s === 0)) return out;
  if (shape.length === 0) {
    heapView(backend, out).set(heapView(backend, x));
    return out;
  }
  const r = shape.length;
  const inStride = new Array<number>(r).fill(1);
  const outStride = new Array<number>(r).fill(1);
  for (let d = r - 2; d >= 0; d--) {
    inStride[d] = inStride[d + 1] * shape[d + 1];
    outStride[d] = outStride[d + 1] * outShape[d + 1];
  }
  let last = r - 1; // the innermost axis that is tiled; everything after it is one contiguous run
  while (last > 0 && reps[last] === 1) last--;
  fill(heapView(backend, x), heapView(backend, out), 0, 0, 0, { shape, reps, inStride, outStride, last });
  return out;
}

/** Registered by wasm-kernels.ts. */
export const TILE_KERNELS: Record<string, KernelFunc> = {
  Tile: tile as unknown as KernelFunc,
};
