/**
 * 2-D pooling gradients for tfjs's WASM backend, as loops over the tensors on the WASM heap (NHWC).
 *
 * Why MaxPoolGrad: the stock kernel (tfjs-wasm 4.22) is wrong and slow. Its running max starts at the
 * smallest *positive* float, so a window whose values are all <= 0 passes no gradient at all: every
 * model that pools before its ReLU (`relu(max_pool2d(conv(x)))`, common in PyTorch code) gets wrong
 * input gradients, hence wrong triggers and ablations. It is also a generic 3-D pooling loop at
 * 55-100 ns per element, ~40% of an inversion step. This one follows the `cpu` backend exactly: the
 * gradient goes to the first maximum of each window in row-major order (ties: first wins; a window of
 * NaN or -Infinity only passes none), padding never wins. Per channel, each window's max is
 * found in registers.
 *
 * Why AvgPoolGrad: the stock kernel costs ~9 ns per element, several times a plain loop, and like the
 * `cpu` one it divides by the full filter area even where 'same' padding cuts the window, while the
 * forward AvgPool divides by the pixels actually inside. This one is the exact adjoint of the forward
 * (divides by the in-bounds count), which equals tfjs's stock result for windows without padding.
 *
 * A MaxPool forward that records its argmax was considered and not done: the argmax scan here costs
 * about one pass over the input, like the forward itself, and tfjs gives a gradient no state from it.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { heapF32, makeOutput, type WasmKernelArgs } from './wasm-kernel-utils.ts';

interface PoolGeometry {
  n: number;
  h: number;
  w: number;
  c: number;
  outH: number;
  outW: number;
  strideH: number;
  strideW: number;
  filterH: number;
  filterW: number;
  padTop: number;
  padLeft: number;
}

function poolGeometry(input: TensorInfo, attrs: tf.NamedAttrMap): PoolGeometry {
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize as number | [number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as 'valid' | 'same' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    c: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    filterH: info.effectiveFilterHeight,
    filterW: info.effectiveFilterWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Visits every pooling window: batch b, the window's rows [y0, y1) and columns [x0, x1) clipped to
 * the input, and the offset of its output (dy) pixel. Both gradients walk the windows this way.
 */
function forEachWindow(
  g: PoolGeometry,
  visit: (b: number, y0: number, y1: number, x0: number, x1: number, dyOff: number) => void,
): void {
  let dyOff = 0;
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      const y0 = Math.max(0, oy * g.strideH - g.padTop);
      const y1 = Math.min(g.h, oy * g.strideH - g.padTop + g.filterH);
      for (let ox = 0; ox < g.outW; ox++, dyOff += g.c) {
        const x0 = Math.max(0, ox * g.strideW - g.padLeft);
        const x1 = Math.min(g.w, ox * g.strideW - g.padLeft + g.filterW);
        visit(b, y0, y1, x0, x1, dyOff);
      }
    }
  }
}

function maxPoolGrad({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const { dy, input } = inputs;
  const g = poolGeometry(input, attrs ?? {});
  const out = makeOutput(backend, input.shape, 'float32');
  const dx = heapF32(backend, out, 'MaxPoolGrad');
  const dyV = heapF32(backend, dy, 'MaxPoolGrad');
  const xV = heapF32(backend, input, 'MaxPoolGrad');
  dx.fill(0);
  const { c } = g;
  forEachWindow(g, (b, y0, y1, x0, x1, dyOff) => {
    // One channel at a time keeps the running max in registers (a window is a few cache lines).
    for (let ch = 0; ch < c; ch++) {
      let best = -Infinity;
      let where = -1;
      for (let y = y0; y < y1; y++) {
        let off = ((b * g.h + y) * g.w + x0) * c + ch;
        for (let x = x0; x < x1; x++, off += c) {
          const v = xV[off];
          if (v > best) {
            best = v;
            where = off;
          }
        }
      }
      if (where >= 0) dx[where] += dyV[dyOff + ch];
    }
  });
  return out;
}

function avgPoolGrad({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const { dy, input } = inputs;
  const g = poolGeometry(input, attrs ?? {});
  const out = makeOutput(backend, input.shape, 'float32');
  const dx = heapF32(backend, out, 'AvgPoolGrad');
  const dyV = heapF32(backend, dy, 'AvgPoolGrad');
  dx.fill(0);
  const { c } = g;
  forEachWindow(g, (b, y0, y1, x0, x1, dyOff) => {
    const count = (y1 - y0) * (x1 - x0);
    if (count <= 0) return;
    const scale = 1 / count;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const off = ((b * g.h + y) * g.w + x) * c;
        for (let ch = 0; ch < c; ch++) dx[off + ch] += dyV[dyOff + ch] * scale;
      }
    }
  });
  return out;
}

/** Registered by wasm-kernels.ts. */
export const POOL_KERNELS: Record<string, KernelFunc> = {
  MaxPoolGrad: maxPoolGrad as unknown as KernelFunc,
  AvgPoolGrad: avgPoolGrad as unknown as KernelFunc,
};
