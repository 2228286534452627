/**
 * Reference-model sweep: how the transfer filter's clean reference model changes UMA's verdicts on
 * benchmark corpora, without re-running whole scans. A reference is either trained by the scan for a
 * budget of epochs (`--epochs`, referenceEpochs) or a trusted clean model the analyst supplies
 * (`--reference-model FILE`, what `uma scan --reference` does).
 *
 * Why it is exact and cheap: every class unit is seeded from the scan seed and its class index, so a
 * class recomputed alone (the others passed as `completed`) repeats its ablation and inversion bit for
 * bit (the script checks ASR and mask L1 against the cached scan), and only its transfer ASR changes
 * with the reference. The anomaly indices depend on ASR and mask L1 alone, and the model score is the
 * largest index among classes that pass the filter, so classes are recomputed in descending index
 * order until one passes; the classes below it cannot change the score, verdict or suspected target.
 *
 * Input: the scans `uma bench CORPUS --methods METHOD` cached beside each model, with the profile and
 * measurement parameters given here (bench/cached-scans.ts: --profile, --max-per-class, --seed, --param),
 * or restored from a scan archive (--archive DIR).
 * Run: node bin/run-ts.mjs bench/reference-sweep.ts CORPUS... [--method uma|uma-noablation] [--half H]
 *        [--epochs 3,10,30] [--reference-model FILE]... [--out FILE]
 * Writes bench/results/reference-sweep.json, and .md with per data set and reference ROC-AUC / FP / FN
 * and per-attack tables like the bench's. A record already in --out is kept, not recomputed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ScanResult } from '../src/shared/results.ts';
import { METHOD_STAGES, SCAN_METHODS, type ScanMethod } from '../src/shared/scan-params.ts';
import { initBackend } from '../src/main/engine/backend/index.ts';
import { benchMarkdown, pct } from '../src/main/eval/metrics/bench-markdown.ts';
import { detectionTable, type DetectionRecord } from '../src/main/eval/metrics/detection.ts';
import { loadModelFile, loadModelSource } from '../src/main/engine/model/load.ts';
import type { ModelSource } from '../src/main/engine/model/types.ts';
import { runScan } from '../src/main/engine/scan/pipeline.ts';
import { baseRecord, cachePath, halfOf, parseHalf, scoreRecord } from '../src/main/eval/bench.ts';
import { entryModelPath, listCorpus, type Manifest } from '../src/main/eval/zoo/corpus.ts';
import { loadSplit } from '../src/main/eval/zoo/datasets.ts';
import type { Dataset } from '../src/main/engine/data/index.ts';
import { cachedScans } from './cached-scans.ts';
import { markdownBeside } from './results-file.ts';

const { corpora, profile, base, values } = cachedScans({
  method: { type: 'string', default: 'uma' },
  half: { type: 'string' },
  epochs: { type: 'string', default: '' },
  'reference-model': { type: 'string', multiple: true, default: [] },
  'per-call': { type: 'string', default: '2' },
  out: { type: 'string', default: join(import.meta.dirname, 'results', 'reference-sweep.json') },
});
// Refused before any work when the results file does not end in .json.
const out = values.out as string;
const markdownOut = markdownBeside(out);
const method = values.method as ScanMethod;
const filtered = SCAN_METHODS.filter((m) => METHOD_STAGES[m].transferFilter);
if (!filtered.includes(method))
  throw new Error(`--method must be a scan with the transfer filter (${filtered.join(', ')}), not '${method}'`);
const half = parseHalf(values.half as string | undefined);
const perCall = Number(values['per-call']);
const seed = Number(values.seed);

/**
 * One reference: trained by the scan for `epochs` epochs, or supplied. `label` is its records' method
 * (METHOD-refE, METHOD-ref-NAME), `name` what the tables call the reference.
 */
type Variant = { label: string; name: string } & ({ epochs: number } | { source: ModelSource });

interface SweepRecord extends DetectionRecord {
  id: string;
  /** What the reference was: "3 epochs" or the supplied model's file name. */
  reference: string;
  referenceAccuracy: number;
  /** Classes recomputed, with their transfer ASR under this reference. */
  recomputed: { index: number; anomalyIndex: number; transferAsr: number }[];
}

/** Transfer ASRs of `classes` under the variant's reference; checks the inversion repeats. */
async function transfers(dir: string, m: Manifest, data: Dataset, cached: ScanResult, classes: number[], v: Variant) {
  const model = await loadModelFile(entryModelPath(dir, m), { name: m.id });
  try {
    const completed = cached.classes.filter((c) => !classes.includes(c.index));
    const { result } = await runScan({
      model,
      data,
      method,
      params: 'epochs' in v ? { ...cached.params, referenceEpochs: v.epochs } : cached.params,
      seed,
      workers: 0,
      completed,
      reference: 'source' in v ? v.source : undefined,
      loadSource: (s) => loadModelSource(s),
    });
    for (const k of classes) {
      const [a, b] = [cached.classes[k], result.classes[k]];
      if (a.asr !== b.asr || a.maskL1 !== b.maskL1)
        throw new Error(
          `${m.id} class ${k}: the inversion did not repeat (ASR ${a.asr} vs ${b.asr}); the sweep would not be exact`,
        );
    }
    return { reference: result.reference, byClass: new Map(classes.map((k) => [k, result.classes[k].transferAsr!])) };
  } finally {
    model.dispose();
  }
}

async function sweepModel(
  dir: string,
  m: Manifest,
  data: Dataset,
  cached: ScanResult,
  v: Variant,
): Promise<SweepRecord> {
  const order = [...cached.classes].sort((a, b) => b.anomalyIndex! - a.anomalyIndex!).map((c) => c.index);
  const known = new Map<number, number>();
  const unchanged = 'epochs' in v && v.epochs === cached.params.referenceEpochs && cached.reference?.kind === 'trained';
  let reference = cached.reference;
  if (unchanged) for (const c of cached.classes) known.set(c.index, c.transferAsr!);
  for (let i = 0; ![...known.values()].some((t) => t < base.transferThreshold) && i < order.length; i += perCall) {
    const r = await transfers(dir, m, data, cached, order.slice(i, i + perCall), v);
    reference = r.reference;
    for (const [k, t] of r.byClass) known.set(k, t);
  }
  // Classes below the first one that passes cannot change the outcome; count them as passing.
  const classes = cached.classes.map((c) => ({ ...c, transferAsr: known.get(c.index) ?? 0 }));
  return {
    ...baseRecord(m, profile),
    method: v.label,
    ...scoreRecord({ ...cached, classes, reference }, method, cached.params),
    seconds: cached.seconds ?? 0,
    reference: v.name,
    referenceAccuracy: reference?.accuracy ?? NaN,
    recomputed: unchanged
      ? []
      : order
          .filter((k) => known.has(k))
          .map((k) => ({ index: k, anomalyIndex: cached.classes[k].anomalyIndex!, transferAsr: known.get(k)! })),
  };
}

await initBackend('wasm');
const variants: Variant[] = [
  ...(values.epochs as string)
    .split(',')
    .filter(Boolean)
    .map((e) => ({ label: `${method}-ref${e}`, name: `${e} epochs`, epochs: Number(e) })),
];
for (const file of values['reference-model'] as string[]) {
  const model = await loadModelFile(file, { name: basename(file) });
  const name = basename(dirname(file));
  variants.push({ label: `${method}-ref-${name}`, name, source: model.source });
  model.dispose();
}
if (variants.length === 0) throw new Error('give --epochs and/or --reference-model');
// The file is this script's own earlier output; records written before supplied references existed
// name only their budget.
type Previous = SweepRecord & { referenceEpochs?: number };
const previous = existsSync(out)
  ? (JSON.parse(readFileSync(out, 'utf8')) as { records: Previous[] }).records.map((r) => ({
      ...r,
      reference: r.reference ?? `${r.referenceEpochs} epochs`,
    }))
  : [];
const records: SweepRecord[] = [];
const held = new Map<string, Dataset>();
for (const corpus of corpora) {
  for (const { dir, manifest } of listCorpus(corpus).filter((e) => !half || halfOf(e.manifest) === half)) {
    const file = cachePath(dir, method, base, seed);
    if (!existsSync(file)) {
      console.error(
        `${manifest.id}: no cached ${method} scan (run uma bench ${corpus} --methods ${method} first); skipped`,
      );
      continue;
    }
    const cached = JSON.parse(readFileSync(file, 'utf8')) as ScanResult;
    const ds = manifest.recipe.dataset;
    if (!held.has(ds)) held.set(ds, loadSplit(ds).held);
    for (const v of variants) {
      const done = previous.find((r) => r.id === manifest.id && r.method === v.label);
      const r = done ?? (await sweepModel(dir, manifest, held.get(ds)!, cached, v));
      records.push(r);
      console.error(
        `${manifest.id} reference ${r.reference}: accuracy ${r.referenceAccuracy.toFixed(2)}, score ${r.score.toFixed(2)} ${r.verdict}${r.suspected === null ? '' : ` (class ${r.suspected}${r.target === null ? '' : `, true ${r.target}`})`}${done ? ' (from the previous run)' : ''}`,
      );
      mkdirSync(dirname(out), { recursive: true });
      const kept = previous.filter((p) => !records.some((r) => r.id === p.id && r.method === p.method));
      writeFileSync(out, `${JSON.stringify({ records: [...records, ...kept] }, null, 2)}\n`);
    }
  }
}
const rows = detectionTable(records);
const summary = [
  '| data set | reference | reference accuracy (mean) | FP | FN | ROC-AUC | models |',
  '|---|---|---|---|---|---|---|',
];
for (const row of rows.filter((r) => r.attack === 'all')) {
  const mine = records.filter((r) => r.dataset === row.dataset && r.method === row.method);
  const acc = mine.reduce((s, r) => s + r.referenceAccuracy, 0) / mine.length;
  summary.push(
    `| ${row.dataset} | ${mine[0].reference} | ${acc.toFixed(2)} | ${pct(row.fpr)} | ${pct(row.fnr)} | ${pct(row.auc)} | ${row.clean}c+${row.trojaned}t |`,
  );
}
// Per attack, laid out like the bench's tables: method METHOD-refE / METHOD-ref-NAME is METHOD with that reference.
const markdown = `${summary.join('\n')}\n\n${benchMarkdown(rows, `${profile}, reference varied`)}`;
writeFileSync(markdownOut, markdown);
console.log(markdown);
