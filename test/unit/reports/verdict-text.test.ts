import { describe, expect, it } from 'vitest';
import { conclusion, explainClass } from '../../../src/shared/verdict-text.ts';
import { scanFixture } from '../../fixtures/reports/scan-fixture.ts';

const { result } = scanFixture({ modelSha256: 'a'.repeat(64) });

describe('verdict explanations', () => {
  it('a class above the threshold that transfers to the clean model is explained as filtered', () => {
    const k = { ...result.classes[5], anomalyIndex: 3.34, transferAsr: 0.37, flagged: false };
    const e = explainClass(k, result);
    expect(e.outcome).toBe('filtered');
    expect(e.text).toContain('3.34');
    expect(e.text).toContain('37% ≥ 30%');
  });

  it('a flagged class just above the threshold is borderline, a far one is flagged', () => {
    expect(explainClass({ ...result.classes[3], anomalyIndex: 2.56, flagged: true }, result).outcome).toBe(
      'borderline',
    );
    expect(explainClass({ ...result.classes[3], anomalyIndex: 7.25, flagged: true }, result).outcome).toBe('flagged');
    expect(explainClass({ ...result.classes[0], anomalyIndex: 1.2, flagged: false }, result).outcome).toBe(
      'not-flagged',
    );
  });

  it('without the transfer filter nothing is explained as filtered', () => {
    const k = { ...result.classes[5], anomalyIndex: 3.34, transferAsr: 0.37, flagged: false };
    expect(explainClass(k, { ...result, method: 'nc' }).outcome).toBe('not-flagged');
  });

  it('the conclusion names the target in plain words, and the filtered classes', () => {
    const classes = result.classes.map((k) =>
      k.index === 5 ? { ...k, anomalyIndex: 3.34, transferAsr: 0.37, flagged: false } : k,
    );
    const text = conclusion({ ...result, classes });
    expect(text).toContain('probably contains a backdoor');
    expect(text).toContain('class 3 (cat)');
    expect(text).toContain('Class 5 (dog) scored above the threshold too');
    expect(conclusion({ ...result, verdict: 'clean', target: null, score: 1.1 })).toContain('No backdoor was found');
  });
});
