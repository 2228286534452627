/**
 * What a trigger inversion feeds the model each step (docs/algorithm.md step 3): class k's target as
 * one-hot rows, and, for UMA's inversion and the whole-image pilot of bench/transform-trigger.ts,
 * seeded batches of the other classes' samples with Gaussian input noise.
 */
import * as tf from '@tensorflow/tfjs';
import { normalArray } from '../random.ts';
import { gather, type ScanContext } from './context.ts';
import { BatchSampler } from './sampler.ts';

/** n one-hot rows of class k, the target every inversion's cross-entropy aims at. */
export function targetRows(k: number, n: number, numClasses: number): tf.Tensor2D {
  return tf.oneHot(tf.fill<tf.Rank.R1>([n], k, 'int32'), numClasses) as tf.Tensor2D;
}

/**
 * Batches of `batch` samples not of class k, each plus Gaussian noise of std `noise`. Each draw takes the
 * sample indices, then the noise seed, from `rand`: the order the scan's results depend on.
 */
export class NoisyOtherBatches {
  private readonly draw: BatchSampler;

  constructor(
    private readonly ctx: ScanContext,
    k: number,
    batch: number,
    private readonly noise: number,
    private readonly rand: () => number,
  ) {
    this.draw = new BatchSampler(ctx.others(k), batch, rand);
  }

  /** The next noisy batch [n, H, W, C]; allocates tensors, so call it inside tf.tidy. */
  next(): tf.Tensor4D {
    const { height: h, width: w, channels: c } = this.ctx.data;
    const idx = this.draw.next();
    const noiseSeed = Math.floor(this.rand() * 2 ** 31);
    const noise = normalArray(idx.length * h * w * c, 0, this.noise, noiseSeed);
    return tf.add<tf.Tensor4D>(gather(this.ctx.x, idx), tf.tensor4d(noise, [idx.length, h, w, c]));
  }
}
