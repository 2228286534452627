import { describe, expect, it } from 'vitest';
import { mad, median, scoreNeuralCleanse, scoreUma, ratioOf } from '../../../src/main/engine/scan/anomaly.ts';
import { DynamicLambda, nextT } from '../../../src/main/engine/scan/uma/lambda.ts';
import { paramsSha256 } from '../../../src/main/util/params-digest.ts';
import { resolveParams } from '../../../src/shared/scan-params.ts';
import { canonicalJson } from '../../../src/main/util/digest.ts';
import { BatchSampler } from '../../../src/main/engine/scan/sampler.ts';
import { mulberry32 } from '../../../src/main/engine/random.ts';
import {
  ANOMALY_BASELINE_MIN_CLASSES,
  anomalyBaseline,
  AUTHORS_PROFILE,
  transferCounts,
  BOUNDED_ABLATION,
  DEFAULT_PROFILE,
  PROFILES,
  TRANSFER_SUBSAMPLE,
} from '../../../src/shared/scan-params.ts';

const S = {
  ratioMin: 0.1,
  ratioMax: 100,
  anomalyThreshold: 2,
  transferThreshold: 0.3,
  anomalyLogFloor: 0,
  anomalyBaselineWorking: 0,
  survivalThreshold: 0.8,
  survivalMinAsr: 0.5,
};

describe('anomaly index', () => {
  it('median and MAD', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
  });

  it('r_k = 100 ASR / |mask|, clipped to [0.1, 100]', () => {
    expect(ratioOf({ asr: 0.9, maskL1: 9 }, S)).toBeCloseTo(10);
    expect(ratioOf({ asr: 0.01, maskL1: 500 }, S)).toBe(0.1);
    expect(ratioOf({ asr: 1, maskL1: 0.5 }, S)).toBe(100);
  });

  it('a_k = (r_k - med) / ((MAD + med) / 2), flags an outlier whose trigger does not transfer', () => {
    // ratios: 1,1,1,1,10 -> med 1, MAD 0, scale 0.5, a = 18 for the outlier
    const m = [1, 1, 1, 1].map(() => ({ asr: 1, maskL1: 100, transferAsr: 0.1 }));
    const out = scoreUma([...m, { asr: 1, maskL1: 10, transferAsr: 0.05 }], S);
    expect(out.classes[4].anomalyIndex).toBeCloseTo(18);
    expect(out.classes[0].anomalyIndex).toBeCloseTo(0);
    expect(out.classes[4].flagged).toBe(true);
    expect(out.target).toBe(4);
    expect(out.score).toBeCloseTo(18);
  });

  it('the transfer filter drops natural triggers from flags and from the model score', () => {
    const m = [1, 1, 1, 1].map(() => ({ asr: 1, maskL1: 100, transferAsr: 0.1 }));
    const out = scoreUma([...m, { asr: 1, maskL1: 10, transferAsr: 0.9 }], S);
    expect(out.classes[4].flagged).toBe(false);
    expect(out.target).toBeNull();
    expect(out.score).toBeCloseTo(0);
    const nofilter = scoreUma([...m, { asr: 1, maskL1: 10, transferAsr: null }], S);
    expect(nofilter.target).toBe(4);
  });

  it('the transfer test counts only for a method that has it, on a reference that learned', () => {
    const tuned = { referenceMinAccuracy: 0.3 };
    expect(transferCounts('uma', tuned, { accuracy: 0.96 })).toBe(true);
    // A reference that predicts one class for everything (CIFAR-10 before the ONNX import fix: 0.10).
    expect(transferCounts('uma', tuned, { accuracy: 0.1 })).toBe(false);
    expect(transferCounts('uma', { referenceMinAccuracy: 0 }, { accuracy: 0.1 })).toBe(true);
    expect(transferCounts('uma', tuned, { accuracy: null })).toBe(true); // supplied, accuracy unknown
    expect(transferCounts('uma-noablation', tuned, { accuracy: 0.5 })).toBe(true);
    expect(transferCounts('uma-nofilter', tuned, { accuracy: 1 })).toBe(false);
    expect(transferCounts('nc', tuned, null)).toBe(false);
    // Results stored before the parameter existed: the test always counted.
    expect(transferCounts('uma', {} as typeof tuned, { accuracy: 0.1 })).toBe(true);
  });

  it('the survival test flags a class whose own trigger keeps its ASR after ablation, whatever its index', () => {
    const gone = { maskL1: 40, asrModel: 0.9, asrAblated: 0.05 };
    const m = [1, 1, 1, 1].map(() => ({ asr: 1, maskL1: 100, transferAsr: 0.1, survival: gone }));
    // Class 4: a whole-image trigger, no smaller than the others, that survives the ablation (0.95 >= 0.8).
    const out = scoreUma([...m, { asr: 1, maskL1: 100, transferAsr: 0.5, survival: { ...gone, asrAblated: 0.95 } }], S);
    expect(out.classes[4].anomalyIndex).toBeCloseTo(0);
    expect(out.classes[4].survivalScore).toBeCloseTo((2 * 0.95) / 0.8);
    expect(out.classes[4].flagged).toBe(true);
    expect(out.target).toBe(4);
    expect(out.score).toBeCloseTo((2 * 0.95) / 0.8);
    expect(out.classes[0].flagged).toBe(false);
  });

  it('the survival test: just below the threshold, or a trigger that fails on the model itself, does not flag', () => {
    const gone = { maskL1: 40, asrModel: 0.9, asrAblated: 0 };
    const m = [1, 1, 1, 1].map(() => ({ asr: 1, maskL1: 100, transferAsr: 0.1, survival: gone }));
    const below = scoreUma([...m, { asr: 1, maskL1: 100, transferAsr: 0, survival: { ...gone, asrAblated: 0.79 } }], S);
    expect(below.classes[4].flagged).toBe(false);
    expect(below.target).toBeNull();
    expect(below.score).toBeLessThan(2);
    const weak = { maskL1: 300, asrModel: 0.4, asrAblated: 0.9 };
    const failsOnM = scoreUma([...m, { asr: 1, maskL1: 100, transferAsr: 0, survival: weak }], S);
    expect(failsOnM.classes[4].survivalScore).toBeNull();
    expect(failsOnM.classes[4].flagged).toBe(false);
  });

  it('the flagged class with the largest index is the target', () => {
    const base = [1, 1, 1, 1, 1, 1].map(() => ({ asr: 1, maskL1: 100, transferAsr: 0 }));
    base[1] = { asr: 1, maskL1: 20, transferAsr: 0 };
    base[3] = { asr: 1, maskL1: 10, transferAsr: 0 };
    const out = scoreUma(base, S);
    expect(out.classes.filter((c) => c.flagged)).toHaveLength(2);
    expect(out.target).toBe(3);
  });

  it("the paper's index explodes when most inversions fail; the log robust z keeps its scale", () => {
    // Eight classes at ratioMin (no trigger found), one natural class at r = 2, one at r = 3.
    const failed = Array.from({ length: 8 }, () => ({ asr: 0.05, maskL1: 200, transferAsr: 0 }));
    const m = [...failed, { asr: 0.8, maskL1: 40, transferAsr: 0 }, { asr: 0.9, maskL1: 30, transferAsr: 0 }];
    expect(scoreUma(m, S).classes[9].anomalyIndex).toBeCloseTo((3 - 0.1) / 0.05);
    const log = scoreUma(m, { ...S, anomalyLogFloor: 1 });
    // MAD of the logs is 0 (eight equal values), so the floor is the scale: log(3 / 0.1) / 1.
    expect(log.classes[9].anomalyIndex).toBeCloseTo(Math.log(30));
    expect(log.classes[0].anomalyIndex).toBeCloseTo(0);
    // With spread ratios the scale is 1.4826 MAD of log r, above the floor.
    const spread = [1, 2, 4, 8, 16, 1000].map((r) => ({ asr: 1, maskL1: 100 / r, transferAsr: 0 }));
    const logs = [1, 2, 4, 8, 16, 100].map(Math.log);
    const z = scoreUma(spread, { ...S, anomalyLogFloor: 0.1 });
    expect(z.classes[5].anomalyIndex).toBeCloseTo((Math.log(100) - median(logs)) / (1.4826 * mad(logs)));
    // About 1.6: in an even geometric spread the largest is no outlier at threshold 2.
    expect(z.classes[5].anomalyIndex).toBeLessThan(2);
    expect(z.target).toBeNull();
  });

  it('anomalyBaselineWorking measures each class against the classes with a working trigger only', () => {
    // Eight classes at ratioMin, four natural ones at r = 2, 2, 2.5, 3: against all twelve the class at
    // r = 3 scores (3 - 0.1) / 0.05 = 58; against the four working ones, med 2.25, MAD 0.25, scale 1.25.
    const failed = Array.from({ length: 8 }, () => ({ asr: 0.05, maskL1: 200, transferAsr: 0 }));
    const natural = [2, 2, 2.5, 3].map((r) => ({ asr: 1, maskL1: 100 / r, transferAsr: 0 }));
    const m = [...failed, ...natural];
    expect(scoreUma(m, S).classes[11].anomalyIndex).toBeCloseTo(58);
    const working = scoreUma(m, { ...S, anomalyBaselineWorking: 1 });
    expect(working.classes[11].anomalyIndex).toBeCloseTo((3 - 2.25) / 1.25);
    expect(working.target).toBeNull();
    // The unreachable classes are still scored, against the same baseline, far below it.
    expect(working.classes[0].anomalyIndex).toBeCloseTo((0.1 - 2.25) / 1.25);
    // A backdoor's target among them stays an outlier: over five working classes med 2.5, MAD 0.5, scale 1.5.
    const trojan = scoreUma([...m, { asr: 1, maskL1: 5, transferAsr: 0 }], { ...S, anomalyBaselineWorking: 1 });
    expect(trojan.target).toBe(12);
    expect(trojan.classes[12].anomalyIndex).toBeCloseTo((20 - 2.5) / 1.5);
  });

  it(`anomalyBaselineWorking keeps every class as the baseline when under ${ANOMALY_BASELINE_MIN_CLASSES} have a working trigger`, () => {
    // Only the target and one natural class are reachable: measured against those two alone the target
    // would sit near their median; against every class it is the outlier it is.
    const failed = Array.from({ length: 8 }, () => ({ asr: 0.05, maskL1: 200, transferAsr: 0 }));
    const m = [...failed, { asr: 1, maskL1: 50, transferAsr: 0 }, { asr: 1, maskL1: 5, transferAsr: 0 }];
    const paper = scoreUma(m, S);
    const working = scoreUma(m, { ...S, anomalyBaselineWorking: 1 });
    expect(working.classes.map((c) => c.anomalyIndex)).toEqual(paper.classes.map((c) => c.anomalyIndex));
    expect(working.target).toBe(9);
    expect(anomalyBaseline([0.1, 0.1, 2, 20], { ratioMin: 0.1, anomalyBaselineWorking: 1 })).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(anomalyBaseline([0.1, 3, 2, 20], { ratioMin: 0.1, anomalyBaselineWorking: 1 })).toEqual([
      false,
      true,
      true,
      true,
    ]);
    expect(anomalyBaseline([0.1, 3, 2, 20], { ratioMin: 0.1 })).toEqual([true, true, true, true]);
  });

  it('Neural Cleanse: (median - L1) / (1.4826 MAD), small masks are outliers', () => {
    const out = scoreNeuralCleanse([100, 110, 90, 105, 95, 10], 2);
    expect(out.target).toBe(5);
    const med = 97.5;
    expect(out.classes[5].anomalyIndex).toBeCloseTo((med - 10) / (1.4826 * mad([100, 110, 90, 105, 95, 10])));
    expect(scoreNeuralCleanse([100, 101, 99, 100], 2).target).toBeNull();
  });
});

describe('dynamic lambda schedule', () => {
  const s = { low: 0.6, high: 0.9, delta: 10, growth: 0 };
  it('relaxes below l, tightens above u, holds between', () => {
    expect(nextT(9, 0.5, s)).toBe(19);
    expect(nextT(19, 0.95, s)).toBe(9);
    expect(nextT(9, 0.95, s)).toBeCloseTo(0.9);
    expect(nextT(9, 0.7, s)).toBe(9);
  });

  it('with growth > 0 relaxes and tightens by the factor 1 + growth, ignoring delta', () => {
    const r = { ...s, growth: 1 };
    expect(nextT(9, 0.5, r)).toBe(18);
    expect(nextT(18, 0.95, r)).toBe(9);
    expect(nextT(9, 0.95, r)).toBe(4.5);
    expect(nextT(9, 0.7, r)).toBe(9);
    let T = 9;
    for (let w = 0; w < 10; w++) T = nextT(T, 0, r);
    expect(T).toBe(9 * 2 ** 10); // where the additive schedule reaches 109
  });

  it("updates T only at the end of each window, from that window's mean ASR", () => {
    const lambda = new DynamicLambda({ T: 9, window: 10, ...s });
    for (let i = 0; i < 9; i++) lambda.record(0);
    expect(lambda.T).toBe(9);
    lambda.record(0);
    expect(lambda.T).toBe(19);
    expect(lambda.weight).toBeCloseTo(1 / 19);
    for (let i = 0; i < 10; i++) lambda.record(1);
    expect(lambda.T).toBe(9);
  });
});

describe('parameters', () => {
  it("defaults to the tuned profile: the authors' constants with a longer reference training and the issue-12 bounds", () => {
    expect(resolveParams()).toEqual(DEFAULT_PROFILE);
    expect(PROFILES.tuned).toBe(DEFAULT_PROFILE);
    const differs = (Object.keys(AUTHORS_PROFILE) as (keyof typeof AUTHORS_PROFILE)[]).filter(
      (k) => AUTHORS_PROFILE[k] !== DEFAULT_PROFILE[k],
    );
    expect(differs.sort()).toEqual(
      [
        'referenceMinSteps',
        'referenceMinAccuracy',
        ...Object.keys(BOUNDED_ABLATION),
        ...Object.keys(TRANSFER_SUBSAMPLE),
      ].sort(),
    );
    expect(AUTHORS_PROFILE.referenceMinSteps).toBe(0);
    expect(AUTHORS_PROFILE.referenceMinAccuracy).toBe(0); // the paper filters whatever the reference learned
    // The authors' profile: the 5-epoch cap, the probability stop alone, the transfer test on every sample.
    expect([
      AUTHORS_PROFILE.ablationMaxEpochs,
      AUTHORS_PROFILE.ablationStopAcc,
      AUTHORS_PROFILE.ablationPlateauSteps,
      AUTHORS_PROFILE.transferMaxSamples,
    ]).toEqual([5, 0, 0, 0]);
    expect(resolveParams(PROFILES.authors)).toEqual(AUTHORS_PROFILE);
    // The survival profile is the default with the survival test on, nothing else.
    expect(PROFILES.survival).toEqual({ ...DEFAULT_PROFILE, survivalTest: 1 });
    expect(DEFAULT_PROFILE.survivalTest).toBe(0);
  });

  it('validates overrides', () => {
    expect(resolveParams({ inversionSteps: 10 }).inversionSteps).toBe(10);
    expect(() => resolveParams({ inversionSteps: 0 })).toThrow(/inversionSteps' must be an integer >= 1, not 0/);
    expect(() => resolveParams({ bogus: 1 } as never)).toThrow(/unknown scan parameter 'bogus'/);
    expect(() => resolveParams({ freezeRatio: 1.5 })).toThrow(/freezeRatio' must be a number in \[0, 1\), not 1.5/);
    expect(() => resolveParams({ referenceMinSteps: -1 })).toThrow(/referenceMinSteps' must be an integer >= 0/);
    expect(resolveParams({ maxPerClass: null }).maxPerClass).toBeNull();
    expect(() => resolveParams({ inversionBatch: null } as never)).toThrow(
      /inversionBatch' must be an integer >= 1; it cannot be empty/,
    );
    expect(resolveParams({ referenceMinSteps: 0 }).referenceMinSteps).toBe(0);
  });

  it('hashes parameters canonically', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe('{"a":[2,{"c":2,"d":1}],"b":1}');
    const p = resolveParams();
    expect(paramsSha256(p, 'uma', 1)).toBe(paramsSha256({ ...p }, 'uma', 1));
    expect(paramsSha256(p, 'uma', 1)).not.toBe(paramsSha256(p, 'uma', 2));
  });
});

describe('batch sampler', () => {
  it('draws epochs without replacement, with replacement when the pool is smaller than a batch', () => {
    const s = new BatchSampler([0, 1, 2, 3, 4, 5], 3, mulberry32(1));
    const epoch = [...s.next(), ...s.next()].sort();
    expect(epoch).toEqual([0, 1, 2, 3, 4, 5]);
    const small = new BatchSampler([7, 8], 5, mulberry32(1));
    const b = small.next();
    expect(b).toHaveLength(5);
    expect(b.every((i) => i === 7 || i === 8)).toBe(true);
  });
});
