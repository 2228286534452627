/**
 * Seeded weight initialisers matching the frameworks' defaults, for `reinitialized(seed)`: the clean
 * reference model starts from the suspect's architecture with fresh weights, never from its weights.
 */
import { mulberry32 } from '../random.ts';

export type Rand = () => number;

export function seededRand(seed: number): Rand {
  return mulberry32(seed);
}

/** Fan-in and fan-out as Keras and PyTorch compute them: receptive field x in / out channels. */
export function fans(shape: readonly number[], layout: 'last-two' | 'torch'): { fanIn: number; fanOut: number } {
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  if (layout === 'torch') {
    // PyTorch weights are [out, in, ...kernel].
    const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
    return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
  }
  // Keras / TF kernels are [...kernel, in, out].
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2] * receptive, fanOut: shape[shape.length - 1] * receptive };
}

export function uniform(size: number, limit: number, rand: Rand): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rand() * 2 - 1) * limit;
  return out;
}

/** Keras's default kernel initialiser. */
export function glorotUniform(shape: readonly number[], rand: Rand): Float32Array {
  const { fanIn, fanOut } = fans(shape, 'last-two');
  return uniform(
    shape.reduce((a, b) => a * b, 1),
    Math.sqrt(6 / (fanIn + fanOut)),
    rand,
  );
}

/** PyTorch's default for Conv and Linear weights and biases: kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in)). */
export function torchDefault(size: number, fanIn: number, rand: Rand): Float32Array {
  return uniform(size, 1 / Math.sqrt(Math.max(1, fanIn)), rand);
}
