import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import type { Dataset } from '../../../src/main/engine/data/index.ts';
import { LayersClassifier } from '../../../src/main/engine/model/layers.ts';
import { joinShards, ScanContext } from '../../../src/main/engine/scan/context.ts';
import { ablateClass } from '../../../src/main/engine/scan/uma/ablate.ts';
import { runScan } from '../../../src/main/engine/scan/pipeline.ts';
import { mulberry32 } from '../../../src/main/engine/random.ts';
import { AUTHORS_PROFILE, type ScanParams } from '../../../src/shared/scan-params.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

/** A seeded dense 3-layer net on 4x4 inputs and 3 classes, with its scan context prepared at `freezeRatio`. */
async function tinyScan(freezeRatio: number) {
  const net = tf.sequential();
  net.add(tf.layers.flatten({ inputShape: [4, 4, 1] }));
  for (const [units, seed] of [
    [8, 1],
    [8, 2],
  ])
    net.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  net.add(tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  const model = await LayersClassifier.fromModel(net, 'tiny');
  const count = 90;
  const rand = mulberry32(7);
  const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
  // Class c brightens row c, so the classes are learnable features rather than noise.
  const images = Float32Array.from({ length: count * 16 }, (_, j) => {
    const [i, px] = [Math.floor(j / 16), j % 16];
    return 0.3 * rand() + (Math.floor(px / 4) === labels[i] ? 0.7 : 0);
  });
  const data: Dataset = {
    images,
    labels,
    count,
    height: 4,
    width: 4,
    channels: 1,
    classNames: ['a', 'b', 'c'],
    source: 'synthetic',
  };
  const ctx = new ScanContext(model, data);
  ctx.adopt(joinShards([await ctx.prepareShard(0, count, freezeRatio)], count, 3));
  return { model, ctx, data };
}

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
