/** Matrix products and reductions, in ONNX axis order (reductions keep an NHWC input NHWC). */
import * as tf from '@tensorflow/tfjs';
import { NHWC_AXIS } from '../layout.ts';
import { out, type OpCtx, type OpImpl } from '../op-context.ts';

function matMul(ctx: OpCtx) {
  const a = ctx.onnx(0);
  const b = ctx.onnx(1);
  if (a.rank >= 2 && b.rank === 2) {
    // [..., K] x [K, M]: one 2-D product (a Linear layer on tokens) instead of a broadcast batch matmul.
    const lead = a.shape.slice(0, -1);
    const y = tf.matMul(tf.reshape<tf.Rank.R2>(a, [-1, a.shape[a.rank - 1]]), b);
    return out(tf.reshape(y, [...lead, b.shape[1] as number]));
  }
  if (a.rank < 2 || b.rank < 2) ctx.fail('MatMul on 1-D operands is not supported', 'UNSUPPORTED_MODEL');
  return out(tf.matMul(a, b));
}

function gemm(ctx: OpCtx) {
  const a = ctx.onnx(0);
  const b = ctx.onnx(1);
  if (a.rank !== 2 || b.rank !== 2) ctx.fail(`Gemm needs 2-D operands, got ranks ${a.rank} and ${b.rank}`);
  const alpha = ctx.float('alpha', 1);
  const beta = ctx.float('beta', 1);
  let y = tf.matMul(a, b, ctx.int('transA', 0) === 1, ctx.int('transB', 0) === 1);
  if (alpha !== 1) y = tf.mul(y, alpha);
  if (ctx.has(2)) y = tf.add(y, beta === 1 ? ctx.onnx(2) : tf.mul(ctx.onnx(2), beta));
  return out(y);
}

function reduce(f: (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor, axesAsInputFrom: number): OpImpl {
  return (ctx) => {
    const v = ctx.val(0);
    const rank = ctx.shape(0).length;
    const given = ctx.opset >= axesAsInputFrom ? (ctx.has(1) ? ctx.ints(1) : undefined) : ctx.intList('axes');
    if ((!given || given.length === 0) && ctx.int('noop_with_empty_axes', 0) === 1) return v;
    const axes = (given && given.length > 0 ? given : [...Array(rank).keys()]).map((a) => ctx.axis(a, rank));
    const keep = ctx.int('keepdims', 1) === 1;
    if (v.layout === 'nhwc' && keep)
      return out(
        f(
          v.t,
          axes.map((a) => NHWC_AXIS[a]),
          true,
        ),
        'nhwc',
      );
    return out(f(ctx.onnx(0), axes, keep));
  };
}

export const LINALG_OPS: Record<string, OpImpl> = {
  MatMul: matMul,
  Gemm: gemm,
  // ReduceSum took its axes as an input from opset 13, the others from opset 18.
  ReduceSum: reduce((x, a, k) => tf.sum(x, a, k), 13),
  ReduceMean: reduce((x, a, k) => tf.mean(x, a, k), 18),
  ReduceMax: reduce((x, a, k) => tf.max(x, a, k), 18),
  ReduceMin: reduce((x, a, k) => tf.min(x, a, k), 18),
};
