/**
 * Inversion restarts (inversionRestarts): one restart is the authors' single run from all ones; more
 * run again from seeded random starts and keep the smallest successful mask. A tiny seeded dense model
 * on synthetic 6x6 RGB data keeps every run to a few milliseconds a step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { LayersClassifier } from '../../../src/main/engine/model/layers.ts';
import { ScanContext } from '../../../src/main/engine/scan/context.ts';
import {
  invertRun,
  invertTrigger,
  keptRestart,
  restartStart,
  type InversionResult,
} from '../../../src/main/engine/scan/uma/invert.ts';
import { mulberry32 } from '../../../src/main/engine/random.ts';
import { uniformDataset } from '../../fixtures/uniform-dataset.ts';
import { AUTHORS_PROFILE, type ScanParams } from '../../../src/shared/scan-params.ts';

const STEPS = 40;
const params: ScanParams = { ...AUTHORS_PROFILE, inversionSteps: STEPS, inversionBatch: 16 };
const K = 1;
const SEED = 77;
let ctx: ScanContext;
let model: LayersClassifier;

beforeAll(async () => {
  await initBackend('wasm');
  // A linear model with a planted backdoor: class K wins only when the 2x2 top-left corner is bright.
  const net = tf.sequential();
  net.add(tf.layers.flatten({ inputShape: [6, 6, 3] }));
  net.add(tf.layers.dense({ units: 4 }));
  const wr = mulberry32(3);
  const kernel = Float32Array.from({ length: 108 * 4 }, () => (wr() - 0.5) * 0.6);
  for (let i = 0; i < 108; i++) {
    const [y, x] = [Math.floor(i / 18), Math.floor(i / 3) % 6];
    kernel[i * 4 + K] = y < 2 && x < 2 ? 2 : 0;
  }
  const bias = Float32Array.from({ length: 4 }, (_, j) => (j === K ? -14 : 0));
  net.layers[1].setWeights([tf.tensor2d(kernel, [108, 4]), tf.tensor1d(bias)]);
  model = await LayersClassifier.fromModel(net, 'tiny');
  const data = uniformDataset({ count: 120, height: 6, width: 6, channels: 3, seed: 9 });
  ctx = new ScanContext(model, data);
});

afterAll(() => {
  ctx.dispose();
  model.dispose();
});

const predict = (x: tf.Tensor4D) => model.predict(x);

/** A run's result with its step reports. */
async function invert(p: ScanParams, seed = SEED): Promise<{ r: InversionResult; reports: [number, number][] }> {
  const reports: [number, number][] = [];
  const r = await invertTrigger(predict, ctx, K, p, seed, (step, steps) => reports.push([step, steps]));
  return { r, reports };
}

const bytes = (r: InversionResult) => [Array.from(r.mask), Array.from(r.pattern), r.asr, r.maskL1, r.finalT];

describe('restartStart', () => {
  it('starts restart 0 at ones and later restarts at seeded uniform draws in [0, 1], different per restart', () => {
    const first = restartStart(SEED, 0, 6, 6, 3);
    expect(first.mask.every((v) => v === 1) && first.pattern.every((v) => v === 1)).toBe(true);
    expect([first.mask.length, first.pattern.length]).toEqual([36, 108]);
    const one = restartStart(SEED, 1, 6, 6, 3);
    const again = restartStart(SEED, 1, 6, 6, 3);
    const two = restartStart(SEED, 2, 6, 6, 3);
    for (const v of [...one.mask, ...one.pattern]) expect(v >= 0 && v < 1).toBe(true);
    expect(Array.from(again.mask)).toEqual(Array.from(one.mask));
    expect(Array.from(again.pattern)).toEqual(Array.from(one.pattern));
    expect(Array.from(two.mask)).not.toEqual(Array.from(one.mask));
    expect(Array.from(restartStart(SEED + 1, 1, 6, 6, 3).mask)).not.toEqual(Array.from(one.mask));
  });
});

describe('keptRestart', () => {
  const run = (asr: number, maskL1: number): InversionResult => ({
    mask: new Float32Array(1),
    pattern: new Float32Array(1),
    asr,
    maskL1,
    finalT: 9,
    steps: 1,
  });

  it('keeps the smallest mask among runs whose ASR reaches lambdaLow, even over a smaller failed mask', () => {
    const runs = [run(0.95, 30), run(0.2, 5), run(0.6, 12), run(0.9, 12)];
    expect(keptRestart(runs, 0.6)).toBe(runs[2]);
  });

  it('keeps the highest ASR when no run reaches lambdaLow', () => {
    const runs = [run(0.1, 3), run(0.5, 80), run(0.3, 10), run(0.5, 20)];
    expect(keptRestart(runs, 0.6)).toBe(runs[1]);
  });

  it('refuses an empty list', () => {
    expect(() => keptRestart([], 0.6)).toThrow(RangeError);
  });
});

describe('invertTrigger with restarts', () => {
  it('with one restart is the single run from all ones, bit for bit, reporting steps 1..S of S', async () => {
    const { r, reports } = await invert({ ...params, inversionRestarts: 1 });
    const alone = await invertRun(predict, ctx, K, params, SEED, 0, () => undefined);
    expect(bytes(r)).toEqual(bytes(alone));
    expect(reports).toEqual(Array.from({ length: STEPS }, (_, i) => [i + 1, STEPS]));
  });

  it('with three restarts runs 3 x S steps, reports them in order to 100%, keeps the smallest successful', async () => {
    const { r, reports } = await invert({ ...params, inversionRestarts: 3 });
    expect(reports).toEqual(Array.from({ length: 3 * STEPS }, (_, i) => [i + 1, 3 * STEPS]));
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await invertRun(predict, ctx, K, params, SEED, i, () => undefined));
    // Here every run reaches lambdaLow, with three different mask sizes, and a random start finds the smallest.
    expect(runs.every((x) => x.asr >= params.lambdaLow)).toBe(true);
    expect(new Set(runs.map((x) => x.maskL1)).size).toBe(3);
    const smallest = runs.reduce((a, b) => (b.maskL1 < a.maskL1 ? b : a));
    expect(smallest).not.toBe(runs[0]);
    expect(bytes(r)).toEqual(bytes(smallest));
  });

  it('repeats bit for bit for the same seed and differs for another', async () => {
    const p = { ...params, inversionRestarts: 2 };
    const a = await invert(p);
    const b = await invert(p);
    expect(bytes(b.r)).toEqual(bytes(a.r));
    const c = await invert(p, SEED + 1);
    expect(bytes(c.r)).not.toEqual(bytes(a.r));
  });

  it('stops at the step whose report throws (cancellation), in a later restart too', async () => {
    const p = { ...params, inversionRestarts: 3 };
    let last = 0;
    const stopAt = STEPS + 5;
    const cancelled = invertTrigger(predict, ctx, K, p, SEED, (step) => {
      last = step;
      if (step === stopAt) throw new Error('cancelled');
    });
    await expect(cancelled).rejects.toThrow('cancelled');
    expect(last).toBe(stopAt);
  });
});
