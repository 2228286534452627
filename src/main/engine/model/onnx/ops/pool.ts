/**
 * Pooling on NHWC activations. ONNX padding and ceil_mode are realised by padding explicitly and
 * pooling 'valid': max pads with -Infinity; average divides by the pooled fraction of a mask that is 1
 * on real pixels (and on explicit pads when count_include_pad=1), which reproduces PyTorch's divisors
 * for every combination without relying on a backend's own padding convention.
 */
import * as tf from '@tensorflow/tfjs';
import { nhwcTensor, onnxShape, type Val } from '../layout.ts';
import { out, type OpImpl } from '../op-context.ts';
import { checkWindow, pair, spatialPads } from './conv.ts';

/** Extra bottom/right padding that turns floor-mode output sizes into ceil-mode ones (PyTorch rule). */
function ceilExtra(size: number, before: number, after: number, k: number, s: number): number {
  const padded = size + before + after;
  let outSize = Math.ceil((padded - k) / s) + 1;
  if ((outSize - 1) * s >= size + before) outSize--; // the last window must start inside the input or left pad
  return Math.max(0, (outSize - 1) * s + k - padded);
}

function pool(kind: 'max' | 'avg'): OpImpl {
  return (ctx) => {
    const v = ctx.val(0);
    if (onnxShape(v).length !== 4) ctx.fail('only 2-D pooling is supported', 'UNSUPPORTED_MODEL');
    const kernel = pair(ctx, 'kernel_shape');
    const strides = pair(ctx, 'strides');
    const dilations = pair(ctx, 'dilations');
    if (dilations[0] > 1 || dilations[1] > 1) ctx.fail('dilated pooling is not supported', 'UNSUPPORTED_MODEL');
    const x = nhwcTensor(v);
    const [, h, w] = x.shape;
    const onnxPads = spatialPads(ctx, [h, w], kernel, strides, dilations);
    checkWindow(ctx, [h, w], kernel, strides, dilations, onnxPads, true);
    const [t, l, b, r] = onnxPads;
    const ceil = ctx.int('ceil_mode', 0) === 1;
    const eb = ceil ? ceilExtra(h, t, b, kernel[0], strides[0]) : 0;
    const er = ceil ? ceilExtra(w, l, r, kernel[1], strides[1]) : 0;
    const pads: [number, number][] = [
      [0, 0],
      [t, b + eb],
      [l, r + er],
      [0, 0],
    ];
    const padded = t + b + eb + l + r + er > 0;
    if (kind === 'max') {
      return out(tf.maxPool(padded ? tf.pad(x, pads, -Infinity) : x, kernel, strides, 'valid'), 'nhwc');
    }
    const sum = tf.avgPool(padded ? tf.pad(x, pads) : x, kernel, strides, 'valid');
    if (!padded) return out(sum, 'nhwc');
    const includePad = ctx.int('count_include_pad', 0) === 1 ? 1 : 0;
    const mask = tf.tidy(() => {
      const explicitPads = tf.pad(
        tf.ones([1, h, w, 1]),
        [
          [0, 0],
          [t, b],
          [l, r],
          [0, 0],
        ],
        includePad,
      );
      return tf.avgPool(
        tf.pad(explicitPads, [
          [0, 0],
          [0, eb],
          [0, er],
          [0, 0],
        ]) as tf.Tensor4D,
        kernel,
        strides,
        'valid',
      );
    });
    return out(tf.div(sum, mask), 'nhwc');
  };
}

function globalPool(reduce: (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor): OpImpl {
  return (ctx) => {
    const v: Val = ctx.val(0);
    if (onnxShape(v).length !== 4) ctx.fail('only 2-D global pooling is supported', 'UNSUPPORTED_MODEL');
    return out(reduce(nhwcTensor(v), [1, 2], true), 'nhwc');
  };
}

export const POOL_OPS: Record<string, OpImpl> = {
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalPool((x, a, k) => tf.mean(x, a, k)),
  GlobalMaxPool: globalPool((x, a, k) => tf.max(x, a, k)),
};
