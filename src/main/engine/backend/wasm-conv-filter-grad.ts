/**
 * Conv2DBackpropFilter for tfjs's WASM backend as one matrix product (im2col, transposed).
 *
 * Why: the WASM backend ships no Conv2DBackpropFilter. Computing it as a convolution of the input
 * with dy as the filter (the formulation the depthwise kernels in wasm-grad-kernels.ts use) hands
 * XNNPACK a filter as large as the image and, for an RGB first layer, a 3-image "batch": 3.6x slower
 * than this product there, and no faster on wider layers (bench/results/kernels.json). As a product,
 *   dW[i, j, ci, :] = sum_k A[(i, j, ci), k] dy[k, :],
 *   A[(i, j, ci), (n, y, x)] = xpad[n, y*sh + i*dh, x*sw + j*dw, ci]  (zero outside the image),
 * A [fh*fw*Cin, K] times dy [K, Cout] is dW in its own layout. dy is the right-hand operand, which
 * XNNPACK packs, so it is packed once; A is built on the heap from the input transposed channel-major
 * once, so each of its rows copies contiguous input rows. K = N*Ho*Wo is cut into chunks of whole
 * samples so A stays under CHUNK_VALUES; chunk products are summed.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { heapF32, makeOutput, pair, type Pair, runStock, type WasmKernelArgs } from './wasm-kernel-utils.ts';

/** Most values of A built at once (16 MiB of float32); a larger K is cut into chunks of samples. */
const CHUNK_VALUES = 1 << 22;

interface Geometry {
  h: number;
  w: number;
  cin: number;
  fh: number;
  fw: number;
  ho: number;
  wo: number;
  stride: Pair;
  dilation: Pair;
  padTop: number;
  padLeft: number;
}

/**
 * Writes A's columns for samples [n0, n0 + count) into `a` ([fh*fw*Cin, count*Ho*Wo]) from the input
 * laid out channel-major (`xc`, [Cin, N, H, W]), so each output row reads one contiguous input row.
 */
function buildA(xc: Float32Array, a: Float32Array, n: number, n0: number, count: number, g: Geometry): void {
  const { h, w, cin, fh, fw, ho, wo, stride, dilation, padTop, padLeft } = g;
  const [sh, sw] = stride;
  const kc = count * ho * wo;
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const col0 = j * dilation[1] - padLeft;
      // output columns whose input column lies inside the image
      const xFirst = Math.min(wo, Math.max(0, Math.ceil(-col0 / sw)));
      const xEnd = Math.max(xFirst, Math.min(wo, Math.floor((w - 1 - col0) / sw) + 1));
      for (let ci = 0; ci < cin; ci++) {
        let o = ((i * fw + j) * cin + ci) * kc;
        for (let b = n0; b < n0 + count; b++) {
          const plane = (ci * n + b) * h;
          for (let y = 0; y < ho; y++, o += wo) {
            const r = y * sh + i * dilation[0] - padTop;
            if (r < 0 || r >= h) {
              a.fill(0, o, o + wo);
              continue;
            }
            for (let xo = 0; xo < xFirst; xo++) a[o + xo] = 0;
            for (let xo = xEnd; xo < wo; xo++) a[o + xo] = 0;
            let from = (plane + r) * w + col0 + xFirst * sw;
            for (let xo = xFirst; xo < xEnd; xo++, from += sw) a[o + xo] = xc[from];
          }
        }
      }
    }
  }
}

function conv2dBackpropFilter({ inputs, backend, attrs = {} }: WasmKernelArgs): TensorInfo {
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as [number, number, number, number];
  const [fh, fw, cin, cout] = filterShape;
  const [n, h, w] = x.shape;
  const stride = pair(attrs.strides);
  const dilation = pair(attrs.dilations);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    stride,
    dilation,
    attrs.pad as 'valid' | 'same' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  const g: Geometry = {
    h,
    w,
    cin,
    fh,
    fw,
    ho: info.outHeight,
    wo: info.outWidth,
    stride,
    dilation,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
  const rows = fh * fw * cin;
  const perSample = g.ho * g.wo;
  const samplesPerChunk = Math.max(1, Math.min(n, Math.floor(CHUNK_VALUES / (rows * perSample))));
  const out = makeOutput(backend, [rows, cout], 'float32');
  heapF32(backend, out, 'Conv2DBackpropFilter').fill(0);
  const transpose = tf.getKernel('Transpose', 'wasm').kernelFunc;
  const xc = transpose({ inputs: { x }, backend, attrs: { perm: [3, 0, 1, 2] } }) as TensorInfo;
  for (let n0 = 0; n0 < n; n0 += samplesPerChunk) {
    const count = Math.min(samplesPerChunk, n - n0);
    const kc = count * perSample;
    const a = makeOutput(backend, [rows, kc], 'float32');
    // dy's rows for these samples; the whole of dy when there is one chunk (packed once by XNNPACK)
    const b = count === n ? { ...dy, shape: [kc, cout] } : makeOutput(backend, [kc, cout], 'float32');
    if (b.dataId !== dy.dataId)
      heapF32(backend, b, 'Conv2DBackpropFilter').set(
        heapF32(backend, dy, 'Conv2DBackpropFilter').subarray(n0 * perSample * cout, (n0 + count) * perSample * cout),
      );
    buildA(heapF32(backend, xc, 'Conv2DBackpropFilter'), heapF32(backend, a, 'Conv2DBackpropFilter'), n, n0, count, g);
    // the stock kernel directly: an untransposed pair is its fast path already
    const prod = runStock('BatchMatMul', backend, { a, b }, { transposeA: false, transposeB: false });
    const sum = heapF32(backend, out, 'Conv2DBackpropFilter');
    const part = heapF32(backend, prod, 'Conv2DBackpropFilter');
    for (let v = 0; v < part.length; v++) sum[v] += part[v];
    backend.disposeData(prod.dataId);
    backend.disposeData(a.dataId);
    if (b.dataId !== dy.dataId) backend.disposeData(b.dataId);
  }
  backend.disposeData(xc.dataId);
  return { ...out, shape: filterShape };
}

/** Registered by wasm-kernels.ts. */
export const CONV_FILTER_GRAD_KERNELS: Record<string, KernelFunc> = {
  Conv2DBackpropFilter: conv2dBackpropFilter as unknown as KernelFunc,
};
