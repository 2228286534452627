/**
 * What the re-scoring scripts share (bench/scoring-sweep.ts, threshold-calibration.ts, reference-sweep.ts,
 * baseline-caution.ts): their command line (the corpora, the profile and measurement parameters the
 * cached scans were made with) and the records of those scans under other scoring constants. Nothing
 * is rescanned: `uma bench` caches each scan beside its model, keyed by what it measures
 * (src/main/eval/bench.ts). With `--archive DIR` each model's cache is first synced with a scan archive
 * (src/main/eval/scan-archive.ts), so a corpus rebuilt on a new machine is re-scored from the committed
 * scans without a `uma bench` pass. `defaultScans` gives the per-class scripts (reachable-classes.ts,
 * class-calibration.ts) the default scans themselves.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseParams } from '../src/main/cli/scan-options.ts';
import { PROFILES, resolveParams, type ProfileName, type ScanParams } from '../src/shared/scan-params.ts';
import type { ScanResult } from '../src/shared/results.ts';
import {
  benchCorpus,
  cachedScan,
  logArchiveSync,
  type BenchMethod,
  type CorpusHalf,
  type ScanRecord,
} from '../src/main/eval/bench.ts';
import { syncScanArchive } from '../src/main/eval/scan-archive.ts';
import { listCorpus, type Manifest } from '../src/main/eval/zoo/corpus.ts';

export interface CachedScans {
  corpora: string[];
  profile: ProfileName;
  /** The profile with the command line's measurement parameters: what the cached scans ran with. */
  base: ScanParams;
  /** Every cached record of one half of the corpora, scored under `params`. */
  records: (half: CorpusHalf, params: ScanParams, methods?: BenchMethod[]) => Promise<ScanRecord[]>;
  /** The script's own options' values. */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
}

export function cachedScans(own: NonNullable<ParseArgsConfig['options']>): CachedScans {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      profile: { type: 'string', default: 'tuned' },
      'max-per-class': { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
      param: { type: 'string', multiple: true, default: [] },
      archive: { type: 'string' },
      ...own,
    },
  });
  if (positionals.length === 0) throw new Error('give one or more corpus folders with cached `uma bench` scans');
  if (typeof values.archive === 'string') restoreArchived(values.archive, positionals);
  const profile = values.profile as ProfileName;
  const base = resolveParams({
    ...PROFILES[profile],
    maxPerClass: Number(values['max-per-class']),
    ...parseParams(values.param),
  });
  return {
    corpora: positionals,
    profile,
    base,
    values,
    records: async (half, params, methods = ['uma']) => {
      const all: ScanRecord[] = [];
      for (const corpus of positionals)
        all.push(
          ...(await benchCorpus({
            corpus,
            methods,
            profile,
            params,
            seed: Number(values.seed),
            cachedOnly: true,
            half,
          })),
        );
      return all;
    },
  };
}

/** Syncs every model's cache in the corpora with the archive, as `uma bench --archive` does, and says what it did. */
function restoreArchived(archive: string, corpora: string[]): void {
  for (const corpus of corpora)
    for (const { dir, manifest } of listCorpus(corpus))
      logArchiveSync(syncScanArchive(archive, dir, manifest), manifest.id, (line) => console.error(line));
}

/** The scans `uma bench` caches by default: the default profile, 100 clean samples per class, seed 1. */
export const DEFAULT_SCAN = { params: resolveParams({ maxPerClass: 100 }), seed: 1 } as const;

/** Every model of the corpora with its cached default UMA scan (models without one are left out). */
export function defaultScans(corpora: readonly string[]): { manifest: Manifest; scan: ScanResult }[] {
  return corpora.flatMap((corpus) =>
    listCorpus(corpus).flatMap(({ dir, manifest }) => {
      const scan = cachedScan(dir, 'uma', DEFAULT_SCAN.params, DEFAULT_SCAN.seed);
      return scan ? [{ manifest, scan }] : [];
    }),
  );
}
