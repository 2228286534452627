/**
 * Scores the trigger-survival measurements (bench/trigger-survival.ts) as detectors, beside the `uma`
 * and `nc` scans `uma bench` cached for the same models (default profile, 100 per class, seed 1):
 *
 * - `survival`: class k is flagged when the trigger reversed against M (ASR >= 0.5 there) still sends
 *   at least tau of the other classes' samples to k once k is ablated with the output layer frozen
 *   (score: that ASR / tau);
 * - `uma + survival`: flagged by UMA's scan (anomaly index > threshold, trigger does not transfer) or
 *   by the survival test; score = the larger of index / threshold and survival ASR / tau;
 * - `noablation`: UMA's index over the triggers reversed against M (no transfer filter: the survival
 *   bench trains no reference), and `noablation + survival` likewise.
 *
 * tau is chosen on the tune half (accuracy at the threshold, then ROC-AUC, then the larger tau) and
 * reported on the report half, which is never looked at to choose.
 *
 * Run: node bin/run-ts.mjs bench/trigger-survival-score.ts bench/results/trigger-survival/*.json
 * Writes bench/results/trigger-survival/score.json and .md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { anomalyIndices, ratioOf } from '../src/main/engine/scan/anomaly.ts';
import { cachePath } from '../src/main/eval/bench.ts';
import { benchMarkdown, pct } from '../src/main/eval/metrics/bench-markdown.ts';
import { detectionTable, type DetectionRecord, type DetectionRow } from '../src/main/eval/metrics/detection.ts';
import type { ScanResult } from '../src/shared/results.ts';
import type { ScanMethod, ScanParams } from '../src/shared/scan-params.ts';
import type { SurvivalModel } from './trigger-survival.ts';

const files = process.argv.slice(2);
if (files.length === 0) throw new Error('give the trigger-survival JSON files to score');
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

/** Per class, the score normalised so that > 1 flags: the max over the candidate's tests. */
type ClassScores = number[];

function survival(m: SurvivalModel, tau: number): ClassScores {
  return m.classes.map((c) => (c.asrModel >= 0.5 ? c.asrAblated['freeze-head'] / tau : 0));
}

/** The scan's own per-class verdict inputs: a class whose trigger transfers never flags. */
function umaScan(scan: ScanResult, p: ScanParams): ClassScores {
  return scan.classes.map((c) =>
    (c.transferAsr ?? 0) >= p.transferThreshold ? -Infinity : (c.anomalyIndex ?? 0) / p.anomalyThreshold,
  );
}

function noablation(m: SurvivalModel, p: ScanParams): ClassScores {
  const ratios = m.classes.map((c) => ratioOf({ asr: c.inversionAsr, maskL1: c.maskL1 }, p));
  return anomalyIndices(ratios, p.anomalyLogFloor).map((a) => a / p.anomalyThreshold);
}

const either = (a: ClassScores, b: ClassScores): ClassScores => a.map((v, k) => Math.max(v, b[k]));

function record(m: SurvivalModel, dataset: string, method: string, scores: ClassScores, seconds: number) {
  const score = Math.max(...scores);
  const top = scores.indexOf(score);
  const r: DetectionRecord = {
    dataset,
    kind: m.attack ?? 'clean',
    positive: m.attack !== null,
    method,
    score,
    verdict: score > 1 ? 'trojaned' : 'clean',
    suspected: score > 1 ? top : null,
    target: m.target,
    seconds,
  };
  return r;
}

function records(half: string, tau: number): DetectionRecord[] {
  const out: DetectionRecord[] = [];
  for (const input of inputs)
    for (const m of input.models.filter((x) => x.half === half)) {
      const dataset = m.id.startsWith('fashion-mnist') ? 'fashion-mnist' : m.id.split('-')[0];
      const uma = cached(input, m, 'uma');
      const nc = cached(input, m, 'nc');
      const surv = survival(m, tau);
      const noabl = noablation(m, input.params);
      out.push(record(m, dataset, `survival (tau ${tau})`, surv, m.seconds));
      out.push(record(m, dataset, 'noablation (no filter)', noabl, m.seconds));
      out.push(record(m, dataset, `noablation + survival (tau ${tau})`, either(noabl, surv), m.seconds));
      if (uma) {
        const umaScores = umaScan(uma, input.params);
        out.push(record(m, dataset, 'uma (cached scan)', umaScores, uma.seconds));
        out.push(record(m, dataset, `uma + survival (tau ${tau})`, either(umaScores, surv), uma.seconds + m.seconds));
      }
      if (nc)
        out.push(
          record(
            m,
            dataset,
            'nc (cached scan)',
            nc.classes.map((c) => (c.anomalyIndex ?? 0) / 2),
            nc.seconds,
          ),
        );
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
const out = join(dirname(files[0]), 'score.json');
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
writeFileSync(out.replace(/\.json$/, '.md'), `${md}\n`);
console.log(md);
