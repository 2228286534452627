/**
 * ablationMinEpochs: no early stop ends the unlearning before that many passes (at ablationMaxEpochs it
 * runs in full, the paper's two epochs), and the ablation backoff's second pass stops early again.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { ablateClass, ablationMaxSteps, ablationMinSteps } from '../../../src/main/engine/scan/uma/ablate.ts';
import { AUTHORS_PROFILE, backoffPassParams, type ScanParams } from '../../../src/shared/scan-params.ts';
import { tinyScan } from './tiny-scan.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('ablationMinEpochs', () => {
  // 60 other-class samples in batches of 20: 3 steps a pass, 12 in 4 passes; a stop window of 2 steps
  // and a probability threshold of 1, which every step meets, so the probability test stops as soon as
  // it is allowed to.
  const params = (minEpochs: number): ScanParams => ({
    ...AUTHORS_PROFILE,
    freezeRatio: 0.4,
    ablationLr: 0.05,
    ablationBatchOther: 20,
    ablationBatchTarget: 10,
    ablationStopProb: 1.01,
    ablationStopWindow: 2,
    ablationMaxEpochs: 4,
    ablationMinEpochs: minEpochs,
  });

  /** Class 1 of the tiny model ablated under `p`: the step bounds, the steps taken and the rule that stopped it. */
  async function ablateTiny(p: ScanParams) {
    const { model, ctx } = await tinyScan(0.4);
    try {
      const bounds = { maxSteps: ablationMaxSteps(ctx, 1, p), minSteps: ablationMinSteps(ctx, 1, p) };
      const result = await ablateClass(ctx, 1, p, 3, () => undefined);
      result.model.dispose();
      return { ...bounds, steps: result.steps, stoppedBy: result.stoppedBy };
    } finally {
      ctx.dispose();
      model.dispose();
    }
  }

  for (const [minEpochs, steps, stoppedBy] of [
    [0, 2, 'probability'],
    [2, 6, 'probability'],
    [4, 12, 'probability'],
  ] as const) {
    it(`holds every early stop back for ${minEpochs} passes: ${steps} steps`, async () => {
      const result = await ablateTiny(params(minEpochs));
      expect(result.maxSteps).toBe(12);
      expect(result.minSteps).toBe(3 * minEpochs);
      expect(result.steps).toBe(steps);
      expect(result.stoppedBy).toBe(stoppedBy);
    });
  }

  it('stops as it always did in a resumed scan stored before the parameter existed', async () => {
    const { ablationMinEpochs: _, ...stored } = params(0);
    expect((await ablateTiny(stored as ScanParams)).steps).toBe(2);
  });

  it('runs to the cap when no rule holds, whatever the minimum', async () => {
    const result = await ablateTiny({ ...params(2), ablationStopProb: 0 });
    expect(result.steps).toBe(12);
    expect(result.stoppedBy).toBeNull();
  });

  it("is lifted in the backoff's second pass, which also takes the gentler rate", () => {
    const p = { ...params(2), ablationBackoffLr: 0.01 };
    expect({ ...p, ...backoffPassParams(p) }).toEqual({ ...p, ablationLr: 0.01, ablationMinEpochs: 0 });
  });
});
