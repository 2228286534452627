/**
 * Behaviour shared by every Classifier implementation: the freeze rule, input normalisation, and
 * forward-only logits.
 */
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../../../shared/errors.ts';
import type { Classifier, FreezeResult, InputSpec, WeightLayer } from './types.ts';

/** Values one input image may have (4096 x 4096 x 1); classifier inputs are far smaller. */
export const MAX_INPUT_VALUES = 2 ** 24;

/**
 * Refuses an input size no image classifier has, before anything is sized by it: a damaged file may
 * declare 2^31 channels, and an array of that many means exhausts the heap.
 */
export function checkInputSize(name: string, height: number, width: number, channels: number): void {
  const positive = [height, width, channels].every((d) => Number.isInteger(d) && d >= 1);
  if (!positive || height * width * channels > MAX_INPUT_VALUES) {
    const size = `${height}x${width}x${channels} (at most ${MAX_INPUT_VALUES} values per image)`;
    throw new UmaError(
      'BAD_MODEL',
      `${name}: implausible input size ${size}; the file is damaged or not an image classifier`,
    );
  }
}

const COUNTED = new Set(['conv', 'dense', 'attention']);

/**
 * Freezes the first floor(ratio * L) of the L conv/dense/attention layers and every weight layer
 * (normalisation included) before the first counted layer left trainable.
 */
export function freezePlan(layers: readonly WeightLayer[], ratio: number): FreezeResult {
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`freeze ratio must be in [0, 1], not ${ratio}`);
  const counted = layers.map((l, i) => (COUNTED.has(l.kind) ? i : -1)).filter((i) => i >= 0);
  const frozenCount = Math.floor(ratio * counted.length + 1e-9);
  const firstTrainable = frozenCount < counted.length ? counted[frozenCount] : layers.length;
  const frozen = layers.slice(0, frozenCount === 0 ? 0 : firstTrainable).map((l) => l.name);
  const trainable = layers.filter((l) => !frozen.includes(l.name)).map((l) => l.name);
  return { frozenCount, frozen, trainable };
}

/** (x - mean) / std per channel, or the identity when the spec asks for none. */
export function normaliser(spec: InputSpec): (x: tf.Tensor4D) => tf.Tensor4D {
  const trivial = spec.mean.every((m) => m === 0) && spec.std.every((s) => s === 1);
  if (trivial) return (x) => x;
  return (x) => tf.tidy(() => tf.div<tf.Tensor4D>(tf.sub(x, tf.tensor1d(spec.mean)), tf.tensor1d(spec.std)));
}

/** Logits where no gradient is needed: the model's fast forward (predictBatch) when it has one, else predict. */
export async function inferLogits(model: Classifier, x: tf.Tensor4D): Promise<tf.Tensor2D> {
  return model.predictBatch ? model.predictBatch(x) : model.predict(x);
}
