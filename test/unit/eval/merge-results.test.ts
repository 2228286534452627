/**
 * Joining bench results folders (mergeBenchResults, bench/merge-results.ts): records of the same
 * measurement and scoring join into one table; another profile, a measuring or scoring parameter, another
 * scan seed, or a model scanned twice by one method is refused, and a parameter added after a scan (at its
 * neutral value) or a seed a folder does not record is noted, not refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResults } from '../../../src/main/eval/bench-results.ts';
import { writeBenchResults } from '../../../src/main/eval/bench-results.ts';
import type { ScanRecord } from '../../../src/main/eval/bench.ts';
import { mergeBenchResults } from '../../../src/main/eval/merge-results.ts';
import { DEFAULT_PROFILE, resolveParams, type ScanParams } from '../../../src/shared/scan-params.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const params = resolveParams({ ...DEFAULT_PROFILE, maxPerClass: 100 });

function record(id: string, positive: boolean, score: number, method: ScanRecord['method'] = 'uma'): ScanRecord {
  return {
    id,
    arch: 'cnn',
    dataset: 'gtsrb',
    kind: positive ? 'badnets' : 'clean',
    positive,
    target: positive ? 3 : null,
    profile: 'tuned',
    half: 'report',
    method,
    score,
    verdict: score > 2 ? 'trojaned' : 'clean',
    suspected: score > 2 ? 3 : null,
    seconds: 10,
  };
}

const results = (records: ScanRecord[], p: Partial<ScanParams> = params, profile = 'tuned'): BenchResults => ({
  profile,
  params: p,
  methods: [...new Set(records.map((r) => r.method))],
  half: 'report',
  seed: 1,
  records,
});

describe('mergeBenchResults', () => {
  const earlier = results([record('clean-1', false, 1.2), record('badnets-21', true, 40)]);
  const later = results([record('clean-3', false, 3.1), record('sig-51', true, 1.5)]);

  it('joins the records of folders measured and scored alike into one table', () => {
    const merged = mergeBenchResults([
      { source: 'a', results: earlier },
      { source: 'b', results: later },
    ]);
    expect(merged.records.map((r) => r.id)).toEqual(['clean-1', 'badnets-21', 'clean-3', 'sig-51']);
    expect(merged.methods).toEqual(['uma']);
    expect(merged.seed).toBe(1);
    expect(merged.notes).toEqual([]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-merge-'));
    dirs.push(dir);
    const md = writeBenchResults(dir, merged, '### Merged from');
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'detection.json'), 'utf8'));
    const all = written.rows.find((r: { attack: string }) => r.attack === 'all');
    // 2 clean (one above 2) and 2 trojans (one below 2): FP 1/2, FN 1/2; AUC: 40 > both, 1.5 > 1.2 only.
    expect([all.clean, all.trojaned, all.fpr, all.fnr, all.auc]).toEqual([2, 2, 0.5, 0.5, 0.75]);
    expect(md).toContain('### Merged from');
    expect(fs.existsSync(path.join(dir, 'roc-gtsrb-all.svg'))).toBe(true);
  });

  it('keeps the methods of each folder, so UMA and Neural Cleanse folders join', () => {
    const nc = results([record('clean-1', false, 1.1, 'nc')]);
    const merged = mergeBenchResults([
      { source: 'a', results: earlier },
      { source: 'nc', results: nc },
    ]);
    expect(merged.methods).toEqual(['uma', 'nc']);
    expect(merged.records).toHaveLength(3);
  });

  it('notes a parameter one folder lacks where, at its neutral value, it measures the same', () => {
    const old: Partial<ScanParams> = { ...params };
    delete old.ablationMinEpochs;
    delete old.ablationBackoffClasses;
    const merged = mergeBenchResults([
      { source: 'old', results: results(earlier.records, old) },
      { source: 'new', results: later },
    ]);
    expect(merged.notes).toEqual(['old lacks ablationMinEpochs, ablationBackoffClasses (added after it was scanned)']);
    expect(merged.params.ablationMinEpochs).toBe(params.ablationMinEpochs);
  });

  it('notes a folder that does not record its scan seed, and then records none', () => {
    const { seed: _, ...unseeded } = earlier;
    const merged = mergeBenchResults([
      { source: 'old', results: unseeded },
      { source: 'new', results: later },
    ]);
    expect(merged.notes).toEqual(['old does not record its scan seed']);
    expect(merged.seed).toBeUndefined();
  });

  it('refuses another profile, a measuring or scoring parameter, another seed, and a model scanned twice', () => {
    const join = (b: BenchResults) => () =>
      mergeBenchResults([
        { source: 'a', results: earlier },
        { source: 'b', results: b },
      ]);
    expect(join(results(later.records, params, 'authors'))).toThrow("b: profile 'authors', but a has 'tuned'");
    expect(join(results(later.records, { ...params, inversionSteps: 500 }))).toThrow(
      'b: scanned with other parameters than a (inversionSteps)',
    );
    expect(join(results(later.records, { ...params, ablationMinEpochs: 2 }))).toThrow(
      'b: scanned with other parameters than a (ablationMinEpochs)',
    );
    expect(join(results(later.records, { ...params, anomalyThreshold: 3 }))).toThrow(
      'b: scored with other anomalyThreshold than a',
    );
    expect(join({ ...later, seed: 2 })).toThrow('b: scan seed 2, but a has 1');
    expect(join(results([record('badnets-21', true, 40)]))).toThrow('badnets-21 / uma is in both a and b');
    expect(() => mergeBenchResults([{ source: 'a', results: earlier }])).toThrow('two or more');
  });
});
