/**
 * ablationStepDrop: the first unlearning step's rate is halved, from M's weights, while that step lowers
 * the class's own-class probability by more than the given fraction; an accepted first step is the
 * uncalibrated scan's step exactly.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { ablateClass } from '../../../src/main/engine/scan/uma/ablate.ts';
import { AUTHORS_PROFILE, type ScanParams } from '../../../src/shared/scan-params.ts';
import { tinyScan } from './tiny-scan.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('first ablation step calibrated (ablationStepDrop)', () => {
  // A rate that unlearns class 1 of the trained tiny model in one step (its probability 0.996 falls to ~0).
  const params = (drop: number, halvings = 4): ScanParams => ({
    ...AUTHORS_PROFILE,
    freezeRatio: 0.4,
    ablationLr: 2,
    ablationBatchOther: 20,
    ablationBatchTarget: 10,
    ablationStopProb: 0,
    ablationMaxEpochs: 1,
    ablationStepDrop: drop,
    ablationStepHalvings: halvings,
  });

  /** Class 1 ablated under `p`: its rate, steps, the trained layer's weights and the tensors it left behind. */
  async function ablateTiny(p: ScanParams) {
    const { model, ctx } = await tinyScan(0.4, 50);
    try {
      const tensors = tf.memory().numTensors;
      const result = await ablateClass(ctx, 1, p, 3, () => undefined);
      const weights = await Promise.all(result.model.weightLayers()[1].variables.map((v) => v.data()));
      result.model.dispose();
      const leaked = tf.memory().numTensors - tensors;
      return { lr: result.lr, steps: result.steps, weights: weights.map((w) => Array.from(w)), leaked };
    } finally {
      ctx.dispose();
      model.dispose();
    }
  }

  it('runs at ablationLr when off', async () => {
    expect((await ablateTiny(params(0))).lr).toBe(2);
  });

  it('halves the rate while the first step drops the own-class probability by more than allowed', async () => {
    const result = await ablateTiny(params(0.05, 10));
    const halvings = Math.log2(2 / result.lr);
    expect(Number.isInteger(halvings)).toBe(true);
    // Accepted by the drop test, before the bound of 10 halvings.
    expect(halvings).toBeGreaterThan(0);
    expect(halvings).toBeLessThan(10);
    expect(result.steps).toBe(3);
  });

  it('stops halving at ablationStepHalvings', async () => {
    expect((await ablateTiny(params(1e-9, 2))).lr).toBe(0.5);
    expect((await ablateTiny(params(1e-9, 0))).lr).toBe(2);
  });

  it('keeps an accepted first step: the same weights as the uncalibrated ablation', async () => {
    const off = await ablateTiny(params(0));
    const accepted = await ablateTiny(params(1));
    expect(accepted.lr).toBe(2);
    expect(accepted.weights).toEqual(off.weights);
  });

  it('restores the weights it rejects: a calibrated ablation equals an uncalibrated one at the rate it chose', async () => {
    const calibrated = await ablateTiny(params(0.05, 10));
    const plain = await ablateTiny({ ...params(0), ablationLr: calibrated.lr });
    expect(calibrated.weights).toEqual(plain.weights);
  });

  it('frees what its probes and its optimizer hold', async () => {
    expect((await ablateTiny(params(0.05, 10))).leaked).toBe(0);
    expect((await ablateTiny(params(0))).leaked).toBe(0);
  });
});
