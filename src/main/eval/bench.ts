/**
 * Scans every corpus model with each method and keeps one small record per (model, method): the score,
 * verdict, suspected target and seconds. Records are cached beside the model (keyed by the parameter
 * digest), so an interrupted or extended benchmark only runs the scans it lacks; a scan archive
 * (scan-archive.ts) carries them to a machine where the corpus was rebuilt.
 *
 * Two of the paper's rows need no scan of their own: UMA without the filter re-scores the `uma` scan's
 * per-class ASR and mask sizes without transfer ASRs (the ablation and inversion are the same runs),
 * and Table 4's "no ablation, no filter" re-scores the `uma-noablation` scan the same way.
 *
 * Every record is scored from the cached measurements with the bench's own scoring constants
 * (SCORE_ONLY_PARAMS), and the cache key leaves those out: a scoring sweep re-scores, it does not rescan.
 * A scan with the ablation backoff is composed from the cached scans at the two rates where both exist.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UmaError } from '../../shared/errors.ts';
import type { ScanResult } from '../../shared/results.ts';
import type { ScanMethod, ScanParams } from '../../shared/scan-params.ts';
import type { Dataset } from '../engine/data/index.ts';
import { loadModelFile } from '../engine/model/load.ts';
import type { DetectionRecord } from './metrics/detection.ts';
import { rescoreResult, verdictOf } from '../engine/scan/anomaly.ts';
import { backoffEnabled, backsOff, withFirstPass } from '../engine/scan/ablation-backoff.ts';
import { AUTHORS_PROFILE, backoffPassParams, resolveParams, SCORE_ONLY_PARAMS } from '../../shared/scan-params.ts';
import { paramsSha256 } from '../util/params-digest.ts';
import { runScan } from '../engine/scan/pipeline.ts';
import { entryModelPath, listCorpus, type Manifest } from './zoo/corpus.ts';
import { loadSplit } from './zoo/datasets.ts';
import { archiveScan, syncScanArchive, type ArchiveSync } from './scan-archive.ts';

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
  /** The model's architecture (its recipe's): calibration groups clean models by it. */
  arch: string;
  method: BenchMethod;
  profile: string;
  half: CorpusHalf;
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
  /** Only the models of this half of the corpus (halfOf): tune scoring on one, report on the other. */
  half?: CorpusHalf;
  /** A scan archive (scan-archive.ts): synced with each model's cache before it is scanned; new scans are added. */
  archive?: string;
  log?: (line: string) => void;
}

export const CORPUS_HALVES = ['tune', 'report'] as const;
export type CorpusHalf = (typeof CORPUS_HALVES)[number];

/** A `--half` option's value (uma bench, the re-scoring scripts): a corpus half, or undefined for both. */
export function parseHalf(value: string | undefined): CorpusHalf | undefined {
  if (value !== undefined && !(CORPUS_HALVES as readonly string[]).includes(value))
    throw new UmaError('BAD_INPUT', `--half must be one of ${CORPUS_HALVES.join(', ')}, not '${value}'`);
  return value as CorpusHalf | undefined;
}

/**
 * The half a model belongs to: the PyTorch manifests say it (even recipe seed: tune); the project's own
 * entries split by the parity of their index the same way.
 */
export function halfOf(m: Manifest): CorpusHalf {
  if (m.half) return m.half;
  return 'index' in m.recipe && m.recipe.index % 2 === 1 ? 'report' : 'tune';
}

/** The verdict of one table row from a scan's cached measurements under the bench's scoring constants. */
export function scoreRecord(
  r: ScanResult,
  method: BenchMethod,
  params: ScanParams,
): Pick<ScanRecord, 'score' | 'verdict' | 'suspected'> {
  const s = rescoreResult({ ...r, method: SCANNED_FOR[method] }, params, !method.endsWith('-nofilter'));
  return { score: s.score, verdict: verdictOf(s), suspected: s.target };
}

/**
 * Parameters added after scans were cached, with the value at which they measure what every earlier
 * scan measured: at that value they stay out of the cache key, so those scans remain valid.
 */
const KEYED_UNLESS: Partial<ScanParams> = {
  inversionRestarts: 1,
  lambdaGrowth: 0,
  ablationFreezeHead: 0,
  ablationMinEpochs: 0,
  ablationStepDrop: 0,
  survivalTest: 0,
  // Score-only (keyed at the authors' value, so never): listed so that adding them changed no key.
  survivalThreshold: AUTHORS_PROFILE.survivalThreshold,
  survivalMinAsr: AUTHORS_PROFILE.survivalMinAsr,
  referenceMinAccuracy: AUTHORS_PROFILE.referenceMinAccuracy,
  anomalyBaselineWorking: AUTHORS_PROFILE.anomalyBaselineWorking,
};

/** The ablation backoff's parameters: keyed only where the backoff can run (added after scans were cached). */
const BACKOFF_PARAMS = ['ablationBackoffClasses', 'ablationBackoffAsr', 'ablationBackoffLr'] as const;

/** The scan's cache key: every parameter that changes what is measured, none that only scores it. */
function measurementParams(params: ScanParams, method: ScanMethod): Partial<ScanParams> {
  const p: Partial<ScanParams> = { ...params };
  for (const key of SCORE_ONLY_PARAMS) p[key] = AUTHORS_PROFILE[key];
  for (const key of Object.keys(KEYED_UNLESS) as (keyof ScanParams)[]) if (p[key] === KEYED_UNLESS[key]) delete p[key];
  if (!backoffEnabled(method, params)) for (const key of BACKOFF_PARAMS) delete p[key];
  // The calibration's bound, keyed only where the calibration runs (both added after scans were cached).
  if (!(params.ablationStepDrop > 0)) delete p.ablationStepHalvings;
  return p;
}

/** The per-class result documents are large; the cache keeps what the tables and a re-score need. */
export function cachePath(dir: string, method: ScanMethod, params: ScanParams, seed: number): string {
  // Partial: a key of scans cached before a KEYED_UNLESS parameter existed lacks it.
  const key = paramsSha256(measurementParams(params, method) as ScanParams, method, seed);
  return join(dir, `scan-${method}-${key.slice(0, 16)}.json`);
}

/**
 * Whether two parameter sets measure the same for a table row: their scans share a cache key (so
 * parameters added later, at their neutral values, do not count as a difference).
 */
export function sameMeasurement(a: Partial<ScanParams>, b: Partial<ScanParams>, method: BenchMethod): boolean {
  const m = SCANNED_FOR[method];
  return cachePath('', m, a as ScanParams, 0) === cachePath('', m, b as ScanParams, 0);
}

function readCached(file: string): ScanResult | null {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ScanResult) : null;
}

/**
 * A scan with the ablation backoff, composed from cached scans without it: the engine's second pass is
 * the scan at backoffPassParams class for class (same seeds, same reference), so the first-pass scan
 * decides (ablation-backoff.ts) and, where it backs off, the gentle scan supplies every class with its
 * first pass attached. Null when a scan it needs is not cached (the engine then runs the scan).
 */
export function composedBackoffScan(
  dir: string,
  method: ScanMethod,
  params: ScanParams,
  seed: number,
): ScanResult | null {
  if (!backoffEnabled(method, params)) return null;
  const single: ScanParams = { ...params, ablationBackoffClasses: 0 };
  const first = readCached(cachePath(dir, method, single, seed));
  if (!first) return null;
  if (!backsOff(first.classes, method, params)) return { ...first, params };
  const gentle = readCached(cachePath(dir, method, { ...single, ...backoffPassParams(params) }, seed));
  if (!gentle) return null;
  return {
    ...gentle,
    params,
    seconds: first.seconds + gentle.seconds,
    classes: gentle.classes.map((c, k) => withFirstPass(c, first.classes[k])),
  };
}

/** The model's cached scan under these parameters (composed where the backoff ran), or null. */
export function cachedScan(dir: string, method: ScanMethod, params: ScanParams, seed: number): ScanResult | null {
  return readCached(cachePath(dir, method, params, seed)) ?? composedBackoffScan(dir, method, params, seed);
}

export async function benchCorpus(o: BenchOptions): Promise<ScanRecord[]> {
  const log = o.log ?? (() => undefined);
  const params = resolveParams(o.params);
  const held = new Map<string, Dataset>();
  const records: ScanRecord[] = [];
  const entries = listCorpus(o.corpus).filter((e) => !o.half || halfOf(e.manifest) === o.half);
  for (const [n, { dir, manifest }] of entries.entries()) {
    if (o.archive) logArchiveSync(syncScanArchive(o.archive, dir, manifest), manifest.id, log);
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
      records.push({ ...base, method, ...scoreRecord(r, method, params), seconds: r.seconds });
    }
  }
  return records;
}

/** Says what syncing one model with a scan archive did (uma bench and the re-scoring scripts). */
export function logArchiveSync(s: ArchiveSync, id: string, log: (line: string) => void): void {
  if (s.restored.length > 0) log(`${id}: ${s.restored.length} scan(s) restored from the archive`);
  if (s.archived.length > 0) log(`${id}: ${s.archived.length} scan(s) added to the archive`);
  if (s.mismatched.length > 0)
    log(`${id}: ${s.mismatched.join(', ')} in the archive scanned another model file (sha256 differs): not used`);
  if (s.unreadable.length > 0)
    log(`${id}: ${s.unreadable.join(', ')} in the archive is not a scan with a model digest: not used`);
}

/** A model's table row before it is scanned: what its manifest says (data set, attack, half). */
export function baseRecord(
  m: Manifest,
  profile: string,
): Omit<ScanRecord, 'method' | 'score' | 'verdict' | 'suspected' | 'seconds'> {
  return {
    id: m.id,
    arch: m.recipe.arch,
    dataset: m.recipe.dataset,
    kind: m.recipe.kind,
    positive: m.attack !== null,
    target: m.attack?.target ?? null,
    profile,
    half: halfOf(m),
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
  const cached = cachedScan(dir, method, params, o.seed);
  if (cached) return cached;
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
    const file = cachePath(dir, method, params, o.seed);
    writeFileSync(file, JSON.stringify(result));
    if (o.archive) archiveScan(o.archive, manifest, file);
    log(
      `[${pos}] ${manifest.id} ${method}: score ${result.score.toFixed(2)}, ${result.verdict}${result.target === null ? '' : ` (class ${result.target}${manifest.attack ? `, true target ${manifest.attack.target}` : ''})`}, ${result.seconds.toFixed(0)} s`,
    );
    return result;
  } finally {
    model.dispose();
  }
}
