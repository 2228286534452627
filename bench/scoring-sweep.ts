/**
 * Scoring sweep (issue 18): how the scoring constants (SCORE_ONLY_PARAMS: the anomaly statistic and its
 * baseline, the transfer and anomaly thresholds) change UMA's verdicts, chosen on one half of the corpora and
 * reported on the other. Nothing is rescanned: `uma bench` caches every scan by what it measures, and
 * each candidate re-scores those measurements (src/main/eval/bench.ts, scoreRecord).
 *
 * Input: the scans `uma bench CORPUS --methods uma,nc,uma-noablation` cached beside each model.
 * Run: node bin/run-ts.mjs bench/scoring-sweep.ts CORPUS... [--profile tuned] [--max-per-class 100]
 *      [--param NAME=VALUE]... (measurement parameters of the scans to re-score, as given to `uma bench`)
 *      [--archive DIR] (restores archived scans first: bench/cached-scans.ts)
 * Writes bench/results/scoring-sweep.json and .md: every candidate's ROC-AUC / FP / FN per data set
 * on the tune half, the candidate chosen there, and the chosen and current constants on the report
 * half per attack, beside Neural Cleanse.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ScanParams } from '../src/shared/scan-params.ts';
import { benchMarkdown, pct } from '../src/main/eval/metrics/bench-markdown.ts';
import { detectionTable, type DetectionRow } from '../src/main/eval/metrics/detection.ts';
import type { BenchMethod, CorpusHalf, ScanRecord } from '../src/main/eval/bench.ts';
import { cachedScans } from './cached-scans.ts';
import { markdownBeside } from './results-file.ts';

const scans = cachedScans({
  floors: { type: 'string', default: '0,0.25,0.5,0.75,1,1.5' },
  baselines: { type: 'string', default: '0,1' },
  transfer: { type: 'string', default: '0.2,0.3,0.5' },
  thresholds: { type: 'string', default: '2,3' },
  out: { type: 'string', default: join(import.meta.dirname, 'results', 'scoring-sweep.json') },
});
const { profile, base } = scans;
const values = scans.values as Record<'floors' | 'baselines' | 'transfer' | 'thresholds' | 'out', string>;
// Refused before any work when the results file does not end in .json.
const markdownOut = markdownBeside(values.out);
const numbers = (s: string): number[] => s.split(',').map(Number);

type Scoring = Pick<
  ScanParams,
  'anomalyLogFloor' | 'anomalyBaselineWorking' | 'transferThreshold' | 'anomalyThreshold'
>;
const current: Scoring = {
  anomalyLogFloor: base.anomalyLogFloor,
  anomalyBaselineWorking: base.anomalyBaselineWorking,
  transferThreshold: base.transferThreshold,
  anomalyThreshold: base.anomalyThreshold,
};
const candidates: Scoring[] = numbers(values.floors).flatMap((anomalyLogFloor) =>
  numbers(values.baselines).flatMap((anomalyBaselineWorking) =>
    numbers(values.transfer).flatMap((transferThreshold) =>
      numbers(values.thresholds).map((anomalyThreshold) => ({
        anomalyLogFloor,
        anomalyBaselineWorking,
        transferThreshold,
        anomalyThreshold,
      })),
    ),
  ),
);

const records = (scoring: Scoring, half: CorpusHalf, methods: BenchMethod[]): Promise<ScanRecord[]> =>
  scans.records(half, { ...base, ...scoring }, methods);

/** Per data set, the 'all attacks' row; a candidate's merit is the mean over data sets of AUC and accuracy. */
function summary(rows: DetectionRow[], method: string) {
  const per = rows.filter((r) => r.attack === 'all' && r.method === method);
  const mean = (f: (r: DetectionRow) => number) => per.reduce((s, r) => s + f(r), 0) / per.length;
  return {
    datasets: Object.fromEntries(
      per.map((r) => [r.dataset, { auc: r.auc, fpr: r.fpr, fnr: r.fnr, accuracy: r.accuracy, targetHit: r.targetHit }]),
    ),
    meanAuc: mean((r) => r.auc),
    meanAccuracy: mean((r) => r.accuracy),
  };
}

const label = (s: Scoring) =>
  `${s.anomalyLogFloor === 0 ? "paper's index" : `log robust z, floor ${s.anomalyLogFloor}`}` +
  `${s.anomalyBaselineWorking ? ' over the working classes' : ''}, transfer < ${s.transferThreshold}, index > ${s.anomalyThreshold}`;

const tune = [];
for (const c of candidates) {
  const rows = detectionTable(await records(c, 'tune', ['uma']));
  tune.push({ scoring: c, label: label(c), ...summary(rows, 'uma') });
}
// Chosen on the tune half: accuracy at the threshold first (FP and FN both count), then AUC, then the
// fewest constants changed from the profile's (a tie on a small half is no evidence for a change).
const changes = (s: Scoring) => (Object.keys(current) as (keyof Scoring)[]).filter((k) => s[k] !== current[k]).length;
const best = [...tune].sort(
  (a, b) => b.meanAccuracy - a.meanAccuracy || b.meanAuc - a.meanAuc || changes(a.scoring) - changes(b.scoring),
)[0];

const methods: BenchMethod[] = ['uma', 'uma-noablation', 'nc'];
const reportCurrent = await records(current, 'report', methods);
// Neural Cleanse has no UMA scoring to choose, so its rows appear once, under the current constants.
const reportChosen = (await records(best.scoring, 'report', ['uma', 'uma-noablation'])).map((r) => ({
  ...r,
  method: `${r.method} (chosen scoring)`,
}));
const reportRows = detectionTable([...reportCurrent, ...reportChosen]);
const tuneRowsChosen = detectionTable(await records(best.scoring, 'tune', methods));

const md = [
  `# Scoring sweep (${profile} profile's scans, ${base.maxPerClass} clean samples per class)`,
  '',
  `Corpora: ${scans.corpora.join(', ')}. Candidates are chosen on the tune half only (accuracy at the`,
  'threshold averaged over data sets, then ROC-AUC); the report half is never looked at to choose.',
  '',
  '## Tune half: every candidate',
  '',
  '| scoring | mean AUC | mean accuracy | per data set (AUC / FP / FN) |',
  '|---|---|---|---|',
  ...tune.map(
    (t) =>
      `| ${t.label} | ${t.meanAuc.toFixed(3)} | ${pct(t.meanAccuracy)} | ${Object.entries(t.datasets)
        .map(([d, v]) => `${d} ${v.auc.toFixed(2)} / ${pct(v.fpr)} / ${pct(v.fnr)}`)
        .join('; ')} |`,
  ),
  '',
  `Chosen: **${best.label}** (current: ${label(current)}).`,
  '',
  '## Tune half, chosen scoring',
  '',
  benchMarkdown(tuneRowsChosen, profile),
  '## Report half: current scoring and chosen scoring',
  '',
  benchMarkdown(reportRows, profile),
].join('\n');

mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(
  values.out,
  `${JSON.stringify({ profile, base, current, chosen: best.scoring, tune, report: reportRows.map(({ roc: _, ...r }) => r) }, null, 2)}\n`,
);
writeFileSync(markdownOut, `${md}\n`);
console.log(md);
