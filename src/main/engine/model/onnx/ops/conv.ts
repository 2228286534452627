/**
 * 2-D convolution on NHWC activations: plain, depthwise (group == channels), grouped (per-group convs
 * concatenated) and dilated. The filter arrives pre-transposed ('hwio' / 'hwcm') when it is an
 * initializer, so the only per-call transposes are for filters computed inside the graph.
 */
import * as tf from '@tensorflow/tfjs';
import { fromOnnx, nhwcTensor, onnxShape, onnxTensor, type Val } from '../layout.ts';
import { out, type OpCtx } from '../op-context.ts';

type Pair = [number, number];
type Explicit = [[number, number], [number, number], [number, number], [number, number]];

/** ONNX pads for a 2-D window op, resolving auto_pad; returns [top, left, bottom, right]. */
export function spatialPads(ctx: OpCtx, size: Pair, kernel: Pair, strides: Pair, dilations: Pair): number[] {
  const autoPad = ctx.str('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') return ctx.intList('pads') ?? [0, 0, 0, 0];
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < 2; i++) {
    const outSize = Math.ceil(size[i] / strides[i]);
    const total = Math.max(0, (outSize - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size[i]);
    const small = Math.floor(total / 2);
    begin.push(autoPad === 'SAME_LOWER' ? total - small : small);
    end.push(autoPad === 'SAME_LOWER' ? small : total - small);
  }
  return [...begin, ...end];
}

/** Positions one padded feature-map plane may have (2048 x 2048): a pad of 1e5 is damage, not a model. */
const MAX_PLANE = 2 ** 22;

/**
 * Refuses window geometry that makes no sense (a damaged file): the WASM kernels trust their shapes,
 * and an empty or negative output extent there corrupts memory instead of failing, while an absurd
 * pad asks for gigabytes the WASM heap never gives back.
 */
export function checkWindow(
  ctx: OpCtx,
  size: Pair,
  kernel: Pair,
  strides: Pair,
  dilations: Pair,
  pads: number[],
  pool = false,
): void {
  const bad = (what: string) =>
    ctx.fail(
      `${what} (input ${size.join('x')}, kernel ${kernel.join('x')}, strides ${strides.join(',')}, dilations ${dilations.join(',')}, pads ${pads.join(',')})`,
    );
  if ([...kernel, ...strides, ...dilations].some((v) => !(v >= 1)))
    bad('kernel, strides and dilations must be at least 1');
  if (pads.length !== 4 || pads.some((p) => !(p >= 0))) bad('pads must be 4 non-negative values');
  for (let i = 0; i < 2; i++) {
    const extent = (kernel[i] - 1) * dilations[i] + 1;
    // Pool windows made only of padding have no value to take (ONNX requires pads < kernel there).
    if (pool && (pads[i] >= extent || pads[i + 2] >= extent)) bad('a pool pad as wide as the window');
    if (size[i] + pads[i] + pads[i + 2] < extent) bad('the window is larger than the padded input');
  }
  const plane = (size[0] + pads[0] + pads[2]) * (size[1] + pads[1] + pads[3]);
  if (plane > MAX_PLANE) bad(`an implausible padded size (more than ${MAX_PLANE} positions)`);
}

export function pair(ctx: OpCtx, name: string): Pair {
  const v = ctx.intList(name);
  if (v && v.length !== 2)
    ctx.fail(`${name} has ${v.length} entries; only 2-D windows are supported`, 'UNSUPPORTED_MODEL');
  return v ? [v[0], v[1]] : [1, 1];
}

function explicit([t, l, b, r]: number[]): Explicit | 'valid' {
  return t || l || b || r
    ? [
        [0, 0],
        [t, b],
        [l, r],
        [0, 0],
      ]
    : 'valid';
}

/** Inserts d-1 zeros between filter taps: a dilated conv is a plain conv with this bigger filter. */
function zeroDilateFilter(f: tf.Tensor4D, [dh, dw]: Pair): tf.Tensor4D {
  const [kh, kw, ci, co] = f.shape;
  return tf.tidy(() => {
    const six = tf.reshape(f, [kh, 1, kw, 1, ci, co]);
    const padded = tf.pad(six, [
      [0, 0],
      [0, dh - 1],
      [0, 0],
      [0, dw - 1],
      [0, 0],
      [0, 0],
    ]);
    return tf.slice(tf.reshape(padded, [kh * dh, kw * dw, ci, co]), 0, [
      (kh - 1) * dh + 1,
      (kw - 1) * dw + 1,
      ci,
      co,
    ]) as tf.Tensor4D;
  });
}

/**
 * tfjs's conv gradients refuse dilation > 1, so a dilated conv gets its own gradient: on WASM the
 * project's backprop kernels take the dilations directly; elsewhere the backprop kernels run on the
 * zero-dilated filter (exact, d^2 more work) and the filter gradient is read back at the taps.
 */
function dilatedConv(
  x: tf.Tensor4D,
  f: tf.Tensor4D,
  strides: Pair,
  pad: Explicit | 'valid',
  dilations: Pair,
  depthwise: boolean,
): tf.Tensor4D {
  const forward = depthwise ? tf.depthwiseConv2d : tf.conv2d;
  const [inputKernel, filterKernel] = depthwise
    ? ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter']
    : ['Conv2DBackpropInput', 'Conv2DBackpropFilter'];
  const op = tf.customGrad(((xi: tf.Tensor, fi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi, fi]);
    return {
      value: forward(xi as tf.Tensor4D, fi as tf.Tensor4D, strides, pad, 'NHWC', dilations),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, fs] = saved as tf.Tensor4D[];
        const onWasm = tf.getBackend() === 'wasm';
        const filter = onWasm ? fs : zeroDilateFilter(fs, dilations);
        const attrs = {
          strides,
          pad,
          dataFormat: 'NHWC',
          dimRoundingMode: undefined,
          dilations: onWasm ? dilations : [1, 1],
        };
        const dx = tf
          .engine()
          .runKernel<tf.Tensor>(inputKernel, { dy, filter }, { ...attrs, inputShape: xs.shape } as never);
        const df = tf
          .engine()
          .runKernel<tf.Tensor4D>(filterKernel, { x: xs, dy }, { ...attrs, filterShape: filter.shape } as never);
        if (onWasm) return [dx, df];
        const taps = tf.stridedSlice(df, [0, 0, 0, 0], df.shape, [dilations[0], dilations[1], 1, 1]);
        filter.dispose();
        df.dispose();
        return [dx, taps];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, f) as tf.Tensor4D;
}

function conv2d(
  x: tf.Tensor4D,
  f: tf.Tensor4D,
  strides: Pair,
  pad: Explicit | 'valid',
  dilations: Pair,
  depthwise: boolean,
): tf.Tensor4D {
  if (dilations[0] > 1 || dilations[1] > 1) return dilatedConv(x, f, strides, pad, dilations, depthwise);
  return depthwise ? tf.depthwiseConv2d(x, f, strides, pad) : tf.conv2d(x, f, strides, pad);
}

/** Whether a Conv with this ONNX weight shape and group count runs as a depthwise conv. */
export function isDepthwise(weightDims: number[], group: number): boolean {
  return group > 1 && weightDims[1] === 1;
}

function filterOf(w: Val, layout: 'hwio' | 'hwcm', group: number): tf.Tensor4D {
  return (w.layout === layout ? w.t : fromOnnx(onnxTensor(w), layout, group)) as tf.Tensor4D;
}

export function conv(ctx: OpCtx): Val {
  const xv = ctx.val(0);
  const wShape = onnxShape(ctx.val(1));
  if (wShape.length !== 4 || onnxShape(xv).length !== 4)
    ctx.fail('only 2-D convolutions are supported', 'UNSUPPORTED_MODEL');
  const group = ctx.int('group', 1);
  const strides = pair(ctx, 'strides');
  const dilations = pair(ctx, 'dilations');
  if ((strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1)) {
    ctx.fail('a conv with both stride > 1 and dilation > 1 is not supported by tfjs', 'UNSUPPORTED_MODEL');
  }
  const x = nhwcTensor(xv);
  const size: Pair = [x.shape[1], x.shape[2]];
  const kernel: Pair = [wShape[2], wShape[3]];
  const pads = spatialPads(ctx, size, kernel, strides, dilations);
  checkWindow(ctx, size, kernel, strides, dilations, pads);
  const pad = explicit(pads);
  const depthwise = isDepthwise(wShape, group);
  let y: tf.Tensor4D;
  if (!(group >= 1) || x.shape[3] !== wShape[1] * group)
    ctx.fail(
      `input has ${x.shape[3]} channels, weights [${wShape.join(', ')}] with group ${group} expect ${wShape[1] * group}`,
    );
  if (wShape[0] % group !== 0) ctx.fail(`${wShape[0]} output channels do not split into ${group} groups`);
  if (group === 1 || depthwise) {
    y = conv2d(x, filterOf(ctx.val(1), depthwise ? 'hwcm' : 'hwio', group), strides, pad, dilations, depthwise);
  } else {
    const xs = tf.split(x, group, 3);
    const fs = tf.split(filterOf(ctx.val(1), 'hwio', group), group, 3);
    y = tf.concat(
      xs.map((xi, i) => conv2d(xi as tf.Tensor4D, fs[i] as tf.Tensor4D, strides, pad, dilations, false)),
      3,
    );
  }
  return out(ctx.has(2) ? tf.add(y, ctx.onnx(2)) : y, 'nhwc');
}
