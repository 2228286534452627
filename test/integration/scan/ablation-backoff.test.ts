/**
 * The ablation backoff in a real scan (engine/scan/ablation-backoff.ts, docs/algorithm.md step 2): a first
 * pass whose failed classes reach the count is followed by a second over every class at the gentler
 * rate, equal class for class to a one-pass scan at that rate, each class keeping its first pass; a scan
 * killed in either pass resumes where it stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScan, type ScanOptions } from '../../../src/main/engine/scan/pipeline.ts';
import { failedClasses } from '../../../src/main/engine/scan/ablation-backoff.ts';
import { resolveParams } from '../../../src/shared/scan-params.ts';
import type { ScanEvent } from '../../../src/shared/events.ts';
import type { ClassFinding, ScanResult } from '../../../src/shared/results.ts';
import { loadDemoPair, type DemoPair } from './demo-pair.ts';

let pair: DemoPair;
// Few steps and samples: the machinery, not detection. ASR threshold 1: every class short of a perfect
// trigger counts as failed, so the class count below decides whether this model backs off.
const ONE_PASS = resolveParams({
  maxPerClass: 20,
  inversionSteps: 20,
  ablationMaxEpochs: 1,
  referenceEpochs: 1,
  referenceMinSteps: 0,
  ablationBackoffClasses: 0,
  ablationBackoffAsr: 1,
  ablationBackoffLr: 1e-4,
});
let first: ScanResult;
let gentle: ScanResult;
let failed: number[];

const measures = (c: ClassFinding) => [c.asr, c.maskL1, c.transferAsr, c.ablatedAccTarget, c.ablationSteps];
const firstPassOf = (c: ClassFinding) => ({
  asr: c.asr,
  maskL1: c.maskL1,
  ablationSteps: c.ablationSteps,
  ablatedAccTarget: c.ablatedAccTarget,
});
const unscored = (c: ClassFinding): ClassFinding => {
  const { explanation: _explanation, ...rest } = c;
  return { ...rest, anomalyIndex: null, flagged: null };
};

beforeAll(async () => {
  pair = await loadDemoPair();
  const base: ScanOptions = { model: pair.trojaned, data: pair.held, params: ONE_PASS, seed: 4, workers: 0 };
  first = (await runScan(base)).result;
  gentle = (await runScan({ ...base, params: { ...ONE_PASS, ablationLr: ONE_PASS.ablationBackoffLr } })).result;
  failed = failedClasses(first.classes, ONE_PASS);
}, 300_000);

afterAll(() => {
  pair?.clean.dispose();
  pair?.trojaned.dispose();
});

describe('ablation backoff in a scan', () => {
  it('needs failed classes to test with, and the gentle rate changes what a class measures', () => {
    expect(failed.length).toBeGreaterThan(0);
    expect(gentle.classes.map(measures)).not.toEqual(first.classes.map(measures));
  });

  it('backs off at the class count: every class again at the gentle rate, each with its first pass', async () => {
    const events: ScanEvent[] = [];
    const params = { ...ONE_PASS, ablationBackoffClasses: failed.length };
    const { result, artifacts } = await runScan({
      model: pair.trojaned,
      data: pair.held,
      params,
      seed: 4,
      workers: 2,
      onEvent: (e) => events.push(e),
    });
    expect(result.classes.map(measures)).toEqual(gentle.classes.map(measures));
    expect(result.classes.map((c) => c.anomalyIndex)).toEqual(gentle.classes.map((c) => c.anomalyIndex));
    expect(result.classes.map((c) => c.firstPass)).toEqual(first.classes.map(firstPassOf));
    expect(result.classes.every((c) => c.explanation!.rescan?.toLr === 1e-4)).toBe(true);
    expect(result.classes[0].explanation!.text).toMatch(/Scanned twice: after ablation at rate 0\.002/);
    // One artifact set per class, the second pass's.
    expect(artifacts.map((a) => a.classIndex).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(result.classes.map((c) => c.artifactDigests)).toEqual(gentle.classes.map((c) => c.artifactDigests));
    // Each class is reported twice, first pass before second; progress says why the second pass runs.
    const reported = events.flatMap((e) => (e.type === 'class-result' ? [e.finding] : []));
    expect(reported).toHaveLength(20);
    expect(reported.slice(0, 10).every((f) => !f.firstPass)).toBe(true);
    expect(reported.slice(10).every((f) => f.firstPass)).toBe(true);
    const rescans = events.flatMap((e) => (e.type === 'progress' && e.progress.rescan ? [e.progress] : []));
    expect(rescans.length).toBeGreaterThan(0);
    expect(rescans[0].rescan).toEqual({ failedClasses: failed, ablationLr: 1e-4 });
    expect(rescans[0].classFractions.every((f) => f === 0)).toBe(true);
    expect(rescans.at(-1)!.fraction).toBe(1);
  }, 300_000);

  it('stays at one pass below the class count', async () => {
    const params = { ...ONE_PASS, ablationBackoffClasses: failed.length + 1 };
    const { result } = await runScan({ model: pair.trojaned, data: pair.held, params, seed: 4, workers: 0 });
    expect(result.classes.map(measures)).toEqual(first.classes.map(measures));
    expect(result.classes.every((c) => c.firstPass === undefined && c.explanation!.rescan === null)).toBe(true);
  }, 300_000);

  it('resumes a scan killed in either pass where it stopped', async () => {
    const params = { ...ONE_PASS, ablationBackoffClasses: failed.length };
    const resume = async (completed: ClassFinding[]) => {
      const events: ScanEvent[] = [];
      const { result } = await runScan({
        model: pair.trojaned,
        data: pair.held,
        params,
        seed: 4,
        workers: 0,
        completed,
        onEvent: (e) => events.push(e),
      });
      const ran = events.flatMap((e) => (e.type === 'class-result' ? [[e.finding.index, !!e.finding.firstPass]] : []));
      const rescans = events.flatMap((e) => (e.type === 'progress' && e.progress.rescan ? [e.progress.rescan] : []));
      return { result, ran, rescans };
    };
    // Killed after the first pass's seventh class: its last three, then the second pass over all ten.
    const inFirst = await resume(first.classes.slice(0, 7).map(unscored));
    expect(inFirst.ran).toEqual([
      ...[7, 8, 9].map((k) => [k, false]),
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => [k, true]),
    ]);
    expect(inFirst.result.classes.map(measures)).toEqual(gentle.classes.map(measures));
    // Killed in the second pass, after four of its classes: only the other six, at the gentle rate.
    const second = gentle.classes.map((c, k) => ({ ...unscored(c), firstPass: firstPassOf(first.classes[k]) }));
    const inSecond = await resume([...second.slice(0, 4), ...first.classes.slice(4).map(unscored)]);
    expect(inSecond.ran).toEqual([4, 5, 6, 7, 8, 9].map((k) => [k, true]));
    expect(inSecond.result.classes.map(measures)).toEqual(gentle.classes.map(measures));
    expect(inSecond.result.classes.map((c) => c.firstPass)).toEqual(first.classes.map(firstPassOf));
    // The progress names the first pass's failed classes, not the second pass's.
    expect(inSecond.rescans[0]).toEqual({ failedClasses: failed, ablationLr: 1e-4 });
  }, 300_000);
});

describe('a first pass run in full (ablationMinEpochs) backing off', () => {
  // 180 other-class samples in batches of 80: 3 steps a pass, 18 in 6; a stop window of 3 lets the
  // early stops end a class within them.
  const BOUNDED = resolveParams({ ...ONE_PASS, ablationMaxEpochs: 6, ablationStopWindow: 3 });
  const FULL = { ...BOUNDED, ablationMinEpochs: 6, ablationBackoffClasses: 1, ablationBackoffLr: BOUNDED.ablationLr };

  it('backs off to the bounded ablation at the same rate, each class keeping its full first pass', async () => {
    const base: ScanOptions = { model: pair.trojaned, data: pair.held, seed: 4, workers: 0, params: BOUNDED };
    const bounded = (await runScan(base)).result;
    // The early stops end some class before the cap, so the two ablations differ.
    expect(bounded.classes.some((c) => c.ablationSteps !== null && c.ablationSteps < 18)).toBe(true);
    const { result } = await runScan({ ...base, params: FULL });
    expect(result.classes.map((c) => c.firstPass?.ablationSteps)).toEqual(Array(10).fill(18));
    expect(result.classes.map(measures)).toEqual(bounded.classes.map(measures));
    expect(result.classes[0].explanation!.text).toMatch(/over at least 6 passes.*stopping early from the first step/);
  }, 300_000);
});
