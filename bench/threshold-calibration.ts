/**
 * Threshold calibration on known-clean models (issue 18): the anomaly threshold set from clean models
 * of the same task instead of the paper's constant 2. Where most classes end unreachable after the
 * ablation (43-class GTSRB CNNs, tiny MLPs) the median and MAD of r_k collapse and a clean model's
 * natural class scores far above 2 (bench/README.md, "A first PyTorch GTSRB subset").
 *
 * Rule (src/main/engine/scan/calibration.ts, `uma calibrate`): T_g = max(profile threshold, margin x the
 * largest score among group g's clean tune-half models), for two groupings: per data set, and per data
 * set and architecture. The margin is chosen on the tune half alone, by leave-one-out: each clean tune
 * model against the threshold the other clean models of its group give, each tune trojan against the
 * threshold all of them give; the best mean accuracy over data sets wins (ties: the smaller margin).
 * The profile's threshold (margin 0) is shown beside them, so the tables say where calibrating helps
 * and where it costs. The report half is then scored with each group's T_g.
 * Nothing is rescanned (the scans `uma bench CORPUS --half tune|report` cached beside each model).
 *
 * Run: node bin/run-ts.mjs bench/threshold-calibration.ts CORPUS... [--margins 1,1.25,1.5,2,3]
 *      [--profile tuned] [--max-per-class 100] [--param NAME=VALUE]... [--archive DIR]
 * Writes bench/results/threshold-calibration.json and .md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { benchMarkdown } from '../src/main/eval/metrics/bench-markdown.ts';
import { detectionTable, type DetectionRecord } from '../src/main/eval/metrics/detection.ts';
import { thresholdFromCleanScores } from '../src/main/engine/scan/calibration.ts';
import type { ScanRecord } from '../src/main/eval/bench.ts';
import { cachedScans } from './cached-scans.ts';
import { markdownBeside } from './results-file.ts';

const { corpora, profile, base, records, values } = cachedScans({
  margins: { type: 'string', default: '1,1.25,1.5,2,3' },
  out: { type: 'string', default: join(import.meta.dirname, 'results', 'threshold-calibration.json') },
});
const margins = (values.margins as string).split(',').map(Number);
const out = values.out as string;
// Refused before any work when the results file does not end in .json.
const markdownOut = markdownBeside(out);

/** The calibrated threshold from a group's clean scores; a group without any keeps the profile's. */
const thresholdFrom = (cleanScores: readonly number[], margin: number): number =>
  cleanScores.length ? thresholdFromCleanScores(cleanScores, base.anomalyThreshold, margin) : base.anomalyThreshold;

/**
 * Two groupings of "known-clean models of the task": the data set (the issue's per-data-set
 * calibration) and the data set with the architecture (what `uma calibrate` advises: clean models of
 * the suspect's kind; a small MLP's natural patches are not a CNN's).
 */
const GROUPINGS = {
  'data set': (r: ScanRecord) => r.dataset,
  'data set and architecture': (r: ScanRecord) => `${r.dataset}/${r.arch}`,
} as const;
type Grouping = keyof typeof GROUPINGS;

const tune = await records('tune', base);
const reportCurrent = await records('report', base);
const datasets = [...new Set([...tune, ...reportCurrent].map((r) => r.dataset))].sort();

function calibrateBy(grouping: Grouping) {
  const key = GROUPINGS[grouping];
  const cleanScores = (group: string) => tune.filter((r) => !r.positive && key(r) === group).map((r) => r.score);
  /** Leave-one-out on one data set's tune half: each clean model against the others of its group. */
  const leaveOneOut = (dataset: string, margin: number) => {
    const mine = tune.filter((r) => r.dataset === dataset);
    const clean = mine.filter((r) => !r.positive);
    const trojans = mine.filter((r) => r.positive);
    const fp = clean.filter(
      (r) =>
        r.score >
        thresholdFrom(
          clean.filter((c) => c !== r && key(c) === key(r)).map((c) => c.score),
          margin,
        ),
    ).length;
    const fn = trojans.filter((r) => r.score <= thresholdFrom(cleanScores(key(r)), margin)).length;
    return { clean: clean.length, trojans: trojans.length, fp, fn, accuracy: 1 - (fp + fn) / Math.max(mine.length, 1) };
  };
  // Margin 0 is the profile's threshold: shown beside the others as what calibrating changes, never chosen.
  const sweep = [0, ...margins].map((margin) => {
    const per = Object.fromEntries(datasets.map((d) => [d, leaveOneOut(d, margin)]));
    const meanAccuracy = datasets.reduce((s, d) => s + per[d].accuracy, 0) / datasets.length;
    return { margin, meanAccuracy, datasets: per };
  });
  const chosen = sweep
    .filter((s) => s.margin > 0)
    .sort((a, b) => b.meanAccuracy - a.meanAccuracy || a.margin - b.margin)[0].margin;
  const groups = [...new Set(reportCurrent.map(key))].sort();
  const thresholds = Object.fromEntries(groups.map((g) => [g, thresholdFrom(cleanScores(g), chosen)]));
  return { grouping, sweep, chosen, thresholds, uncalibrated: groups.filter((g) => cleanScores(g).length === 0) };
}

// The report half, scored with each group's threshold through the one scoring path.
async function reportCalibrated(c: ReturnType<typeof calibrateBy>): Promise<DetectionRecord[]> {
  const key = GROUPINGS[c.grouping];
  const scored: DetectionRecord[] = [];
  for (const [group, threshold] of Object.entries(c.thresholds))
    scored.push(
      ...(await records('report', { ...base, anomalyThreshold: threshold }))
        .filter((r) => key(r) === group)
        .map((r) => ({ ...r, method: `uma (calibrated per ${c.grouping})` })),
    );
  return scored;
}

const calibrations = (Object.keys(GROUPINGS) as Grouping[]).map(calibrateBy);
const reportRows = detectionTable([
  ...reportCurrent,
  ...(await Promise.all(calibrations.map(reportCalibrated))).flat(),
]);

const fixed = (x: number) => x.toFixed(2);
const calibrationMd = (c: ReturnType<typeof calibrateBy>) => [
  `## Tune half, calibrated per ${c.grouping}: leave-one-out per margin (FP / clean, FN / trojans)`,
  '',
  `| margin | mean accuracy | ${datasets.join(' | ')} |`,
  `|---|---|${datasets.map(() => '---|').join('')}`,
  ...c.sweep.map(
    (s) =>
      `| ${s.margin === 0 ? "0 (the profile's threshold)" : s.margin} | ${fixed(s.meanAccuracy)} | ${datasets
        .map((d) => `${s.datasets[d].fp}/${s.datasets[d].clean} / ${s.datasets[d].fn}/${s.datasets[d].trojans}`)
        .join(' | ')} |`,
  ),
  '',
  `Chosen margin: **${c.chosen}**. Thresholds: ${Object.entries(c.thresholds)
    .map(([g, t]) => `${g} **${fixed(t)}**`)
    .join(', ')}.`,
  c.uncalibrated.length ? `No clean tune-half model, so the profile's threshold: ${c.uncalibrated.join(', ')}.` : '',
  '',
];
const md = [
  `# Threshold calibration on known-clean models (${profile} profile's scans, ${base.maxPerClass} clean samples per class)`,
  '',
  `Corpora: ${corpora.join(', ')}. T_g = max(${base.anomalyThreshold}, margin x the largest score of group g's`,
  'clean tune-half models); the margin is chosen by leave-one-out on the tune half only.',
  '',
  ...calibrations.flatMap(calibrationMd),
  '## Report half: the profile threshold and the calibrated ones',
  '',
  benchMarkdown(reportRows, profile),
].join('\n');

mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      profile,
      base,
      calibrations,
      tuneScores: tune.map(({ id, dataset, arch, kind, score }) => ({ id, dataset, arch, kind, score })),
      report: reportRows.map(({ roc: _, ...r }) => r),
    },
    null,
    2,
  )}\n`,
);
writeFileSync(markdownOut, `${md}\n`);
console.log(md);
