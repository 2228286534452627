/**
 * Scores the trigger-survival measurements (bench/trigger-survival.ts) as detectors, beside the `uma`
 * and `nc` scans `uma bench` cached for the same models (default profile, 100 per class, seed 1):
 *
 * - `survival`: class k is flagged when the trigger reversed against M (ASR >= survivalMinAsr there)
 *   still sends at least tau of the other classes' samples to k once k is ablated with the output layer
 *   frozen (score: the engine's survivalScore);
 * - `uma + survival`: the cached scan re-scored by the scanner's own rule (scoreRecord) with each class's
 *   survival measure attached and survivalThreshold = tau: what `--profile survival` would report;
 * - `noablation`: UMA's index over the triggers reversed against M (no transfer filter: the survival
 *   bench trains no reference), and `noablation + survival` likewise (scoreUma).
 *
 * tau is chosen on the tune half (accuracy at the threshold, then ROC-AUC, then the larger tau) and
 * reported on the report half, which is never looked at to choose.
 *
 * Run: node bin/run-ts.mjs bench/trigger-survival-score.ts [--out FILE.json] bench/results/trigger-survival/*.json
 * Writes score.json and score.md beside the first file (or FILE.json and FILE.md).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { scoreUma, survivalScore, type ModelScore } from '../src/main/engine/scan/anomaly.ts';
import { cachePath, scoreRecord } from '../src/main/eval/bench.ts';
import { benchMarkdown, pct } from '../src/main/eval/metrics/bench-markdown.ts';
import { detectionTable, type DetectionRecord, type DetectionRow } from '../src/main/eval/metrics/detection.ts';
import type { ScanResult } from '../src/shared/results.ts';
import { resolveParams, type ScanMethod, type ScanParams } from '../src/shared/scan-params.ts';
import type { SurvivalModel } from './trigger-survival.ts';
import { markdownBeside } from './results-file.ts';

const { values: options, positionals: files } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' } },
});
if (files.length === 0) throw new Error('give the trigger-survival JSON files to score');
const out = options.out ?? join(dirname(files[0]), 'score.json');
// Refused before any work when the results file does not end in .json.
const markdownOut = markdownBeside(out);
const TAUS = [0.5, 0.6, 0.7, 0.8, 0.9];

interface Input {
  corpus: string;
  seed: number;
  params: ScanParams;
  models: SurvivalModel[];
}
const inputs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Input);

function cached(input: Input, m: SurvivalModel, method: ScanMethod): ScanResult | null {
  const file = cachePath(join(input.corpus, m.id), method, input.params, input.seed);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ScanResult) : null;
}

/** Class k's survival measure as the scanner records it (the head-frozen ablation). */
const measure = (m: SurvivalModel, k: number) => {
  const c = m.classes[k];
  return { maskL1: c.maskL1, asrModel: c.asrModel, asrAblated: c.asrAblated['freeze-head'] };
};

/** The survival test alone: the class with the largest survival score, flagged from the threshold up. */
function survivalOnly(m: SurvivalModel, p: ScanParams): Pick<ModelScore, 'score' | 'target'> {
  const scores = m.classes.map((_, k) => survivalScore(measure(m, k), p) ?? -Infinity);
  const score = Math.max(...scores);
  return { score, target: score >= p.anomalyThreshold ? scores.indexOf(score) : null };
}

/** UMA's index over the triggers reversed against M, with or without their survival. */
function noablation(m: SurvivalModel, p: ScanParams, withSurvival: boolean): ModelScore {
  return scoreUma(
    m.classes.map((c, k) => ({
      asr: c.inversionAsr,
      maskL1: c.maskL1,
      transferAsr: null,
      ...(withSurvival ? { survival: measure(m, k) } : {}),
    })),
    p,
  );
}

function record(
  m: SurvivalModel,
  dataset: string,
  method: string,
  s: Pick<ModelScore, 'score' | 'target'>,
  seconds: number,
): DetectionRecord {
  return {
    dataset,
    kind: m.attack ?? 'clean',
    positive: m.attack !== null,
    method,
    score: s.score,
    verdict: s.target === null ? 'clean' : 'trojaned',
    suspected: s.target,
    target: m.target,
    seconds,
  };
}

const fromScan = (r: ReturnType<typeof scoreRecord>) => ({ score: r.score, target: r.suspected });

function records(half: string, tau: number): DetectionRecord[] {
  const out: DetectionRecord[] = [];
  for (const input of inputs)
    for (const m of input.models.filter((x) => x.half === half)) {
      const dataset = m.id.startsWith('fashion-mnist') ? 'fashion-mnist' : m.id.split('-')[0];
      // Files written before the survival parameters existed lack them: they take the defaults.
      const p = resolveParams({ ...input.params, survivalThreshold: tau });
      const uma = cached(input, m, 'uma');
      const nc = cached(input, m, 'nc');
      out.push(record(m, dataset, `survival (tau ${tau})`, survivalOnly(m, p), m.seconds));
      out.push(record(m, dataset, 'noablation (no filter)', noablation(m, p, false), m.seconds));
      out.push(record(m, dataset, `noablation + survival (tau ${tau})`, noablation(m, p, true), m.seconds));
      if (uma) {
        const withSurvival = { ...uma, classes: uma.classes.map((c, k) => ({ ...c, survival: measure(m, k) })) };
        out.push(record(m, dataset, 'uma (cached scan)', fromScan(scoreRecord(uma, 'uma', p)), uma.seconds));
        const both = fromScan(scoreRecord(withSurvival, 'uma', p));
        out.push(record(m, dataset, `uma + survival (tau ${tau})`, both, uma.seconds + m.seconds));
      }
      if (nc) out.push(record(m, dataset, 'nc (cached scan)', fromScan(scoreRecord(nc, 'nc', p)), nc.seconds));
    }
  return out;
}

const allRows = (rows: DetectionRow[], method: string) => rows.filter((r) => r.attack === 'all' && r.method === method);
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

// Choose tau on the tune half for `uma + survival`.
const tune = TAUS.map((tau) => {
  const rows = allRows(detectionTable(records('tune', tau)), `uma + survival (tau ${tau})`);
  return { tau, accuracy: mean(rows.map((r) => r.accuracy)), auc: mean(rows.map((r) => r.auc)), rows };
});
const chosen = [...tune].sort((a, b) => b.accuracy - a.accuracy || b.auc - a.auc || b.tau - a.tau)[0];

const tuneRows = detectionTable(records('tune', chosen.tau));
const reportRows = detectionTable(records('report', chosen.tau));
const summary = (rows: DetectionRow[]) =>
  [
    '| method | data set | clean + trojans | ROC-AUC | FP | FN | right target |',
    '|---|---|---|---|---|---|---|',
    ...rows
      .filter((r) => r.attack === 'all')
      .map(
        (r) =>
          `| ${r.method} | ${r.dataset} | ${r.clean}c+${r.trojaned}t | ${r.auc.toFixed(2)} | ${pct(r.fpr)} | ${pct(r.fnr)} | ${pct(r.targetHit)} |`,
      ),
  ].join('\n');

const md = [
  `# Trigger survival as a detector (${files.join(', ')})`,
  '',
  '## Tune half: tau for `uma + survival`',
  '',
  '| tau | mean accuracy | mean ROC-AUC |',
  '|---|---|---|',
  ...tune.map((t) => `| ${t.tau} | ${pct(t.accuracy)} | ${t.auc.toFixed(3)} |`),
  '',
  `Chosen: tau = ${chosen.tau}.`,
  '',
  '## Tune half',
  '',
  summary(tuneRows),
  '',
  '## Report half',
  '',
  summary(reportRows),
  '',
  '## Report half per attack',
  '',
  benchMarkdown(reportRows, 'tuned'),
].join('\n');
writeFileSync(
  out,
  `${JSON.stringify(
    {
      files,
      taus: TAUS,
      chosenTau: chosen.tau,
      tune: tuneRows.map(({ roc: _, ...r }) => r),
      report: reportRows.map(({ roc: _, ...r }) => r),
    },
    null,
    2,
  )}\n`,
);
writeFileSync(markdownOut, `${md}\n`);
console.log(md);
