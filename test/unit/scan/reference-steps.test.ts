import { describe, expect, it } from 'vitest';
import { referenceSteps } from '../../../src/main/engine/scan/uma/reference.ts';
import type { ScanContext } from '../../../src/main/engine/scan/context.ts';
import { AUTHORS_PROFILE, DEFAULT_PROFILE } from '../../../src/shared/scan-params.ts';

const withSamples = (count: number) => ({ data: { count } }) as unknown as ScanContext;

describe('reference training budget', () => {
  it('is referenceEpochs passes, raised to referenceMinSteps when the clean set is small', () => {
    // 500 samples, batch 64: 8 steps a pass
    expect(referenceSteps(withSamples(500), AUTHORS_PROFILE)).toBe(3 * 8);
    expect(referenceSteps(withSamples(500), DEFAULT_PROFILE)).toBe(240);
    // 10,000 samples: three passes are already more than the minimum
    expect(referenceSteps(withSamples(10_000), DEFAULT_PROFILE)).toBe(3 * 157);
    expect(referenceSteps(withSamples(10_000), { ...DEFAULT_PROFILE, referenceEpochs: 0 })).toBe(240);
  });
});
