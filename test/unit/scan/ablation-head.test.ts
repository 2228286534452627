import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { ablateClass } from '../../../src/main/engine/scan/uma/ablate.ts';
import { runScan } from '../../../src/main/engine/scan/pipeline.ts';
import { AUTHORS_PROFILE, type ScanParams } from '../../../src/shared/scan-params.ts';
import { tinyScan } from './tiny-scan.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

async function weightsOf(layer: { variables: tf.Variable[] }): Promise<number[][]> {
  return Promise.all(layer.variables.map(async (v) => Array.from(await v.data())));
}

describe('ablation with the output layer frozen (ablationFreezeHead)', () => {
  const params = (head: number, freezeRatio = 0.4): ScanParams => ({
    ...AUTHORS_PROFILE,
    freezeRatio,
    ablationLr: 0.05,
    ablationBatchOther: 20,
    ablationBatchTarget: 10,
    ablationStopProb: 0,
    ablationMaxEpochs: 1,
    ablationFreezeHead: head,
  });

  for (const head of [0, 1]) {
    const title = `${head ? 'keeps' : 'changes'} the output layer, trains the hidden one (ablationFreezeHead ${head})`;
    it(title, async () => {
      const { model, ctx } = await tinyScan(0.4);
      try {
        const before = model.weightLayers();
        const result = await ablateClass(ctx, 1, params(head), 3, () => undefined);
        try {
          const after = result.model.weightLayers();
          expect(result.steps).toBeGreaterThan(0);
          // Layer 0 is frozen by freezeRatio either way; layer 1 is trained either way.
          expect(await weightsOf(after[0])).toEqual(await weightsOf(before[0]));
          expect(await weightsOf(after[1])).not.toEqual(await weightsOf(before[1]));
          const headSame = JSON.stringify(await weightsOf(after[2])) === JSON.stringify(await weightsOf(before[2]));
          expect(headSame).toBe(head === 1);
        } finally {
          result.model.dispose();
        }
      } finally {
        ctx.dispose();
        model.dispose();
      }
    });
  }

  it('refuses, naming both parameters, when the frozen front and head leave nothing to unlearn', async () => {
    // freezeRatio 0.67 freezes 2 of the 3 dense layers; the head is the third.
    const { model, ctx } = await tinyScan(0.67);
    try {
      await expect(ablateClass(ctx, 1, params(1, 0.67), 3, () => undefined)).rejects.toThrow(
        /ablationFreezeHead.*freezeRatio 0\.67/,
      );
      const trained = await ablateClass(ctx, 1, params(0, 0.67), 3, () => undefined);
      expect(trained.steps).toBeGreaterThan(0);
      trained.model.dispose();
    } finally {
      ctx.dispose();
      model.dispose();
    }
  });

  it("a scan's survival test refuses likewise, naming survivalTest, where the head-frozen ablation is impossible", async () => {
    const { model, ctx, data } = await tinyScan(0.67);
    ctx.dispose();
    try {
      const p = { ...params(0, 0.67), survivalTest: 1, inversionSteps: 5, referenceMinSteps: 0 };
      const scan = runScan({ model, data, params: p, workers: 0, seed: 1 });
      await expect(scan).rejects.toThrow(/survivalTest needs a layer.*freezeRatio 0\.67/);
    } finally {
      model.dispose();
    }
  });
});
