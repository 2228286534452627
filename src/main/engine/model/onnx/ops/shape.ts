/**
 * Shape and data-movement ops, including the Shape/Gather/Unsqueeze/Concat arithmetic that
 * torch.onnx.export emits for view()/reshape()/expand(). Ops whose meaning depends on axis order work
 * in ONNX order, except Concat/Transpose/Pad, which map their axes onto an NHWC input instead of
 * transposing it back.
 */
import * as tf from '@tensorflow/tfjs';
import { NCHW_TO_NHWC, NHWC_AXIS, NHWC_TO_NCHW, onnxShape, type Val } from '../layout.ts';
import { out, type OpCtx, type OpImpl } from '../op-context.ts';
import type { OnnxTensor } from '../proto.ts';

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

export function tensorOf(c: OnnxTensor): tf.Tensor {
  return tf.tensor(c.data, c.dims, c.dtype);
}

/** Opset 13 moved axes (and split sizes) from attributes to inputs. */
function axesOf(ctx: OpCtx, input: number): number[] | undefined {
  if (ctx.has(input)) return ctx.ints(input);
  return ctx.intList('axes');
}

function shapeOp(ctx: OpCtx): Val {
  const s = ctx.shape(0);
  const norm = (a: number) => Math.min(s.length, Math.max(0, a < 0 ? a + s.length : a));
  const dims = s.slice(norm(ctx.int('start', 0)), norm(ctx.int('end', s.length)));
  return out(tf.tensor1d(dims, 'int32'));
}

/** Gather with constant indices. Dynamic data is sliced rather than gathered: slice gradients exist on every backend. */
function gather(ctx: OpCtx): Val {
  const x = ctx.onnx(0);
  const axis = ctx.axis(ctx.int('axis', 0), x.rank);
  const idxShape = ctx.shape(1);
  const idx = ctx.ints(1).map((i) => (i < 0 ? i + x.shape[axis] : i));
  if (idx.some((i) => i < 0 || i >= x.shape[axis]))
    ctx.fail(`index out of range for axis ${axis} of size ${x.shape[axis]}`);
  const outShape = [...x.shape.slice(0, axis), ...idxShape, ...x.shape.slice(axis + 1)];
  if (ctx.val(0).isStatic) return out(tf.reshape(tf.gather(x, tf.tensor1d(idx, 'int32'), axis), outShape));
  const pieces = idx.map((i) => {
    const begin = x.shape.map((_, a) => (a === axis ? i : 0));
    const size = x.shape.map((d, a) => (a === axis ? 1 : d));
    return tf.slice(x, begin, size);
  });
  return out(tf.reshape(pieces.length === 1 ? pieces[0] : tf.concat(pieces, axis), outShape));
}

function unsqueeze(ctx: OpCtx): Val {
  const s = ctx.shape(0);
  const axes = axesOf(ctx, 1) ?? ctx.fail('no axes');
  const rank = s.length + axes.length;
  const norm = axes.map((a) => ctx.axis(a, rank)).sort((a, b) => a - b);
  const shape = [...s];
  for (const a of norm) shape.splice(a, 0, 1);
  return out(tf.reshape(ctx.onnx(0), shape));
}

function squeeze(ctx: OpCtx): Val {
  const s = ctx.shape(0);
  const axes = axesOf(ctx, 1)?.map((a) => ctx.axis(a, s.length));
  const shape = s.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
  return out(tf.reshape(ctx.onnx(0), shape));
}

function slice(ctx: OpCtx): Val {
  const x = ctx.onnx(0);
  const legacy = ctx.opset < 10;
  const starts = legacy ? (ctx.intList('starts') ?? []) : ctx.ints(1);
  const ends = legacy ? (ctx.intList('ends') ?? []) : ctx.ints(2);
  const axes = (legacy ? ctx.intList('axes') : ctx.has(3) ? ctx.ints(3) : undefined) ?? starts.map((_, i) => i);
  const steps = !legacy && ctx.has(4) ? ctx.ints(4) : starts.map(() => 1);
  const begin = x.shape.map(() => 0);
  const end = [...x.shape];
  const strides = x.shape.map(() => 1);
  const reversed: number[] = [];
  axes.forEach((a0, i) => {
    const a = ctx.axis(a0, x.rank);
    const d = x.shape[a];
    const step = steps[i];
    if (step === 0) ctx.fail('Slice step 0');
    const norm = (v: number) => (v < 0 ? v + d : v);
    if (step > 0) {
      begin[a] = Math.min(d, Math.max(0, norm(starts[i])));
      end[a] = Math.max(begin[a], Math.min(d, Math.max(0, norm(ends[i]))));
    } else {
      // A negative step walks the axis backwards: slice the reversed axis forwards instead
      // (torch exports F.pad's reversed pad list this way).
      const s = Math.min(d - 1, Math.max(-1, norm(starts[i])));
      const e = Math.min(d - 1, Math.max(-1, norm(ends[i])));
      reversed.push(a);
      begin[a] = d - 1 - s;
      end[a] = Math.max(begin[a], d - 1 - e);
    }
    strides[a] = Math.abs(step);
  });
  const src = reversed.length > 0 ? tf.reverse(x, reversed) : x;
  if (strides.every((s) => s === 1))
    return out(
      tf.slice(
        src,
        begin,
        end.map((e, a) => e - begin[a]),
      ),
    );
  return out(tf.stridedSlice(src, begin, end, strides));
}

function concat(ctx: OpCtx): Val {
  const vals = Array.from({ length: ctx.count }, (_, i) => ctx.val(i));
  const rank = onnxShape(vals[0]).length;
  const axis = ctx.axis(ctx.int('axis', 0), rank);
  if (vals.every((v) => v.layout === 'nhwc'))
    return out(
      tf.concat(
        vals.map((v) => v.t),
        NHWC_AXIS[axis],
      ),
      'nhwc',
    );
  return out(
    tf.concat(
      vals.map((_, i) => ctx.onnx(i)),
      axis,
    ),
  );
}

function reshape(ctx: OpCtx): Val {
  const x = ctx.onnx(0);
  const target = ctx.ints(1);
  const allowZero = ctx.int('allowzero', 0) === 1;
  const shape = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
  // A model exported without a dynamic batch axis bakes its export batch into view(x.size(0), -1).
  const { batch, exportBatch } = ctx.state;
  if (exportBatch !== undefined && batch !== exportBatch && shape[0] === exportBatch && x.shape[0] === batch)
    shape[0] = batch;
  const known = prod(shape.filter((d) => d !== -1));
  if (shape.includes(-1) ? x.size % known !== 0 : known !== x.size) {
    ctx.fail(`cannot reshape [${x.shape.join(', ')}] to [${target.join(', ')}]`);
  }
  return out(tf.reshape(x, shape));
}

function flatten(ctx: OpCtx): Val {
  const x = ctx.onnx(0);
  const axis = ctx.int('axis', 1);
  const a = axis < 0 ? axis + x.rank : axis;
  return out(tf.reshape(x, [prod(x.shape.slice(0, a)), prod(x.shape.slice(a))]));
}

function transpose(ctx: OpCtx): Val {
  const v = ctx.val(0);
  const rank = onnxShape(v).length;
  const perm = ctx.intList('perm') ?? [...Array(rank).keys()].reverse();
  // Composing with NHWC->NCHW turns "transpose back, then transpose" into a single transpose.
  if (v.layout === 'nhwc')
    return out(
      tf.transpose(
        v.t,
        perm.map((p) => NHWC_TO_NCHW[p]),
      ),
    );
  return out(tf.transpose(ctx.onnx(0), perm));
}

function expand(ctx: OpCtx): Val {
  const x = ctx.onnx(0);
  const shape = ctx.checkSize(tf.broadcast_util.assertAndGetBroadcastShape(x.shape, ctx.ints(1)));
  return out(tf.broadcastTo(x, shape));
}

function constantOfShape(ctx: OpCtx): Val {
  const v = ctx.tensorAttr('value');
  const shape = ctx.checkSize(ctx.has(0) ? ctx.ints(0) : []);
  return out(tf.fill(shape, v ? v.data[0] : 0, v?.dtype ?? 'float32'));
}

function constant(ctx: OpCtx): Val {
  const t = ctx.tensorAttr('value');
  if (t) return out(tensorOf(t));
  const f = ctx.attr('value_float') ?? ctx.attr('value_floats');
  if (f !== undefined) return out(tf.tensor(f as number | number[], undefined, 'float32'));
  const i = ctx.attr('value_int') ?? ctx.attr('value_ints');
  if (i !== undefined) return out(tf.tensor(i as number | number[], undefined, 'int32'));
  return ctx.fail(
    'Constant without a tensor, float or int value (sparse constants are not supported)',
    'UNSUPPORTED_MODEL',
  );
}

function split(ctx: OpCtx): Val[] {
  const x = ctx.onnx(0);
  const axis = ctx.axis(ctx.int('axis', 0), x.rank);
  const n = ctx.node.outputs.length;
  const sizes = (ctx.has(1) ? ctx.ints(1) : ctx.intList('split')) ?? Array(n).fill(x.shape[axis] / n);
  if (sizes.some((s) => !Number.isInteger(s)))
    ctx.fail(`axis of size ${x.shape[axis]} does not split into ${n} equal parts`);
  return tf.split(x, sizes, axis).map((t) => out(t));
}

function pad(ctx: OpCtx): Val {
  const v = ctx.val(0);
  const pads = ctx.opset >= 11 ? ctx.ints(1) : (ctx.intList('pads') ?? []);
  const value = ctx.opset >= 11 ? (ctx.has(2) ? ctx.scalar(2) : 0) : ctx.float('value', 0);
  const mode = ctx.str('mode', 'constant');
  const rank = onnxShape(v).length;
  if (pads.some((p) => p < 0)) ctx.fail('negative pads (cropping) are not supported', 'UNSUPPORTED_MODEL');
  const pairs: [number, number][] = Array.from({ length: rank }, (_, a) => [pads[a], pads[a + rank]]);
  ctx.checkSize(onnxShape(v).map((d, a) => d + pairs[a][0] + pairs[a][1]));
  const nhwc = v.layout === 'nhwc';
  const order = nhwc ? NCHW_TO_NHWC.map((a) => pairs[a]) : pairs;
  const x = nhwc ? v.t : ctx.onnx(0);
  let y: tf.Tensor;
  if (mode === 'constant') y = tf.pad(x, order, value);
  else if (mode === 'reflect') y = tf.mirrorPad(x, order, 'reflect');
  else return ctx.fail(`Pad mode '${mode}' is not supported`, 'UNSUPPORTED_MODEL');
  return out(y, nhwc ? 'nhwc' : 'onnx');
}

function range(ctx: OpCtx): Val {
  const [start, limit, delta] = [0, 1, 2].map((i) => ctx.scalar(i));
  ctx.checkSize([Math.max(0, Math.ceil((limit - start) / delta))]);
  return out(tf.range(start, limit, delta, ctx.val(0).t.dtype === 'int32' ? 'int32' : 'float32'));
}

export const SHAPE_OPS: Record<string, OpImpl> = {
  Shape: shapeOp,
  Gather: gather,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Slice: slice,
  Concat: concat,
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Expand: expand,
  ConstantOfShape: constantOfShape,
  Constant: constant,
  Split: split,
  Pad: pad,
  Range: range,
  Tile: (ctx) => {
    const reps = ctx.ints(1);
    ctx.checkSize(ctx.shape(0).map((d, a) => d * reps[a]));
    return out(tf.tile(ctx.onnx(0), reps));
  },
};
