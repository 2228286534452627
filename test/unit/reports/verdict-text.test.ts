import { describe, expect, it } from 'vitest';
import { conclusion, ratioFloor } from '../../../src/shared/verdict-text.ts';
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

  it("with thresholds per class, names the target's own threshold and each class passed only by a raised one", () => {
    const thresholds = (t: Record<number, number>) => result.classes.map((k) => t[k.index] ?? 2);
    const calibration = (t: Record<number, number>) => ({
      rule: 'class' as const,
      base: 2,
      margin: 2,
      threshold: 2,
      classThresholds: thresholds(t),
      clean: [],
    });
    expect(conclusion({ ...result, calibration: calibration({ 3: 4.5 }) })).toContain(
      "anomaly index 7.25 against this class's calibrated threshold of 4.5.",
    );
    // Class 3 raised above its index: the scan passed the model, and the conclusion says why that is weak.
    const passed = result.classes.map((k) => (k.index === 3 ? { ...k, flagged: false } : k));
    const clean = { ...result, verdict: 'clean' as const, target: null, classes: passed };
    const text = conclusion({ ...clean, calibration: calibration({ 3: 8.91, 5: 10.95 }) });
    expect(text).toContain(
      "the largest anomaly index of a class that counts is 7.25, each class's calibrated threshold, 2 or above).",
    );
    expect(text).toContain(
      'Class 3 (cat) (7.25 <= 8.91) is above the base threshold 2 and passed only by its raised per-class threshold: ' +
        'clean models of this task reach such indices there, and so would a trojan aimed at such a class; weigh it with other evidence',
    );
    // Class 5 was raised too, but its index is under the base: not named.
    expect(text).not.toContain('Class 5');
    expect(conclusion({ ...clean, score: 7.25 })).not.toContain('raised');
    // A trojaned verdict at another class says it too: the target named may not be the backdoor's.
    const elsewhere = result.classes.map((k) =>
      k.index === 3 ? { ...k, flagged: false } : k.index === 7 ? { ...k, anomalyIndex: 2.16, flagged: true } : k,
    );
    const other = conclusion({ ...result, target: 7, classes: elsewhere, calibration: calibration({ 3: 8.91 }) });
    expect(other).toContain('classified as class 7 (horse)');
    expect(other).toContain('Class 3 (cat) (7.25 <= 8.91) is above the base threshold 2 and passed only by its raised');
  });

  it('says when the ablation backoff scanned every class twice, and how many classes failed first', () => {
    expect(conclusion(result)).not.toContain('scanned again');
    const firstPass = (asr: number) => ({ asr, maskL1: 300, ablationSteps: 20, ablatedAccTarget: 0 });
    const classes = result.classes.map((k) => ({ ...k, firstPass: firstPass(k.index < 4 ? 0.1 : 0.8) }));
    const params = { ...result.params, ablationBackoffAsr: 0.3, ablationBackoffLr: 5e-4 };
    const text = conclusion({ ...result, params, classes });
    expect(text).toContain('The first unlearning left 4 classes with no working trigger');
    expect(text).toContain('every class was scanned again with a gentler one (rate 0.0005)');
    const full = { ...params, ablationLr: 2e-3, ablationBackoffLr: 2e-3, ablationMinEpochs: 2 };
    expect(conclusion({ ...result, params: full, classes })).toContain(
      'every class was scanned again with a shorter one (rate 0.002, stopping early from the first step)',
    );
  });

  it('cautions when half the classes or more sit at the ratio floor, unless the threshold was calibrated', () => {
    const floor = result.params.ratioMin;
    // The first n classes other than the target at the floor.
    const atFloor = (n: number) => {
      const picked = result.classes
        .filter((k) => k.index !== result.target)
        .slice(0, n)
        .map((k) => k.index);
      return result.classes.map((k) => (picked.includes(k.index) ? { ...k, ratio: floor } : k));
    };
    const half = Math.ceil(result.classes.length / 2);
    expect(conclusion({ ...result, classes: atFloor(half - 1) })).not.toContain('Caution');
    const text = conclusion({ ...result, classes: atFloor(half) });
    expect(text).toContain(`Caution: ${half} of ${result.classes.length} classes have no working trigger`);
    expect(text).toContain('Calibrate the threshold on scans of known-clean models');
    const clean = conclusion({ ...result, verdict: 'clean', target: null, score: 1.1, classes: atFloor(half) });
    expect(clean).toContain('Caution');
    expect(clean.endsWith('does not prove the model is clean.')).toBe(true);
    const calibration = { base: 2, margin: 3, threshold: 3, clean: [] };
    expect(conclusion({ ...result, classes: atFloor(half), calibration })).not.toContain('Caution');
  });

  it('says the index was measured against the working classes where anomalyBaselineWorking left the rest out, without the caution', () => {
    const floor = result.params.ratioMin;
    const n = result.classes.length;
    // Every class but the last three at the floor: the three working ones are the baseline.
    const classes = result.classes.map((k, i) => (i < n - 3 ? { ...k, ratio: floor } : { ...k, ratio: floor + i }));
    const params = { ...result.params, anomalyBaselineWorking: 1 };
    const text = conclusion({ ...result, params, classes });
    expect(text).not.toContain('Caution');
    expect(text).toContain(
      `measured against the 3 classes with a working trigger, not against all ${n}: ${n - 3} have none`,
    );
    // With under three working classes the scan measured against every class, and the caution stands.
    const two = classes.map((k, i) => (i === n - 3 ? { ...k, ratio: floor } : k));
    const fallback = conclusion({ ...result, params, classes: two });
    expect(fallback).toContain(`Caution: ${n - 2} of ${n} classes have no working trigger`);
    expect(fallback).not.toContain('classes with a working trigger, not against');
    // The paper's baseline says nothing of it.
    expect(conclusion({ ...result, classes })).not.toContain('classes with a working trigger, not against');
  });

  it('counts the classes at the ratio floor among those with a ratio (an unscored class has none)', () => {
    const floor = result.params.ratioMin;
    const classes = result.classes.map((k, i) => ({ ...k, ratio: i === 0 ? null : i <= 3 ? floor : floor + 1 }));
    expect(ratioFloor({ ...result, classes })).toEqual({ atFloor: 3, classes: result.classes.length - 1 });
  });
});
