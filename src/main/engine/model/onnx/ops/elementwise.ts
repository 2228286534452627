/**
 * Elementwise ops. They keep an NHWC activation NHWC: the other operand of a binary op is broadcast
 * into the same channels-last order instead of transposing the activation back.
 */
import * as tf from '@tensorflow/tfjs';
import { nhwcOperand, onnxTensor, type Val } from '../layout.ts';
import { out, type OpCtx, type OpImpl } from '../op-context.ts';

function isNhwc(v: Val | undefined): boolean {
  return v?.layout === 'nhwc';
}

/** Applies f to inputs in a common layout: NHWC when any operand is an NHWC activation. */
function broadcasting(f: (...ts: tf.Tensor[]) => tf.Tensor): OpImpl {
  return (ctx) => {
    const vals = Array.from({ length: ctx.count }, (_, i) => ctx.val(i));
    if (vals.some(isNhwc)) return out(f(...vals.map(nhwcOperand)), 'nhwc');
    return out(f(...vals.map(onnxTensor)));
  };
}

/** ONNX integer division truncates; tfjs's div on int32 tensors would not keep the type. */
function divide(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.dtype === 'int32' && b.dtype === 'int32') {
    return tf.tidy(() => tf.mul(tf.sign(tf.mul(a, b)), tf.floorDiv(tf.abs(a), tf.abs(b))));
  }
  return tf.div(a, b);
}

function where(c: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const shape = tf.broadcast_util.assertAndGetBroadcastShape(
    tf.broadcast_util.assertAndGetBroadcastShape(c.shape, a.shape),
    b.shape,
  );
  return tf.where(tf.broadcastTo(tf.cast(c, 'bool'), shape), tf.broadcastTo(a, shape), tf.broadcastTo(b, shape));
}

/** Elementwise unary op: layout-preserving. */
function unary(f: (t: tf.Tensor, ctx: OpCtx) => tf.Tensor): OpImpl {
  return (ctx) => {
    const v = ctx.val(0);
    return out(f(v.t, ctx), v.layout);
  };
}

const SQRT1_2 = Math.SQRT1_2;

function gelu(t: tf.Tensor, ctx: OpCtx): tf.Tensor {
  return tf.tidy(() => {
    if (ctx.str('approximate', 'none') === 'tanh') {
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(t, tf.mul(0.044715, tf.pow(t, 3))));
      return tf.mul(tf.mul(0.5, t), tf.add(1, tf.tanh(inner)));
    }
    return tf.mul(tf.mul(0.5, t), tf.add(1, tf.erf(tf.mul(t, SQRT1_2))));
  });
}

function clip(t: tf.Tensor, ctx: OpCtx): tf.Tensor {
  // Opset < 11 has min/max attributes; later ones take optional inputs.
  const lo = ctx.has(1) ? ctx.scalar(1) : ctx.float('min', -3.4028234663852886e38);
  const hi = ctx.has(2) ? ctx.scalar(2) : ctx.float('max', 3.4028234663852886e38);
  return tf.clipByValue(t, lo, hi);
}

const TF_DTYPE: Record<number, 'float32' | 'int32' | 'bool'> = {
  1: 'float32',
  10: 'float32',
  11: 'float32',
  9: 'bool',
  2: 'int32',
  3: 'int32',
  4: 'int32',
  5: 'int32',
  6: 'int32',
  7: 'int32',
  12: 'int32',
  13: 'int32',
};

function cast(ctx: OpCtx): Val {
  const v = ctx.val(0);
  const to = TF_DTYPE[ctx.int('to', 1)];
  if (!to) ctx.fail(`cast to element type ${ctx.int('to', 1)} is not supported`, 'UNSUPPORTED_MODEL');
  // ONNX truncates toward zero; spelled out so every backend agrees.
  const t =
    to === 'int32' && v.t.dtype === 'float32'
      ? tf.tidy(() => tf.cast(tf.mul(tf.sign(v.t), tf.floor(tf.abs(v.t))), 'int32'))
      : tf.cast(v.t, to);
  return out(t, v.layout);
}

/** Dropout is the identity at inference; in training mode an inverted-dropout mask from the seeded source. */
function dropout(ctx: OpCtx): Val[] {
  const v = ctx.val(0);
  const ratio = ctx.has(1) ? ctx.scalar(1) : ctx.float('ratio', 0.5);
  if (!ctx.state.training || ratio <= 0) return [v, out(tf.onesLike(v.t).cast('bool'), v.layout)];
  const seed = Math.floor(ctx.state.rand() * 2 ** 31);
  const keep = tf.tidy(() => tf.less(tf.randomUniform(v.t.shape, 0, 1, 'float32', seed), 1 - ratio));
  const y = tf.div(tf.mul(v.t, tf.cast(keep, 'float32')), 1 - ratio);
  return [out(y, v.layout), out(keep, v.layout)];
}

function softmaxLike(f: (t: tf.Tensor) => tf.Tensor): OpImpl {
  return (ctx) => {
    const x = ctx.onnx(0);
    const rank = x.rank;
    if (ctx.opset >= 13) {
      const axis = ctx.axis(ctx.int('axis', -1), rank);
      if (axis === rank - 1) return out(f(x));
      const perm = [...Array(rank).keys()];
      [perm[axis], perm[rank - 1]] = [perm[rank - 1], perm[axis]];
      return out(tf.transpose(f(tf.transpose(x, perm)), perm));
    }
    // Before opset 13 the input is coerced to 2-D at `axis` (default 1) and normalised per row.
    const axis = ctx.axis(ctx.int('axis', 1), rank);
    const rows = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    return out(tf.reshape(f(tf.reshape(x, [rows, -1])), x.shape));
  };
}

export const ELEMENTWISE_OPS: Record<string, OpImpl> = {
  Add: broadcasting(tf.add),
  Sub: broadcasting(tf.sub),
  Mul: broadcasting(tf.mul),
  Div: broadcasting(divide),
  Pow: broadcasting((a, b) => tf.pow(a, b)),
  Equal: broadcasting(tf.equal),
  Less: broadcasting(tf.less),
  Greater: broadcasting(tf.greater),
  Max: broadcasting((...ts) => ts.reduce((a, b) => tf.maximum(a, b))),
  Min: broadcasting((...ts) => ts.reduce((a, b) => tf.minimum(a, b))),
  Where: broadcasting(where),
  Relu: unary((t) => tf.relu(t)),
  LeakyRelu: unary((t, ctx) => tf.leakyRelu(t, ctx.float('alpha', 0.01))),
  Sigmoid: unary((t) => tf.sigmoid(t)),
  Tanh: unary((t) => tf.tanh(t)),
  Erf: unary((t) => tf.erf(t)),
  Gelu: unary(gelu),
  Sqrt: unary((t) => tf.sqrt(t)),
  Exp: unary((t) => tf.exp(t)),
  Log: unary((t) => tf.log(t)),
  Neg: unary((t) => tf.neg(t)),
  Abs: unary((t) => tf.abs(t)),
  Reciprocal: unary((t) => tf.reciprocal(t)),
  Clip: unary(clip),
  Not: unary((t) => tf.logicalNot(tf.cast(t, 'bool'))),
  Identity: (ctx) => ctx.val(0),
  Cast: cast,
  Dropout: dropout,
  Softmax: softmaxLike((t) => tf.softmax(t)),
  LogSoftmax: softmaxLike((t) => tf.logSoftmax(t)),
};
