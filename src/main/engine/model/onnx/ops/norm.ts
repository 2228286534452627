/**
 * BatchNormalization (inference: running statistics; training mode: batch statistics, and the running
 * ones updated in place with ONNX's momentum, i.e. PyTorch's 1 - momentum, using the unbiased batch
 * variance as PyTorch does) and LayerNormalization over the trailing axes.
 */
import * as tf from '@tensorflow/tfjs';
import { onnxShape } from '../layout.ts';
import { out, type OpCtx, type OpImpl } from '../op-context.ts';

function batchNorm(ctx: OpCtx) {
  const v = ctx.val(0);
  const nhwc = v.layout === 'nhwc';
  const rank = onnxShape(v).length;
  const x = nhwc ? v.t : ctx.onnx(0);
  // Per-channel parameters broadcast along the channel axis: last in NHWC, axis 1 in ONNX order.
  const channelShape = nhwc || rank <= 2 ? [-1] : [-1, ...new Array<number>(rank - 2).fill(1)];
  const [scale, bias, runMean, runVar] = [1, 2, 3, 4].map((i) => tf.reshape(ctx.onnx(i), channelShape));
  const eps = ctx.float('epsilon', 1e-5);
  if (!ctx.state.training) return out(tf.batchNorm(x, runMean, runVar, bias, scale, eps), v.layout);

  const axes = nhwc ? [0, 1, 2] : [...Array(rank).keys()].filter((a) => a !== 1);
  const { mean, variance } = tf.moments(x, axes, true);
  updateRunningStats(ctx, mean, variance, x.size / mean.size);
  // Plain ops rather than tf.batchNorm so the gradient also flows through the batch statistics.
  const y = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), scale), bias);
  return out(y, v.layout);
}

// A type guard rather than a bare instanceof, which would type the variable's rank (and shape) as any.
function isVariable(t: tf.Tensor): t is tf.Variable {
  return t instanceof tf.Variable;
}

function updateRunningStats(ctx: OpCtx, mean: tf.Tensor, variance: tf.Tensor, n: number): void {
  const [meanVar, varVar] = [ctx.val(3).t, ctx.val(4).t];
  if (!isVariable(meanVar) || !isVariable(varVar)) return; // statistics computed in-graph: nothing to keep
  const momentum = ctx.float('momentum', 0.9);
  const unbiased = n > 1 ? n / (n - 1) : 1;
  tf.tidy(() => {
    const m = tf.reshape(mean, meanVar.shape);
    const s = tf.reshape(tf.mul(variance, unbiased), varVar.shape);
    meanVar.assign(tf.add(tf.mul(meanVar, momentum), tf.mul(m, 1 - momentum)));
    varVar.assign(tf.add(tf.mul(varVar, momentum), tf.mul(s, 1 - momentum)));
  });
}

function layerNorm(ctx: OpCtx) {
  const x = ctx.onnx(0);
  const axis = ctx.axis(ctx.int('axis', -1), x.rank);
  const eps = ctx.float('epsilon', 1e-5);
  const axes = [...Array(x.rank - axis).keys()].map((i) => axis + i);
  const { mean, variance } = tf.moments(x, axes, true);
  let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  y = tf.mul(y, ctx.onnx(1));
  if (ctx.has(2)) y = tf.add(y, ctx.onnx(2));
  return out(y);
}

export const NORM_OPS: Record<string, OpImpl> = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
};
