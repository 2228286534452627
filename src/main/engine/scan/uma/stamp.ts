/**
 * The trigger model shared by UMA's inversion: a mask squashed towards 0/1 and a pattern stamped onto
 * images in [0,1] space, before the model's normalisation.
 */
import * as tf from '@tensorflow/tfjs';

/** s = tanh(k (m - 0.5)) / 2 + 0.5: pushes mask values towards 0 or 1 while staying differentiable. */
export function squash(mask: tf.Tensor, steepness: number): tf.Tensor {
  return tf.tidy(() => tf.add(tf.div(tf.tanh(tf.mul(tf.sub(mask, 0.5), steepness)), 2), 0.5));
}

/**
 * A(x) = (1 - s) x + s p for NHWC images x, an [H, W] squashed mask s (shared by the channels) and an
 * [H, W, C] pattern p.
 */
export function stamp(x: tf.Tensor4D, squashedMask: tf.Tensor, pattern: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => {
    const s = tf.expandDims(squashedMask, -1); // [H, W, 1]
    return tf.add<tf.Tensor4D>(tf.mul(tf.sub(1, s), x), tf.mul(s, pattern));
  });
}

/** Keeps each pixel's channels within `spread` of their mean, then clips to [0,1]. */
export function clipPattern(pattern: tf.Tensor, spread: number): tf.Tensor {
  return tf.tidy(() => {
    const mean = tf.mean(pattern, -1, true);
    const limited = tf.minimum(tf.maximum(pattern, tf.sub(mean, spread)), tf.add(mean, spread));
    return tf.clipByValue(limited, 0, 1);
  });
}

/** The same stamp on plain arrays (HWC), for artifacts and the transfer test on other threads. */
export function stampArray(
  image: Float32Array,
  mask: Float32Array,
  pattern: Float32Array,
  channels: number,
): Float32Array {
  const out = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) {
    const s = mask[Math.floor(i / channels)];
    out[i] = (1 - s) * image[i] + s * pattern[i];
  }
  return out;
}
