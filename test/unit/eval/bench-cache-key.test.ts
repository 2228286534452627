/** The bench's scan cache key (cachePath): what changes a measurement changes the key, nothing else does. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachePath } from '../../../src/main/eval/bench.ts';
import { paramsSha256 } from '../../../src/main/util/params-digest.ts';
import { AUTHORS_PROFILE, DEFAULT_PROFILE, type ScanParams } from '../../../src/shared/scan-params.ts';

describe('bench cache key', () => {
  it('keeps the key of scans cached before later parameters, at their old behaviour; other values change it', () => {
    const before: Partial<ScanParams> = { ...AUTHORS_PROFILE };
    delete before.inversionRestarts;
    delete before.lambdaGrowth;
    delete before.ablationFreezeHead;
    delete before.ablationMinEpochs;
    delete before.survivalTest;
    delete before.survivalThreshold;
    delete before.survivalMinAsr;
    delete before.referenceMinAccuracy;
    delete before.ablationBackoffClasses;
    delete before.ablationBackoffAsr;
    delete before.ablationBackoffLr;
    delete before.ablationStepDrop;
    delete before.ablationStepHalvings;
    delete before.anomalyBaselineWorking;
    const earlier = paramsSha256(before as ScanParams, 'uma', 7).slice(0, 16);
    expect(cachePath('d', 'uma', AUTHORS_PROFILE, 7)).toBe(join('d', `scan-uma-${earlier}.json`));
    const keys = [
      { inversionRestarts: 3 },
      { lambdaGrowth: 1 },
      { ablationFreezeHead: 1 },
      { ablationMinEpochs: 2 },
      { survivalTest: 1 },
      { ablationBackoffClasses: 3 },
      { ablationStepDrop: 0.5 },
      { ablationStepDrop: 0.5, ablationStepHalvings: 2 },
    ].map((change) => cachePath('d', 'uma', { ...AUTHORS_PROFILE, ...change }, 7));
    expect(new Set([...keys, cachePath('d', 'uma', AUTHORS_PROFILE, 7)]).size).toBe(9);
    // The first-step calibration's bound measures nothing while the calibration is off.
    expect(cachePath('d', 'uma', { ...AUTHORS_PROFILE, ablationStepHalvings: 2 }, 7)).toBe(
      cachePath('d', 'uma', AUTHORS_PROFILE, 7),
    );
    // The backoff's rate and threshold measure nothing while it is off; methods that do not ablate never back off.
    expect(cachePath('d', 'uma', { ...AUTHORS_PROFILE, ablationBackoffLr: 1e-4, ablationBackoffAsr: 0.5 }, 7)).toBe(
      cachePath('d', 'uma', AUTHORS_PROFILE, 7),
    );
    for (const method of ['nc', 'uma-noablation'] as const)
      expect(cachePath('d', method, { ...AUTHORS_PROFILE, ablationBackoffClasses: 3 }, 7)).toBe(
        cachePath('d', method, AUTHORS_PROFILE, 7),
      );
  });

  it('ignores score-only parameters and follows measuring ones', () => {
    const base = cachePath('d', 'uma', DEFAULT_PROFILE, 1);
    expect(cachePath('d', 'uma', { ...DEFAULT_PROFILE, anomalyThreshold: 3, transferThreshold: 0.5 }, 1)).toBe(base);
    expect(cachePath('d', 'uma', { ...DEFAULT_PROFILE, survivalThreshold: 0.6, survivalMinAsr: 0.7 }, 1)).toBe(base);
    expect(cachePath('d', 'uma', { ...DEFAULT_PROFILE, referenceMinAccuracy: 0 }, 1)).toBe(base);
    expect(cachePath('d', 'uma', { ...DEFAULT_PROFILE, anomalyBaselineWorking: 1, anomalyLogFloor: 0.5 }, 1)).toBe(
      base,
    );
    expect(cachePath('d', 'uma', { ...DEFAULT_PROFILE, inversionSteps: 100 }, 1)).not.toBe(base);
  });
});
