/**
 * The bench's ablation-backoff scan composed from cached one-pass scans (composedBackoffScan): the first
 * pass decides, the gentle scan supplies every class with its first pass attached, and a missing scan
 * leaves the engine to run it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachePath, composedBackoffScan } from '../../../src/main/eval/bench.ts';
import type { ClassFinding, ScanResult } from '../../../src/shared/results.ts';
import { resolveParams } from '../../../src/shared/scan-params.ts';
import { scanFixture } from '../../fixtures/reports/scan-fixture.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const params = resolveParams({ maxPerClass: 100, ablationBackoffClasses: 3 });
const single = { ...params, ablationBackoffClasses: 0 };
const gentleParams = { ...single, ablationLr: params.ablationBackoffLr };
/** A first pass run in full (ablationMinEpochs) that backs off, at the same rate, to the bounded default. */
const full = resolveParams({
  maxPerClass: 100,
  ablationBackoffClasses: 8,
  ablationMinEpochs: 2,
  ablationBackoffLr: 2e-3,
});

function scan(asrs: number[], p: typeof params, seconds: number): ScanResult {
  const { result } = scanFixture({ classes: asrs.length, modelSha256: 'a'.repeat(64) });
  const classes: ClassFinding[] = result.classes.map((c, k) => ({ ...c, asr: asrs[k], maskL1: 10 * (k + 1) }));
  return { ...result, params: p, classes, seconds };
}
function corpusDir(first: ScanResult | null, gentle: ScanResult | null): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-backoff-'));
  dirs.push(dir);
  if (first) fs.writeFileSync(cachePath(dir, 'uma', single, 1), JSON.stringify(first));
  if (gentle) fs.writeFileSync(cachePath(dir, 'uma', gentleParams, 1), JSON.stringify(gentle));
  return dir;
}

describe('composedBackoffScan', () => {
  const gentle = scan([0.9, 0.8, 0.95, 0.7, 0.99], gentleParams, 30);

  it('is the first-pass scan where it does not back off', () => {
    const first = scan([0.1, 0.2, 0.9, 0.9, 0.9], single, 20);
    const r = composedBackoffScan(corpusDir(first, null), 'uma', params, 1)!;
    expect(r.classes).toEqual(first.classes);
    expect(r.params).toEqual(params);
  });

  it('is the gentle scan, each class with its first pass, where three classes failed', () => {
    const first = scan([0.1, 0.2, 0.29, 0.9, 0.9], single, 20);
    const r = composedBackoffScan(corpusDir(first, gentle), 'uma', params, 1)!;
    expect(r.classes.map((c) => c.asr)).toEqual([0.9, 0.8, 0.95, 0.7, 0.99]);
    expect(r.classes.map((c) => c.firstPass?.asr)).toEqual([0.1, 0.2, 0.29, 0.9, 0.9]);
    expect(r.classes.map((c) => c.firstPass?.maskL1)).toEqual([10, 20, 30, 40, 50]);
    expect(r.seconds).toBe(50);
    expect(r.params).toEqual(params);
  });

  it("backs a first pass run in full off to the default one-pass scan's cache", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-backoff-'));
    dirs.push(dir);
    const firstParams = { ...full, ablationBackoffClasses: 0 };
    const bounded = resolveParams({ maxPerClass: 100 });
    expect(full.ablationLr).toBe(bounded.ablationLr);
    const failing = scan([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9], firstParams, 20);
    fs.writeFileSync(cachePath(dir, 'uma', firstParams, 1), JSON.stringify(failing));
    expect(composedBackoffScan(dir, 'uma', full, 1)).toBeNull();
    const boundedScan = scan([0.9, 0.8, 0.9, 0.7, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9], bounded, 30);
    fs.writeFileSync(cachePath(dir, 'uma', bounded, 1), JSON.stringify(boundedScan));
    const r = composedBackoffScan(dir, 'uma', full, 1)!;
    expect(r.classes.map((c) => c.asr)).toEqual(boundedScan.classes.map((c) => c.asr));
    expect(r.classes.map((c) => c.firstPass?.asr)).toEqual(failing.classes.map((c) => c.asr));
  });

  it('is null when a scan it needs is not cached, or the method does not ablate', () => {
    const first = scan([0.1, 0.2, 0.29, 0.9, 0.9], single, 20);
    expect(composedBackoffScan(corpusDir(first, null), 'uma', params, 1)).toBeNull();
    expect(composedBackoffScan(corpusDir(null, gentle), 'uma', params, 1)).toBeNull();
    expect(composedBackoffScan(corpusDir(first, gentle), 'nc', params, 1)).toBeNull();
    expect(composedBackoffScan(corpusDir(first, gentle), 'uma', single, 1)).toBeNull();
  });
});
