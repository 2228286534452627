/**
 * Runtime values and their memory layout. ONNX image graphs are NCHW, but tfjs convolutions and pools
 * are channels-last, so a rank-4 activation is kept NHWC ('nhwc') for as long as the ops it flows
 * through do not care, and is transposed back to the ONNX order ('onnx') only where a layout-sensitive
 * op (Flatten, Reshape, Transpose, Gather, Softmax...) needs it. Conv weights are transposed once at
 * load into the filter layouts tfjs wants ('hwio' for conv2d, 'hwcm' for depthwise).
 */
import * as tf from '@tensorflow/tfjs';

export type Layout = 'onnx' | 'nhwc' | 'hwio' | 'hwcm';

export interface Val {
  t: tf.Tensor;
  layout: Layout;
  /**
   * True when the value depends only on constants and on the input's shape (never its values): shape
   * arithmetic, which the executor folds and caches per batch size.
   */
  isStatic: boolean;
}

export const NCHW_TO_NHWC = [0, 2, 3, 1];
export const NHWC_TO_NCHW = [0, 3, 1, 2];
/** ONNX (NCHW) axis -> the same axis in an NHWC tensor. */
export const NHWC_AXIS = [0, 3, 1, 2];

/** An ONNX-ordered float weight -> the layout it is stored in. */
export function fromOnnx(t: tf.Tensor, layout: Layout, group = 1): tf.Tensor {
  switch (layout) {
    case 'hwio': // [Cout, Cin/g, kh, kw] -> [kh, kw, Cin/g, Cout]
      return tf.transpose(t, [2, 3, 1, 0]);
    case 'hwcm': {
      // depthwise [C*m, 1, kh, kw] -> [kh, kw, C, m]
      const [cout, , kh, kw] = t.shape;
      return tf.tidy(() => tf.transpose(tf.reshape(t, [group, cout / group, kh, kw]), [2, 3, 0, 1]));
    }
    case 'nhwc':
      return tf.transpose(t, NCHW_TO_NHWC);
    case 'onnx':
      return t.clone();
  }
}

/** A tensor held in `layout` -> the same data in ONNX order (used for values and for gradients). */
export function toOnnxOrder(t: tf.Tensor, layout: Layout): tf.Tensor {
  switch (layout) {
    case 'hwio':
      return tf.transpose(t, [3, 2, 0, 1]);
    case 'hwcm': {
      const [kh, kw, c, m] = t.shape;
      return tf.tidy(() => tf.reshape(tf.transpose(t, [2, 3, 0, 1]), [c * m, 1, kh, kw]));
    }
    case 'nhwc':
      return tf.transpose(t, NHWC_TO_NCHW);
    case 'onnx':
      return t;
  }
}

export function onnxTensor(v: Val): tf.Tensor {
  return toOnnxOrder(v.t, v.layout);
}

/** The value's shape in ONNX order, whatever its layout. */
export function onnxShape(v: Val): number[] {
  const s = v.t.shape as number[];
  switch (v.layout) {
    case 'nhwc':
      return [s[0], s[3], s[1], s[2]];
    case 'hwio':
      return [s[3], s[2], s[0], s[1]];
    case 'hwcm':
      return [s[2] * s[3], 1, s[0], s[1]];
    case 'onnx':
      return [...s];
  }
}

/** A rank-4 NCHW activation as an NHWC tensor. */
export function nhwcTensor(v: Val): tf.Tensor4D {
  if (v.layout === 'nhwc') return v.t as tf.Tensor4D;
  return tf.transpose(onnxTensor(v), NCHW_TO_NHWC) as tf.Tensor4D;
}

/**
 * An operand of a broadcasting elementwise op whose other operand is NHWC: ONNX broadcasting aligns
 * trailing axes of the NCHW shape, so pad the shape to rank 4 with leading ones and move C last.
 */
export function nhwcOperand(v: Val): tf.Tensor {
  if (v.layout === 'nhwc') return v.t;
  const t = onnxTensor(v);
  if (t.rank > 4) throw new Error('rank > 4 operand mixed with an NHWC activation');
  const shape = [...new Array<number>(4 - t.rank).fill(1), ...t.shape];
  return tf.transpose(tf.reshape(t, shape), NCHW_TO_NHWC);
}
