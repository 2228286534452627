/**
 * Scans every corpus model with each method and keeps one small record per (model, method): the score,
 * verdict, suspected target and seconds. Records are cached beside the model (keyed by the parameter
 * digest), so an interrupted or extended benchmark only runs the scans it lacks.
 *
 * Two of the paper's rows need no scan of their own: UMA without the filter re-scores the `uma` scan's
 * per-class ASR and mask sizes without transfer ASRs (the ablation and inversion are the same runs),
 * and Table 4's "no ablation, no filter" re-scores the `uma-noablation` scan the same way.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScanResult } from '../../shared/results.ts';
import type { ScanMethod, ScanParams } from '../../shared/scan-params.ts';
import type { Dataset } from '../engine/data/index.ts';
import { loadModelFile } from '../engine/model/load.ts';
import type { DetectionRecord } from './metrics/detection.ts';
import { scoreUma } from '../engine/scan/anomaly.ts';
import { resolveParams } from '../../shared/scan-params.ts';
import { paramsSha256 } from '../util/params-digest.ts';
import { runScan } from '../engine/scan/pipeline.ts';
import { entryModelPath, listCorpus, type Manifest } from './zoo/corpus.ts';
import { loadSplit } from './zoo/datasets.ts';

/** Rows of the tables: the scanned methods plus the two re-scored variants. */
export const BENCH_METHODS = ['uma', 'nc', 'uma-nofilter', 'uma-noablation', 'uma-noablation-nofilter'] as const;
export type BenchMethod = (typeof BENCH_METHODS)[number];

const SCANNED_FOR: Record<BenchMethod, ScanMethod> = {
  uma: 'uma',
  nc: 'nc',
  'uma-nofilter': 'uma',
  'uma-noablation': 'uma-noablation',
  'uma-noablation-nofilter': 'uma-noablation',
};

export interface ScanRecord extends DetectionRecord {
  id: string;
  method: BenchMethod;
  profile: string;
}

export interface BenchOptions {
  corpus: string;
  methods: BenchMethod[];
  profile: string;
  params: Partial<ScanParams>;
  seed: number;
  workers?: number;
  /** Tabulate only the scans already cached; a (model, method) pair without one is left out. */
  cachedOnly?: boolean;
  dataRoot?: string;
  log?: (line: string) => void;
}

function rescoredWithoutFilter(r: ScanResult): Pick<ScanRecord, 'score' | 'verdict' | 'suspected'> {
  const s = scoreUma(
    r.classes.map((c) => ({ asr: c.asr, maskL1: c.maskL1, transferAsr: null })),
    r.params,
  );
  return { score: s.score, verdict: s.target === null ? 'clean' : 'trojaned', suspected: s.target };
}

/** The per-class result documents are large; the cache keeps what the tables and a re-score need. */
function cachePath(dir: string, method: ScanMethod, params: ScanParams, seed: number): string {
  return join(dir, `scan-${method}-${paramsSha256(params, method, seed).slice(0, 16)}.json`);
}

export async function benchCorpus(o: BenchOptions): Promise<ScanRecord[]> {
  const log = o.log ?? (() => undefined);
  const params = resolveParams(o.params);
  const held = new Map<string, Dataset>();
  const records: ScanRecord[] = [];
  const entries = listCorpus(o.corpus);
  for (const [n, { dir, manifest }] of entries.entries()) {
    const base = baseRecord(manifest, o.profile);
    const scanned = new Map<ScanMethod, ScanResult | null>();
    for (const method of o.methods) {
      const scanMethod = SCANNED_FOR[method];
      if (!scanned.has(scanMethod))
        scanned.set(
          scanMethod,
          await scanOnce(dir, manifest, scanMethod, params, o, held, log, `${n + 1}/${entries.length}`),
        );
      const r = scanned.get(scanMethod);
      if (!r) continue;
      const outcome =
        method === scanMethod ? { score: r.score, verdict: r.verdict, suspected: r.target } : rescoredWithoutFilter(r);
      records.push({ ...base, method, ...outcome, seconds: r.seconds });
    }
  }
  return records;
}

function baseRecord(
  m: Manifest,
  profile: string,
): Omit<ScanRecord, 'method' | 'score' | 'verdict' | 'suspected' | 'seconds'> {
  return {
    id: m.id,
    dataset: m.recipe.dataset,
    kind: m.recipe.kind,
    positive: m.attack !== null,
    target: m.attack?.target ?? null,
    profile,
  };
}

async function scanOnce(
  dir: string,
  manifest: Manifest,
  method: ScanMethod,
  params: ScanParams,
  o: BenchOptions,
  held: Map<string, Dataset>,
  log: (l: string) => void,
  pos: string,
): Promise<ScanResult | null> {
  const file = cachePath(dir, method, params, o.seed);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ScanResult;
  if (o.cachedOnly) return null;
  const ds = manifest.recipe.dataset;
  if (!held.has(ds)) held.set(ds, loadSplit(ds, o.dataRoot).held);
  const data = held.get(ds)!;
  const model = await loadModelFile(entryModelPath(dir, manifest), { name: manifest.id });
  try {
    const { result } = await runScan({
      model,
      data,
      method,
      params,
      seed: o.seed,
      workers: o.workers,
      modelName: manifest.id,
    });
    writeFileSync(file, JSON.stringify(result));
    log(
      `[${pos}] ${manifest.id} ${method}: score ${result.score.toFixed(2)}, ${result.verdict}${result.target === null ? '' : ` (class ${result.target}${manifest.attack ? `, true target ${manifest.attack.target}` : ''})`}, ${result.seconds.toFixed(0)} s`,
    );
    return result;
  } finally {
    model.dispose();
  }
}
