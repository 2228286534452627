import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScan, type ScanOptions } from '../../../src/main/engine/scan/pipeline.ts';
import { subset } from '../../../src/main/engine/data/index.ts';
import { resolveParams, SCAN_METHODS } from '../../../src/shared/scan-params.ts';
import type { ScanEvent, ScanProgress } from '../../../src/shared/events.ts';
import { loadDemoPair, type DemoPair } from './demo-pair.ts';

let pair: DemoPair;
// Few steps and samples: these tests check the machinery, not detection.
const QUICK = resolveParams({
  maxPerClass: 20,
  inversionSteps: 20,
  ablationMaxEpochs: 1,
  ncSteps: 20,
  referenceEpochs: 1,
  referenceMinSteps: 0,
});

beforeAll(async () => {
  pair = await loadDemoPair();
}, 120_000);

afterAll(() => {
  pair?.clean.dispose();
  pair?.trojaned.dispose();
});

const numbers = (r: Awaited<ReturnType<typeof runScan>>['result']) =>
  r.classes.map((c) => [
    c.asr,
    c.maskL1,
    c.transferAsr,
    c.ablatedAccTarget,
    c.ablatedAccOther,
    c.ablationSteps,
    c.anomalyIndex,
    c.artifactDigests.map((d) => d.sha256),
  ]);

describe('scan pipeline', () => {
  it('repeats exactly for the same seed, on this thread or on two workers, and differs for another seed', async () => {
    const base: ScanOptions = { model: pair.trojaned, data: pair.held, params: QUICK, seed: 5 };
    const inline: ScanProgress[] = [];
    const pooled: ScanProgress[] = [];
    const progressInto = (list: ScanProgress[]) => (e: ScanEvent) => {
      if (e.type === 'progress') list.push(e.progress);
    };
    const a = await runScan({ ...base, workers: 0, onEvent: progressInto(inline) });
    const b = await runScan({ ...base, workers: 2, onEvent: progressInto(pooled) });
    const c = await runScan({ ...base, workers: 0, seed: 6 });
    expect(numbers(b.result)).toEqual(numbers(a.result));
    // Every progress event names every worker: the pool's two by id, or this thread as worker 0.
    expect(new Set(inline.map((p) => p.workers.map((w) => w.worker).join()))).toEqual(new Set(['0']));
    expect(new Set(pooled.map((p) => p.workers.map((w) => w.worker).join()))).toEqual(new Set(['1,2']));
    // Each worker is seen at work, on the stages it ran: the reference model trains on one while classes go on.
    for (const id of [1, 2]) {
      const stages = new Set(pooled.flatMap((p) => p.workers.filter((w) => w.worker === id).map((w) => w.stage)));
      expect(stages.has('inversion') || stages.has('reference'), `worker ${id}: ${[...stages].join()}`).toBe(true);
    }
    const busyAtOnce = pooled.some((p) => p.workers.every((w) => w.stage !== null));
    expect(busyAtOnce).toBe(true);
    expect(pooled.some((p) => p.workers.some((w) => w.stage === 'reference'))).toBe(true);
    expect(pooled.some((p) => p.workers.some((w) => w.stage === 'transfer' && w.classIndex !== null))).toBe(true);
    expect(pooled.at(-1)!.workers.every((w) => w.stage === null)).toBe(true);
    expect(a.result.paramsSha256).toBe(b.result.paramsSha256);
    expect(numbers(c.result)).not.toEqual(numbers(a.result));
  }, 300_000);

  it('the survival test adds a measure per class, a progress stage, and leaves the other measurements as they were', async () => {
    const base: ScanOptions = { model: pair.trojaned, data: pair.held, params: QUICK, seed: 5, workers: 0 };
    const without = await runScan(base);
    const stages = new Set<string>();
    const fractions: number[] = [];
    const withTest = await runScan({
      ...base,
      params: { ...QUICK, survivalTest: 1 },
      workers: 2,
      onEvent: (e) => {
        if (e.type !== 'progress') return;
        stages.add(e.progress.stage);
        fractions.push(e.progress.fraction);
      },
    });
    expect(numbers(withTest.result)).toEqual(numbers(without.result));
    expect(without.result.classes.every((c) => c.survival === undefined)).toBe(true);
    for (const c of withTest.result.classes) {
      const s = c.survival!;
      expect(s.maskL1).toBeGreaterThan(0);
      for (const asr of [s.asrModel, s.asrAblated]) expect(asr >= 0 && asr <= 1).toBe(true);
      expect(c.stageSeconds?.survival).toBeGreaterThan(0);
      expect(c.explanation?.survival).toMatchObject({ asrAblated: s.asrAblated, threshold: QUICK.survivalThreshold });
    }
    expect(stages.has('survival')).toBe(true);
    expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1] - 1e-9)).toBe(true);
    expect(fractions.at(-1)).toBe(1);
  }, 300_000);

  it('runs every method with one result shape', async () => {
    const halvings = Array.from(
      { length: QUICK.ablationStepDrop > 0 ? QUICK.ablationStepHalvings + 1 : 1 },
      (_, n) => n,
    );
    for (const method of SCAN_METHODS) {
      const { result } = await runScan({
        model: pair.trojaned,
        data: pair.held,
        method,
        params: QUICK,
        workers: 0,
        seed: 1,
      });
      expect(result.method).toBe(method);
      expect(result.classes).toHaveLength(10);
      for (const c of result.classes) {
        expect(typeof c.asr).toBe('number');
        expect(typeof c.anomalyIndex).toBe('number');
        expect(typeof c.flagged).toBe('boolean');
        expect(c.transferAsr === null).toBe(method === 'uma-nofilter' || method === 'nc');
        expect(c.ablatedAccTarget === null).toBe(method === 'uma-noablation' || method === 'nc');
        // The rate the ablation ran at: ablationLr, or that halved by the first-step calibration.
        if (c.ablatedAccTarget === null) expect(c.ablationLr).toBeNull();
        else expect(Math.log2(QUICK.ablationLr / c.ablationLr!)).toBeOneOf(halvings);
        expect(c.ratio === null).toBe(method === 'nc');
      }
      expect(['trojaned', 'clean']).toContain(result.verdict);
    }
  }, 300_000);

  it('resumes: classes already done are not run again', async () => {
    const first = await runScan({ model: pair.trojaned, data: pair.held, params: QUICK, workers: 0, seed: 3 });
    const done = first.result.classes.slice(0, 7).map((c) => ({ ...c, anomalyIndex: null, flagged: null }));
    const events: ScanEvent[] = [];
    const resumed = await runScan({
      model: pair.trojaned,
      data: pair.held,
      params: QUICK,
      workers: 0,
      seed: 3,
      completed: done,
      onEvent: (e) => events.push(e),
    });
    const ran = events.flatMap((e) => (e.type === 'class-result' ? [e.finding.index] : []));
    expect(ran.sort()).toEqual([7, 8, 9]);
    expect(numbers(resumed.result)).toEqual(numbers(first.result));
  }, 300_000);

  it('cancels: the run rejects with CANCELLED and no class result comes after the abort', async () => {
    const abort = new AbortController();
    const afterAbort: ScanEvent[] = [];
    const run = runScan({
      model: pair.trojaned,
      data: pair.held,
      params: resolveParams({ maxPerClass: 50 }),
      workers: 2,
      seed: 1,
      signal: abort.signal,
      onEvent: (e) => {
        if (abort.signal.aborted) afterAbort.push(e);
        else if (e.type === 'progress' && e.progress.stage === 'inversion') abort.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(afterAbort.filter((e) => e.type === 'class-result' || e.type === 'done')).toEqual([]);
  }, 300_000);

  it('refuses data that does not fit the model, naming the problem', async () => {
    const wrong = { ...pair.held, height: 14, width: 56 };
    await expect(runScan({ model: pair.clean, data: wrong, params: QUICK, workers: 0 })).rejects.toThrow(
      /images are 14x56x1 but the model expects 28x28x1/,
    );
    const nine = subset(
      pair.held,
      Array.from({ length: pair.held.count }, (_, i) => i).filter((i) => pair.held.labels[i] !== 9),
    );
    await expect(
      runScan({
        model: pair.clean,
        data: { ...nine, classNames: nine.classNames.slice(0, 9) },
        params: QUICK,
        workers: 0,
      }),
    ).rejects.toThrow(/data has 9 classes .* but the model has 10/);
    await expect(runScan({ model: pair.clean, data: nine, params: QUICK, workers: 0 })).rejects.toThrow(
      /no samples of class 9/,
    );
  });
});
