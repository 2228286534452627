/**
 * What an inversion step feeds the model (src/main/engine/scan/inversion-batch.ts) and the last-window
 * mean every inversion reports (lambda.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { LayersClassifier } from '../../../src/main/engine/model/layers.ts';
import { ScanContext } from '../../../src/main/engine/scan/context.ts';
import { NoisyOtherBatches, targetRows } from '../../../src/main/engine/scan/inversion-batch.ts';
import { lastWindowMean } from '../../../src/main/engine/scan/uma/lambda.ts';
import { mulberry32 } from '../../../src/main/engine/random.ts';
import { uniformDataset } from '../../fixtures/uniform-dataset.ts';

const K = 2;
let ctx: ScanContext;
let model: LayersClassifier;

beforeAll(async () => {
  await initBackend('wasm');
  const net = tf.sequential();
  net.add(tf.layers.flatten({ inputShape: [4, 4, 1] }));
  net.add(tf.layers.dense({ units: 4 }));
  model = await LayersClassifier.fromModel(net, 'tiny');
  ctx = new ScanContext(model, uniformDataset({ count: 40, height: 4, width: 4, channels: 1, seed: 5 }));
});

afterAll(() => {
  ctx.dispose();
  model.dispose();
});

/** The first `steps` batches as arrays of rows. */
function draw(noise: number, seed: number, steps: number): Float32Array[][] {
  const batches = new NoisyOtherBatches(ctx, K, 8, noise, mulberry32(seed));
  return Array.from({ length: steps }, () =>
    tf.tidy(() => (batches.next().reshape([8, 16]).arraySync() as number[][]).map((r) => Float32Array.from(r))),
  );
}

describe('inversion batches', () => {
  it('without noise draws only other-class samples, each exactly', () => {
    const images = ctx.x.reshape([40, 16]).arraySync() as number[][];
    const rowsOf = (cls: number) => images.filter((_, i) => ctx.labels[i] === cls).map((r) => Float32Array.from(r));
    const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => v === b[i]);
    for (const row of draw(0, 1, 5).flat()) {
      expect(rowsOf(K).some((r) => same(r, row))).toBe(false);
      expect([0, 1, 3].some((cls) => rowsOf(cls).some((r) => same(r, row)))).toBe(true);
    }
  });

  it('adds noise of the asked std, repeats from a seed and differs across seeds', () => {
    const clean = draw(0, 1, 20).flat();
    const noisy = draw(0.1, 1, 20).flat();
    const diffs = noisy.flatMap((row, i) => [...row].map((v, j) => v - clean[i][j]));
    const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
    const std = Math.sqrt(diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / diffs.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(std).toBeGreaterThan(0.09);
    expect(std).toBeLessThan(0.11);
    expect(draw(0.1, 1, 3)).toEqual(draw(0.1, 1, 3));
    expect(draw(0.1, 2, 3)).not.toEqual(draw(0.1, 1, 3));
  });

  it('aims every row at class k', () => {
    const rows = tf.tidy(() => targetRows(K, 3, 4).arraySync());
    expect(rows).toEqual([
      [0, 0, 1, 0],
      [0, 0, 1, 0],
      [0, 0, 1, 0],
    ]);
  });
});

describe('last-window mean', () => {
  it('averages the last window, or every value when fewer', () => {
    expect(lastWindowMean([1, 2, 3, 4, 5], 2)).toBe(4.5);
    expect(lastWindowMean([1, 2, 3], 10)).toBe(2);
    expect(lastWindowMean([], 3)).toBeNaN();
  });
});
