/**
 * Gradient kernels for tfjs's WASM backend, expressed through its fast (XNNPACK) forward convolutions.
 *
 * Why: the WASM backend ships no depthwise backprop kernels, so any training step on a depthwise CNN
 * fails there, and its own Conv2DBackpropInput is several times slower than a forward conv. The
 * gradients of a convolution are themselves convolutions:
 *  - filter gradient (depthwise here; the dense one is a matrix product per tap, in
 *    wasm-conv-filter-grad.ts): dW[i,j,c,m] = sum_{n,y,x} xpad[n, y*s + i*d, x*s + j*d, c] * dy[n,y,x,c*M+m],
 *    a conv of the input (batch and channel axes swapped) with dy as the filter, where the original
 *    stride becomes the dilation and the original dilation becomes the stride;
 *  - input gradient: a stride-1 conv of dy (zero-dilated by the stride, then padded) with the
 *    spatially flipped filter whose in/out channel axes are swapped.
 * The kernels compose the backend's own registered kernels (Transpose, PadV2, Slice, Reshape, Reverse,
 * Sum, Conv2D, DepthwiseConv2dNative) and free every intermediate they make.
 *
 * Dilations: tfjs's own Conv2D gradient refuses dilation > 1 before reaching a kernel, but these
 * kernels honour an optional `dilations` attribute so a custom gradient (the ONNX importer's dilated
 * conv) can call them with it.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { pair, type Pair } from './wasm-kernel-utils.ts';

const WASM = 'wasm';

/** Calls a kernel registered for the WASM backend and tracks its output for later disposal. */
class KernelScope {
  private readonly made: TensorInfo[] = [];
  constructor(private readonly backend: KernelBackend) {}

  run(name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const out = tf.getKernel(name, WASM).kernelFunc({ inputs, backend: this.backend, attrs }) as TensorInfo;
    this.made.push(out);
    return out;
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  /** Pads (positive) or crops (negative) each axis by [before, after]. */
  padOrCrop(x: TensorInfo, amounts: Pair[]): TensorInfo {
    let t = x;
    if (amounts.some(([a, b]) => a < 0 || b < 0)) {
      const begin = amounts.map(([a]) => Math.max(0, -a));
      const size = x.shape.map((n, i) => n - begin[i] - Math.max(0, -amounts[i][1]));
      t = this.run('Slice', { x: t }, { begin, size });
    }
    if (amounts.some(([a, b]) => a > 0 || b > 0)) {
      const paddings = amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]);
      t = this.run('PadV2', { x: t }, { paddings, constantValue: 0 });
    }
    return t;
  }

  /** Inserts (s - 1) zeros after every row / column of an NHWC tensor (trailing ones included). */
  zeroDilate(x: TensorInfo, [sh, sw]: Pair): TensorInfo {
    if (sh === 1 && sw === 1) return x;
    const [n, h, w, c] = x.shape;
    const six = this.reshape(x, [n, h, 1, w, 1, c]);
    const padded = this.run(
      'PadV2',
      { x: six },
      {
        paddings: [
          [0, 0],
          [0, 0],
          [0, sh - 1],
          [0, 0],
          [0, sw - 1],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    return this.reshape(padded, [n, h * sh, w * sw, c]);
  }

  /** Frees every intermediate except `keep` (the kernel's output). */
  disposeAllBut(keep: TensorInfo): void {
    for (const t of this.made) if (t !== keep) this.backend.disposeData(t.dataId);
  }
}

interface ConvGeometry {
  stride: Pair;
  dilation: Pair;
  padTop: number;
  padLeft: number;
  outHeight: number;
  outWidth: number;
}

function geometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: NamedAttrMap,
  depthwise: boolean,
): ConvGeometry {
  const stride = pair(attrs.strides);
  const dilation = pair(attrs.dilations);
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    stride,
    dilation,
    attrs.pad as 'valid' | 'same' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
  );
  return {
    stride,
    dilation,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
  };
}

/**
 * Pads the (batch-last) input so a conv with stride = dilation and dilation = stride over it yields at
 * least the filter's extent, then crops the result to exactly [fh, fw].
 */
function filterGradPadding(h: number, w: number, fh: number, fw: number, g: ConvGeometry): Pair[] {
  const needH = (fh - 1) * g.dilation[0] + (g.outHeight - 1) * g.stride[0] + 1;
  const needW = (fw - 1) * g.dilation[1] + (g.outWidth - 1) * g.stride[1] + 1;
  return [
    [0, 0],
    [g.padTop, Math.max(0, needH - g.padTop - h)],
    [g.padLeft, Math.max(0, needW - g.padLeft - w)],
    [0, 0],
  ];
}

/** Pads the zero-dilated dy so a stride-1 conv with the flipped filter returns the input's size. */
function inputGradPadding(
  dyDilated: TensorInfo,
  h: number,
  w: number,
  fh: number,
  fw: number,
  g: ConvGeometry,
): Pair[] {
  const topH = (fh - 1) * g.dilation[0] - g.padTop;
  const topW = (fw - 1) * g.dilation[1] - g.padLeft;
  const totalH = h + (fh - 1) * g.dilation[0];
  const totalW = w + (fw - 1) * g.dilation[1];
  return [
    [0, 0],
    [topH, totalH - topH - dyDilated.shape[1]],
    [topW, totalW - topW - dyDilated.shape[2]],
    [0, 0],
  ];
}

function conv2dBackpropInput(args: {
  inputs: Record<string, TensorInfo>;
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const { dy, filter } = args.inputs;
  const attrs = args.attrs ?? {};
  const inputShape = attrs.inputShape as [number, number, number, number];
  const [fh, fw] = filter.shape;
  const [, h, w] = inputShape;
  const g = geometry(inputShape, filter.shape as [number, number, number, number], attrs, false);
  const k = new KernelScope(args.backend);

  const dyD = k.zeroDilate(dy, g.stride);
  const dyP = k.padOrCrop(dyD, inputGradPadding(dyD, h, w, fh, fw, g));
  const flipped = k.run('Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = k.transpose(flipped, [0, 1, 3, 2]); // [fh, fw, Cout, Cin]
  const out = k.run(
    'Conv2D',
    { x: dyP, filter: swapped },
    {
      strides: [1, 1],
      dilations: g.dilation,
      pad: 'valid',
      dataFormat: 'NHWC',
    },
  );
  k.disposeAllBut(out);
  return out;
}

function depthwiseBackpropFilter(args: {
  inputs: Record<string, TensorInfo>;
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const { x, dy } = args.inputs;
  const attrs = args.attrs ?? {};
  const filterShape = attrs.filterShape as [number, number, number, number];
  const [fh, fw, cin, mult] = filterShape;
  const [n, h, w] = x.shape;
  const g = geometry(x.shape as [number, number, number, number], filterShape, attrs, true);
  const k = new KernelScope(args.backend);

  // Channel c*N + n of a single image holds sample n's channel c; dy supplies one filter per channel.
  const xT = k.reshape(k.transpose(x, [1, 2, 3, 0]), [1, h, w, cin * n]);
  const dy5 = k.reshape(dy, [n, g.outHeight, g.outWidth, cin, mult]);
  const f = k.reshape(k.transpose(dy5, [1, 2, 3, 0, 4]), [g.outHeight, g.outWidth, cin * n, mult]);
  const xP = k.padOrCrop(xT, filterGradPadding(h, w, fh, fw, g));
  const conv = k.run(
    'DepthwiseConv2dNative',
    { x: xP, filter: f },
    {
      strides: g.dilation,
      dilations: g.stride,
      pad: 'valid',
    },
  ); // [1, >=fh, >=fw, Cin*N*mult]
  const cropped = k.run('Slice', { x: conv }, { begin: [0, 0, 0, 0], size: [1, fh, fw, cin * n * mult] });
  const perSample = k.reshape(cropped, [fh, fw, cin, n, mult]);
  const out = k.run('Sum', { x: perSample }, { axis: [3], keepDims: false });
  k.disposeAllBut(out);
  return out;
}

function depthwiseBackpropInput(args: {
  inputs: Record<string, TensorInfo>;
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const { dy, filter } = args.inputs;
  const attrs = args.attrs ?? {};
  const inputShape = attrs.inputShape as [number, number, number, number];
  const [fh, fw, cin, mult] = filter.shape;
  const [n, h, w] = inputShape;
  const g = geometry(inputShape, filter.shape as [number, number, number, number], attrs, true);
  const k = new KernelScope(args.backend);

  // Lay dy out as mult*Cin channels (m-major) so one depthwise conv with multiplier 1 does every
  // (c, m) pair; the m copies of each input channel are summed afterwards.
  const dy5 = k.reshape(dy, [n, g.outHeight, g.outWidth, cin, mult]);
  const dyM = k.reshape(k.transpose(dy5, [0, 1, 2, 4, 3]), [n, g.outHeight, g.outWidth, mult * cin]);
  const dyD = k.zeroDilate(dyM, g.stride);
  const dyP = k.padOrCrop(dyD, inputGradPadding(dyD, h, w, fh, fw, g));
  const flipped = k.run('Reverse', { x: filter }, { dims: [0, 1] });
  const f = k.reshape(k.transpose(flipped, [0, 1, 3, 2]), [fh, fw, mult * cin, 1]);
  const conv = k.run(
    'DepthwiseConv2dNative',
    { x: dyP, filter: f },
    {
      strides: [1, 1],
      dilations: g.dilation,
      pad: 'valid',
    },
  ); // [N, H, W, mult*Cin]
  const out =
    mult === 1 ? conv : k.run('Sum', { x: k.reshape(conv, [n, h, w, mult, cin]) }, { axis: [3], keepDims: false });
  k.disposeAllBut(out);
  return out;
}

/** Registered by wasm-kernels.ts. */
export const GRAD_KERNELS: Record<string, tf.KernelFunc> = {
  Conv2DBackpropInput: conv2dBackpropInput as tf.KernelFunc,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter as tf.KernelFunc,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput as tf.KernelFunc,
};
