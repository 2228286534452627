/**
 * The CI-sized benchmark: two clean and two BadNets MNIST models, built and scanned by the same code
 * as `uma zoo build` / `uma bench`. Fails when UMA's ROC-AUC falls below the floor justified in
 * bench/README.md ("Smoke corpus").
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { detectionTable } from '../../../src/main/eval/metrics/detection.ts';
import { benchCorpus, halfOf } from '../../../src/main/eval/bench.ts';
import { buildCorpus, listCorpus } from '../../../src/main/eval/zoo/corpus.ts';
import { DEFAULT_PROFILE_NAME } from '../../../src/shared/scan-params.ts';

const AUC_FLOOR = 0.75;
const out = mkdtempSync(join(tmpdir(), 'uma-smoke-corpus-'));
const archive = mkdtempSync(join(tmpdir(), 'uma-smoke-archive-'));

afterAll(() => {
  for (const d of [out, archive]) rmSync(d, { recursive: true, force: true });
});

describe('smoke benchmark on MNIST', () => {
  it('builds a seeded corpus, skips it on rebuild, and UMA separates trojans from clean models', async () => {
    await initBackend('wasm');
    const options = { dataset: 'mnist', attacks: ['badnets'], clean: 2, perAttack: 2, out };
    const first = await buildCorpus(options);
    expect(first.failed).toEqual([]);
    expect(first.built).toHaveLength(4);
    const again = await buildCorpus(options);
    expect(again.skipped).toEqual(first.built);
    for (const { manifest } of listCorpus(out)) {
      expect(manifest.cleanAccuracy).toBeGreaterThanOrEqual(0.94);
      if (manifest.attack) expect(manifest.asr!).toBeGreaterThanOrEqual(0.9);
      else expect(manifest.asr).toBeNull();
    }

    const records = await benchCorpus({
      corpus: out,
      methods: ['uma', 'uma-nofilter'],
      profile: DEFAULT_PROFILE_NAME,
      params: { maxPerClass: 50 },
      seed: 1,
      workers: 2,
      archive,
    });
    const [uma] = detectionTable(records).filter((r) => r.method === 'uma' && r.attack === 'all');
    expect(uma.clean).toBe(2);
    expect(uma.trojaned).toBe(2);
    expect(uma.auc).toBeGreaterThanOrEqual(AUC_FLOOR);
    // Each scan the run made is archived under its model's id, the same bytes as its cache file.
    for (const { dir, manifest } of listCorpus(out)) {
      const cached = readdirSync(dir).filter((f) => f.startsWith('scan-'));
      expect(cached).toHaveLength(1);
      expect(readFileSync(join(archive, manifest.id, cached[0]), 'utf8')).toBe(
        readFileSync(join(dir, cached[0]), 'utf8'),
      );
    }

    // A cached-only pass re-reads the four UMA scans and runs no Neural Cleanse scan.
    const cached = await benchCorpus({
      corpus: out,
      methods: ['uma', 'nc'],
      profile: DEFAULT_PROFILE_NAME,
      params: { maxPerClass: 50 },
      seed: 1,
      cachedOnly: true,
    });
    expect(cached.map((r) => [r.id, r.method, r.score])).toEqual(
      records.filter((r) => r.method === 'uma').map((r) => [r.id, r.method, r.score]),
    );

    // Scoring constants re-score the cached scans instead of missing the cache: no class of any model
    // reaches an anomaly threshold of a million, so every verdict turns clean.
    const umaIds = records.filter((r) => r.method === 'uma').map((r) => r.id);
    const strict = await benchCorpus({
      corpus: out,
      methods: ['uma'],
      profile: DEFAULT_PROFILE_NAME,
      params: { maxPerClass: 50, anomalyThreshold: 1e6 },
      seed: 1,
      cachedOnly: true,
    });
    expect(strict.map((r) => r.id)).toEqual(umaIds);
    expect(strict.map((r) => r.verdict)).toEqual(umaIds.map(() => 'clean'));

    // A half keeps only its own models: here the even-indexed entries.
    const tune = await benchCorpus({
      corpus: out,
      methods: ['uma'],
      profile: DEFAULT_PROFILE_NAME,
      params: { maxPerClass: 50 },
      seed: 1,
      cachedOnly: true,
      half: 'tune',
    });
    const tuneIds = listCorpus(out)
      .filter((e) => halfOf(e.manifest) === 'tune')
      .map((e) => e.manifest.id);
    expect(tuneIds.length).toBeGreaterThan(0);
    expect(tuneIds.length).toBeLessThan(4);
    expect(tune.map((r) => r.id)).toEqual(tuneIds);
    expect(tune.every((r) => r.half === 'tune')).toBe(true);
  }, 1_800_000);
});
