import { describe, expect, it } from 'vitest';
import { conclusion } from '../../../src/shared/verdict-text.ts';
import { scanFixture } from '../../fixtures/reports/scan-fixture.ts';

const { result } = scanFixture({ modelSha256: 'a'.repeat(64) });

describe('verdict conclusion', () => {
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

  it('calls the evidence borderline for a target just above the threshold', () => {
    const classes = result.classes.map((k) => (k.index === 3 ? { ...k, anomalyIndex: 2.56 } : k));
    expect(conclusion({ ...result, classes })).toContain('The evidence is borderline: anomaly index 2.56');
    expect(conclusion(result)).toContain('The evidence is strong: anomaly index 7.25');
  });
});
