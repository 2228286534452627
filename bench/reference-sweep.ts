/**
 * Reference-model sweep: how the training budget of the transfer filter's clean reference model
 * (referenceEpochs) changes UMA's verdicts on benchmark corpora, without re-running whole scans.
 *
 * Why it is exact and cheap: every class unit is seeded from the scan seed and its class index, so a
 * class recomputed alone (the others passed as `completed`) repeats its ablation and inversion bit for
 * bit (the script checks ASR and mask L1 against the cached scan), and only its transfer ASR changes
 * with the reference. The anomaly indices depend on ASR and mask L1 alone, and the model score is the
 * largest index among classes that pass the filter, so classes are recomputed in descending index
 * order until one passes; the classes below it cannot change the score, verdict or suspected target.
 *
 * Input: the `uma` scans `uma bench CORPUS --max-per-class 50` cached beside each model (seed 1, the
 * authors' profile). Run: node bin/run-ts.mjs bench/reference-sweep.ts CORPUS... [--epochs 3,10,30] [--out FILE]
 * Writes bench/results/reference-sweep.json, and .md with per data set and budget ROC-AUC / FP / FN and
 * per-attack tables like the bench's.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClassFinding, ScanResult } from '../src/shared/results.ts';
import { AUTHORS_PROFILE } from '../src/shared/scan-params.ts';
import { initBackend } from '../src/main/engine/backend/index.ts';
import { benchMarkdown, pct } from '../src/main/eval/metrics/bench-markdown.ts';
import { detectionTable, type DetectionRecord } from '../src/main/eval/metrics/detection.ts';
import { loadLayersModelFile } from '../src/main/engine/model/layers.ts';
import { scoreUma } from '../src/main/engine/scan/anomaly.ts';
import { paramsSha256 } from '../src/main/util/params-digest.ts';
import { resolveParams } from '../src/shared/scan-params.ts';
import { runScan } from '../src/main/engine/scan/pipeline.ts';
import { listCorpus, type Manifest } from '../src/main/eval/zoo/corpus.ts';
import { loadSplit } from '../src/main/eval/zoo/datasets.ts';
import type { Dataset } from '../src/main/engine/data/index.ts';
import { markdownBeside } from './results-file.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    epochs: { type: 'string', default: '3,10,30' },
    'per-call': { type: 'string', default: '2' },
    out: { type: 'string', default: join(import.meta.dirname, 'results', 'reference-sweep.json') },
  },
});
// Refused before any work when the results file does not end in .json.
const markdownOut = markdownBeside(values.out);
const budgets = values.epochs.split(',').map(Number);
const perCall = Number(values['per-call']);
const SEED = 1;
// The scans it re-scores are the authors' profile's (the tuned profile is what it measures).
const base = resolveParams({ ...AUTHORS_PROFILE, maxPerClass: 50 });

interface SweepRecord extends DetectionRecord {
  id: string;
  referenceEpochs: number;
  referenceAccuracy: number;
  /** Classes recomputed, with their transfer ASR under this reference. */
  recomputed: { index: number; anomalyIndex: number; transferAsr: number }[];
}

/** Transfer ASRs of `classes` under a reference trained `epochs` epochs; checks the inversion repeats. */
async function transfers(
  dir: string,
  m: Manifest,
  data: Dataset,
  cached: ScanResult,
  classes: number[],
  epochs: number,
) {
  const model = await loadLayersModelFile(dir, { name: m.id });
  try {
    const completed = cached.classes.filter((c) => !classes.includes(c.index));
    const { result } = await runScan({
      model,
      data,
      method: 'uma',
      params: { ...cached.params, referenceEpochs: epochs },
      seed: SEED,
      workers: 0,
      completed,
    });
    for (const k of classes) {
      const [a, b] = [cached.classes[k], result.classes[k]];
      if (a.asr !== b.asr || a.maskL1 !== b.maskL1)
        throw new Error(
          `${m.id} class ${k}: the inversion did not repeat (ASR ${a.asr} vs ${b.asr}); the sweep would not be exact`,
        );
    }
    return {
      accuracy: result.reference?.accuracy ?? NaN,
      byClass: new Map(classes.map((k) => [k, result.classes[k].transferAsr!])),
    };
  } finally {
    model.dispose();
  }
}

async function sweepModel(
  dir: string,
  m: Manifest,
  data: Dataset,
  cached: ScanResult,
  epochs: number,
): Promise<SweepRecord> {
  const order = [...cached.classes].sort((a, b) => b.anomalyIndex! - a.anomalyIndex!).map((c) => c.index);
  const known = new Map<number, number>();
  let accuracy = cached.reference?.accuracy ?? NaN;
  if (epochs === cached.params.referenceEpochs) for (const c of cached.classes) known.set(c.index, c.transferAsr!);
  for (let i = 0; ![...known.values()].some((t) => t < base.transferThreshold) && i < order.length; i += perCall) {
    const r = await transfers(dir, m, data, cached, order.slice(i, i + perCall), epochs);
    accuracy = r.accuracy;
    for (const [k, t] of r.byClass) known.set(k, t);
  }
  // Classes below the first one that passes cannot change the outcome; count them as passing.
  const measures = cached.classes.map((c: ClassFinding) => ({
    asr: c.asr,
    maskL1: c.maskL1,
    transferAsr: known.get(c.index) ?? 0,
  }));
  const s = scoreUma(measures, cached.params);
  return {
    id: m.id,
    dataset: m.recipe.dataset,
    kind: m.recipe.kind,
    positive: m.attack !== null,
    target: m.attack?.target ?? null,
    method: `uma-ref${epochs}`,
    score: s.score,
    verdict: s.target === null ? 'clean' : 'trojaned',
    suspected: s.target,
    seconds: cached.seconds ?? 0,
    referenceEpochs: epochs,
    referenceAccuracy: accuracy,
    recomputed: order
      .filter((k) => known.has(k) && epochs !== cached.params.referenceEpochs)
      .map((k) => ({ index: k, anomalyIndex: cached.classes[k].anomalyIndex!, transferAsr: known.get(k)! })),
  };
}

await initBackend('wasm');
const out = values.out;
// The file is this script's own earlier output.
const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { records: SweepRecord[] }).records : [];
const records: SweepRecord[] = [];
const held = new Map<string, Dataset>();
for (const corpus of positionals) {
  for (const { dir, manifest } of listCorpus(corpus)) {
    const file = join(dir, `scan-uma-${paramsSha256(base, 'uma', SEED).slice(0, 16)}.json`);
    if (!existsSync(file)) {
      console.error(`${manifest.id}: no cached uma scan (run uma bench ${corpus} --max-per-class 50 first); skipped`);
      continue;
    }
    const cached = JSON.parse(readFileSync(file, 'utf8')) as ScanResult;
    const ds = manifest.recipe.dataset;
    if (!held.has(ds)) held.set(ds, loadSplit(ds).held);
    for (const epochs of budgets) {
      const done = previous.find((r) => r.id === manifest.id && r.referenceEpochs === epochs);
      const r = done ?? (await sweepModel(dir, manifest, held.get(ds)!, cached, epochs));
      records.push(r);
      console.error(
        `${manifest.id} referenceEpochs ${epochs}: reference accuracy ${r.referenceAccuracy.toFixed(2)}, score ${r.score.toFixed(2)} ${r.verdict}${r.suspected === null ? '' : ` (class ${r.suspected}${r.target === null ? '' : `, true ${r.target}`})`}${done ? ' (from the previous run)' : ''}`,
      );
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(
        out,
        `${JSON.stringify({ budgets, records: [...records, ...previous.filter((p) => !records.some((r) => r.id === p.id && r.referenceEpochs === p.referenceEpochs))] }, null, 2)}\n`,
      );
    }
  }
}
const rows = detectionTable(records);
const summary = [
  '| data set | referenceEpochs | reference accuracy (mean) | FP | FN | ROC-AUC | models |',
  '|---|---|---|---|---|---|---|',
];
for (const row of rows.filter((r) => r.attack === 'all')) {
  const mine = records.filter((r) => r.dataset === row.dataset && r.method === row.method);
  const acc = mine.reduce((s, r) => s + r.referenceAccuracy, 0) / mine.length;
  summary.push(
    `| ${row.dataset} | ${row.method.slice(7)} | ${acc.toFixed(2)} | ${pct(row.fpr)} | ${pct(row.fnr)} | ${pct(row.auc)} | ${row.clean}c+${row.trojaned}t |`,
  );
}
// Per attack, laid out like the bench's tables: method uma-refE is UMA with an E-epoch reference.
const markdown = `${summary.join('\n')}\n\n${benchMarkdown(rows, 'authors, reference budget varied')}`;
writeFileSync(markdownOut, markdown);
console.log(markdown);
