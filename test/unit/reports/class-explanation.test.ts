import { describe, expect, it } from 'vitest';
import { explainClass, withExplanations } from '../../../src/shared/class-explanation.ts';
import type { ClassFinding, ScanResult } from '../../../src/shared/results.ts';
import { scanFixture } from '../../fixtures/reports/scan-fixture.ts';

// The fixture: method uma with the authors' thresholds (anomalyThreshold 2, transferThreshold 0.3,
// ratio clipped to [0.1, 100]); class 3 flagged (ASR 0.99, mask 9.5 px, r 10.4, index 7.25, transfer 0.05).
const { result } = scanFixture({ modelSha256: 'a'.repeat(64) });
const cls = (k: number, over: Partial<ClassFinding> = {}): ClassFinding => ({ ...result.classes[k], ...over });
const withParams = (over: Partial<ScanResult['params']>, method: ScanResult['method'] = 'uma') => ({
  method,
  params: { ...result.params, ...over },
  reference: result.reference,
});

describe('class explanation (UMA with the transfer filter)', () => {
  it('a flagged class: each comparison with the threshold from params, and the sentence', () => {
    const e = explainClass(cls(3), result);
    expect(e).toMatchObject({
      outcome: 'flagged',
      borderline: false,
      anomaly: { index: 7.25, threshold: 2, above: true, statistic: 'paper' },
      transfer: { asr: 0.05, threshold: 0.3, transfers: false },
      trigger: { asr: 0.99, maskL1: 9.5 },
      ratio: { value: 10.4, min: 0.1, max: 100, clipped: null },
      agreesWithScan: true,
    });
    expect(e.text).toBe(
      'Flagged: anomaly index 7.25 > 2; its trigger moves 0.99 of other-class images to this class with a mask ' +
        'of 9.5 px (r = 10.40), and fools the clean reference on only 0.05 (< 0.3).',
    );
  });

  it("a per-class calibration: each class against its own threshold, named as the class's", () => {
    const classThresholds = result.classes.map((k) => (k.index === 3 ? 9 : 2));
    const calibration = { rule: 'class' as const, base: 2, margin: 2, threshold: 2, classThresholds, clean: [] };
    // Class 3's index 7.25 is above the base but not its own threshold 9: passed, as the scan scored it.
    const e = explainClass(cls(3, { flagged: false }), { ...result, calibration });
    expect(e).toMatchObject({
      outcome: 'passed',
      anomaly: { index: 7.25, threshold: 9, perClass: true, above: false },
      agreesWithScan: true,
    });
    expect(e.text).toBe(
      "Passed: anomaly index 7.25 <= 9 (this class's calibrated threshold); above the base threshold 2, so only the raised one passes it.",
    );
    // Under the base too: nothing to add.
    expect(explainClass(cls(3, { anomalyIndex: 1.5, flagged: false }), { ...result, calibration }).text).toBe(
      "Passed: anomaly index 1.50 <= 9 (this class's calibrated threshold).",
    );
    // A class left at the base is still compared with its own (the base), and says so.
    const other = explainClass(cls(5, { anomalyIndex: 4, transferAsr: 0.05, flagged: true }), {
      ...result,
      calibration,
    });
    expect(other.anomaly).toMatchObject({ threshold: 2, perClass: true, above: true });
    expect(other.text).toMatch(/^Flagged: anomaly index 4\.00 > 2 \(this class's calibrated threshold\);/);
    // Without a per-class calibration the threshold is the scan's one anomalyThreshold.
    expect(explainClass(cls(3), result).anomaly).toMatchObject({ threshold: 2, perClass: false });
  });

  it('an anomalous class whose trigger fools the clean reference is filtered, as a natural feature', () => {
    const e = explainClass(cls(5, { anomalyIndex: 2.6, transferAsr: 0.47, flagged: false }), result);
    expect(e).toMatchObject({ outcome: 'filtered', transfer: { asr: 0.47, threshold: 0.3, transfers: true } });
    expect(e.agreesWithScan).toBe(true);
    expect(e.text).toBe(
      'Filtered: anomaly index 2.60 > 2, but the trigger also sends 0.47 of images to this class on the clean ' +
        'reference (>= 0.3): a natural feature of the class, not a planted one.',
    );
  });

  it("names the log robust z when anomalyLogFloor made the index, and the paper's index for results without it", () => {
    const e = explainClass(cls(3), withParams({ anomalyLogFloor: 0.5 }));
    expect(e.anomaly?.statistic).toBe('log-robust-z');
    expect(e.text).toMatch(/^Flagged: anomaly index \(robust z of log r\) 7\.25 > 2;/);
    const { anomalyLogFloor: _, ...older } = result.params;
    expect(explainClass(cls(3), { ...result, params: older as ScanResult['params'] }).anomaly?.statistic).toBe('paper');
  });

  it('a reference that learned too little: the transfer test does not count, and the sentence says why', () => {
    // Class 5's trigger transfers (0.47), which a healthy reference would call natural; a reference at
    // chance (one class for every input) cannot tell, so the scan flagged it by its index alone.
    const weak = { ...result, params: { ...result.params, referenceMinAccuracy: 0.3 } };
    weak.reference = { kind: 'trained', accuracy: 0.1, seconds: 20 };
    const e = explainClass(cls(5, { anomalyIndex: 2.6, transferAsr: 0.47, flagged: true }), weak);
    expect(e).toMatchObject({ outcome: 'flagged', transfer: null, agreesWithScan: true });
    expect(e.text).toMatch(
      /; the transfer test does not count: the clean reference reached only 0\.10 accuracy on its samples \(< referenceMinAccuracy 0\.3\), too little to tell a natural feature from a planted one\.( |$)/,
    );
    // The same class with the fixture's reference (0.61): filtered, as before.
    const healthy = { ...weak, reference: result.reference };
    expect(explainClass(cls(5, { anomalyIndex: 2.6, transferAsr: 0.47, flagged: false }), healthy).outcome).toBe(
      'filtered',
    );
  });

  it('a class the survival test flagged: its own trigger kept its ASR after ablation, with a low index', () => {
    const survival = { maskL1: 129.4, asrModel: 1, asrAblated: 0.95 };
    const k = cls(5, { anomalyIndex: 0.3, transferAsr: 0.1, flagged: true, survival });
    const e = explainClass(k, withParams({ survivalTest: 1, survivalThreshold: 0.8, survivalMinAsr: 0.5 }));
    expect(e).toMatchObject({
      outcome: 'flagged',
      borderline: false,
      agreesWithScan: true,
      survival: { ...survival, minAsr: 0.5, threshold: 0.8, survives: true },
    });
    expect(e.text).toBe(
      'Flagged by the survival test: its own trigger (reversed against the model itself, 129.4 px) moves 1.00 of ' +
        'other-class images here and 0.95 once the class is ablated (>= 0.8). A trigger that works through the ' +
        "class's own features stops working once they are unlearned; a backdoor's keeps working. The anomaly " +
        'index is 0.30 (<= 2).',
    );
  });

  it('a class whose own trigger falls below the survival threshold passed, and the sentence says by how much', () => {
    const survival = { maskL1: 40, asrModel: 0.9, asrAblated: 0.05 };
    const e = explainClass(cls(0, { anomalyIndex: 0.4, survival }), withParams({ survivalThreshold: 0.8 }));
    expect(e).toMatchObject({ outcome: 'passed', agreesWithScan: true, survival: { survives: false } });
    expect(e.text).toBe(
      'Passed: anomaly index 0.40 <= 2. Survival test: its own trigger (reversed against the model itself, ' +
        '40.0 px) moves 0.90 of other-class images here and 0.05 once the class is ablated (< 0.8).',
    );
    // Flagged although nothing here would flag it: the explanation says it disagrees.
    expect(explainClass(cls(0, { anomalyIndex: 0.4, survival, flagged: true }), result).agreesWithScan).toBe(false);
  });

  it('a class at or below the threshold passed', () => {
    const e = explainClass(cls(0, { anomalyIndex: 0.4 }), result);
    expect(e).toMatchObject({ outcome: 'passed', anomaly: { index: 0.4, threshold: 2, above: false } });
    expect(e.text).toBe('Passed: anomaly index 0.40 <= 2.');
    expect(explainClass(cls(0, { anomalyIndex: 2 }), result).outcome).toBe('passed');
  });

  it('a class without an anomaly index (the scan still runs) is pending', () => {
    const e = explainClass(cls(4, { anomalyIndex: null, flagged: null }), result);
    expect(e).toMatchObject({ outcome: 'pending', anomaly: null, borderline: false });
    expect(e.text).toMatch(/^Pending: /);
  });

  it('a flagged class below 1.5 times the threshold is borderline, and says to confirm it', () => {
    const e = explainClass(cls(3, { anomalyIndex: 2.56 }), result);
    expect(e).toMatchObject({ outcome: 'flagged', borderline: true });
    expect(e.text).toMatch(/^Flagged \(borderline, below 1\.5 × the threshold\): anomaly index 2\.56 > 2;/);
    expect(e.text).toContain('Confirm with another seed or more clean data');
  });

  it('reads its thresholds from the params: another threshold, another outcome and sentence', () => {
    const k = cls(5, { anomalyIndex: 2.6, transferAsr: 0.47, flagged: false });
    expect(explainClass(k, withParams({ anomalyThreshold: 3 }))).toMatchObject({
      outcome: 'passed',
      text: 'Passed: anomaly index 2.60 <= 3.',
    });
    // Scored with a transfer threshold of 0.5 this class was flagged, and the sentence quotes 0.5.
    const flagged = explainClass({ ...k, flagged: true }, withParams({ transferThreshold: 0.5 }));
    expect(flagged).toMatchObject({ outcome: 'flagged', transfer: { threshold: 0.5, transfers: false } });
    expect(flagged.agreesWithScan).toBe(true);
    expect(flagged.text).toContain('fools the clean reference on only 0.47 (< 0.5)');
    // The borderline band moves with the threshold too.
    expect(explainClass(cls(3, { anomalyIndex: 2.56 }), withParams({ anomalyThreshold: 1 })).borderline).toBe(false);
  });

  it('says when r_k sat at a clip: a class with no trigger at ratioMin, a huge ratio at ratioMax', () => {
    const none = explainClass(cls(1, { asr: 0, maskL1: 190, ratio: 0.1, anomalyIndex: -0.8 }), result);
    expect(none).toMatchObject({ outcome: 'passed', ratio: { value: 0.1, clipped: 'ratioMin' } });
    expect(none.text).toBe(
      'Passed: anomaly index -0.80 <= 2; its trigger moves 0.00 of other-class images to this class with a mask ' +
        'of 190.0 px (r = 0.10, clipped at ratioMin 0.1).',
    );
    const huge = cls(3, { asr: 1, maskL1: 0.5, ratio: 100 });
    expect(explainClass(huge, result).text).toContain('(r = 100.00, clipped at ratioMax 100)');
    expect(explainClass(huge, withParams({ ratioMax: 250 })).ratio?.clipped).toBeNull();
  });

  it("says when the first-step calibration lowered the class's unlearning rate, from the pass's own rate", () => {
    const p = withParams({ ablationLr: 2e-3, ablationStepDrop: 0.1, ablationBackoffLr: 1e-3 });
    const e = explainClass(cls(3, { ablationLr: 5e-4 }), p);
    expect(e.calibration).toEqual({ fromLr: 2e-3, toLr: 5e-4, maxDrop: 0.1 });
    expect(e.text).toMatch(
      /\(< 0\.3\)\. Unlearned at rate 0\.0005, not 0\.002: a first step at the higher rate took more than 10% of the class's probability on its own images/,
    );
    // At the pass's own rate (or a result stored without the rate) there is nothing to say.
    expect(explainClass(cls(3, { ablationLr: 2e-3 }), p).calibration).toBeNull();
    expect(explainClass(cls(3), p).calibration).toBeNull();
    // A backoff's second pass starts from the backoff's rate.
    const second = cls(3, {
      ablationLr: 5e-4,
      firstPass: { asr: 0.1, maskL1: 300, ablationSteps: 20, ablatedAccTarget: 0 },
    });
    expect(explainClass(second, p).calibration).toEqual({ fromLr: 1e-3, toLr: 5e-4, maxDrop: 0.1 });
  });

  it('says so, instead of contradicting the verdict, when the stored flag follows a rule it does not know', () => {
    const e = explainClass(cls(5, { anomalyIndex: 3.34, transferAsr: 0.05, flagged: false }), result);
    expect(e).toMatchObject({ outcome: 'filtered', agreesWithScan: false });
    expect(e.text).toBe(
      'Filtered: the scan did not flag this class, though by these thresholds (anomaly index 3.34 > 2, transfer ' +
        '0.05 vs 0.3) it would be: a scoring rule this explanation does not cover.',
    );
    const flagged = explainClass(cls(0, { anomalyIndex: 1.2, flagged: true }), result);
    expect(flagged).toMatchObject({ outcome: 'flagged', agreesWithScan: false });
  });
});

describe('class explanation (other methods)', () => {
  it('Neural Cleanse: no ratio, no transfer test, the mask norm against the median', () => {
    const nc = { ...result, method: 'nc' as const };
    const e = explainClass(cls(3, { ratio: null, transferAsr: null }), nc);
    expect(e).toMatchObject({ outcome: 'flagged', ratio: null, transfer: null, agreesWithScan: true });
    expect(e.anomaly?.statistic).toBe('neural-cleanse');
    expect(e.text).toBe(
      "Flagged: anomaly index 7.25 > 2; its mask of 9.5 px is far smaller than the median class's (Neural Cleanse), " +
        'and its trigger moves 0.99 of other-class images to this class.',
    );
    expect(explainClass(cls(0, { ratio: null, transferAsr: null }), nc).text).toBe('Passed: anomaly index -0.50 <= 2.');
  });

  it('without the transfer filter a stored transfer ASR does not count, and an anomalous class is flagged', () => {
    const k = cls(5, { anomalyIndex: 3.34, transferAsr: 0.37, flagged: true });
    const e = explainClass(k, { ...result, method: 'uma-nofilter' });
    expect(e).toMatchObject({ outcome: 'flagged', transfer: null, agreesWithScan: true });
    expect(e.text).toMatch(/\(r = 1\.30\); this method has no transfer filter\.$/);
    // On uma (filter on) the same stored numbers could not have been flagged: the explanation says so.
    expect(explainClass(k, result).agreesWithScan).toBe(false);
  });

  it('uma-noablation keeps the transfer filter; a null transfer ASR (no test ran) counts as not transferring', () => {
    const k = cls(5, { anomalyIndex: 3.34, transferAsr: 0.37, flagged: false });
    expect(explainClass(k, { ...result, method: 'uma-noablation' }).outcome).toBe('filtered');
    const untested = explainClass(cls(3, { transferAsr: null }), result);
    expect(untested).toMatchObject({ outcome: 'flagged', transfer: null, agreesWithScan: true });
    expect(untested.text).toMatch(/; no transfer test ran\.$/);
  });
});

describe('withExplanations', () => {
  it('gives every class of a result the explanation of its own fields, changing nothing else', () => {
    const explained = withExplanations(result);
    expect(explained.classes.map((k) => k.explanation)).toEqual(result.classes.map((k) => explainClass(k, result)));
    expect(explained.classes.map(({ explanation: _e, ...k }) => k)).toEqual(result.classes);
    expect(explained.classes.filter((k) => k.explanation.outcome === 'flagged').map((k) => k.index)).toEqual([3]);
  });
});
