import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { ablateClass, relativeStep } from '../../../src/main/engine/scan/uma/ablate.ts';
import { AUTHORS_PROFILE, type ScanParams } from '../../../src/shared/scan-params.ts';
import { tinyScan, weightsOf } from './tiny-scan.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

const l2 = (xs: number[]) => Math.hypot(...xs);

describe('relative-step ablation (ablationRelativeStep)', () => {
  it('scales the gradient to the given fraction of the tensor norm, whatever the gradient scale', async () => {
    const v = tf.tensor1d([3, 4]); // norm 5
    for (const g of [tf.tensor1d([0, 2]), tf.tensor1d([0, 2000])]) {
      const step = relativeStep(v, g, 0.1);
      expect(Array.from(await step.data())).toEqual([0, expect.closeTo(0.5, 6)]);
      step.dispose();
      g.dispose();
    }
    const zero = tf.zeros([3]);
    const still = relativeStep(zero, tf.ones([3]), 0.1);
    expect(Array.from(await still.data())).toEqual([0, 0, 0]);
    tf.dispose([v, zero, still]);
  });

  const params = (relative: number, lr: number): ScanParams => ({
    ...AUTHORS_PROFILE,
    freezeRatio: 0.4,
    ablationLr: lr,
    ablationMomentum: 0,
    ablationWeightDecay: 0,
    ablationBatchOther: 20,
    ablationBatchTarget: 10,
    ablationStopProb: 0,
    // 60 other-class samples in batches of 20: one pass is 3 steps; 1/3 of a pass is one step.
    ablationMaxEpochs: 1 / 3,
    ablationRelativeStep: relative,
  });

  it('moves every trained weight tensor by that fraction of its norm in one step, ignoring ablationLr', async () => {
    const { model, ctx } = await tinyScan(0.4);
    try {
      const before = await Promise.all(model.weightLayers().map(weightsOf));
      const moved: number[][][][] = [];
      for (const lr of [0.001, 5]) {
        const result = await ablateClass(ctx, 1, params(0.01, lr), 3, () => undefined);
        expect(result.steps).toBe(1);
        moved.push(await Promise.all(result.model.weightLayers().map(weightsOf)));
        result.model.dispose();
      }
      expect(moved[0]).toEqual(moved[1]);
      // Layer 0 is frozen; the kernels of layers 1 and 2 each moved by 1% of their norm.
      expect(moved[0][0]).toEqual(before[0]);
      for (const layer of [1, 2]) {
        const [w0, w1] = [before[layer][0], moved[0][layer][0]];
        expect(l2(w1.map((w, i) => w - w0[i])) / l2(w0)).toBeCloseTo(0.01, 4);
      }
      // At 0 the step is SGD's: ablationLr matters again.
      const sgd = await Promise.all(
        [0.001, 5].map(async (lr) => {
          const r = await ablateClass(ctx, 1, params(0, lr), 3, () => undefined);
          const w = await weightsOf(r.model.weightLayers()[1]);
          r.model.dispose();
          return w;
        }),
      );
      expect(sgd[0]).not.toEqual(sgd[1]);
    } finally {
      ctx.dispose();
      model.dispose();
    }
  });
});
