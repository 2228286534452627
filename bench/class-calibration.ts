/**
 * The anomaly threshold calibrated per class on known-clean models (issue 18), measured beside
 * `uma calibrate`'s one threshold per task (bench/threshold-calibration.ts): the evidence for the
 * calibration's rule 'class' (`uma calibrate --per-class`), whose rounding it shares
 * (engine/scan/calibration.ts, calibratedThreshold and calibratedClassThresholds). On GTSRB a clean model's
 * false positive is a class its ablation leaves reachable, and which classes those are follows how
 * often the model saw them (bench/reachable-classes.ts: GTSRB's most frequent classes, in clean and
 * trojaned models alike). One threshold per task has to clear the highest of them (3 x 17.4 on the
 * GTSRB CNNs) and then misses trojans at rare classes (filter 21.7, SIG 32.8). Per class:
 *
 *   T_k = max(profile threshold, margin x the largest index class k reached in a clean tune-half scan
 *             of the group, where it passed the transfer filter)
 *
 * and a model is flagged where some class that passes the filter has a_k > T_k; its score for the ROC is
 * max_k a_k / T_k (flagged above 1). The margin is chosen as threshold-calibration.ts chooses it: by
 * leave-one-out on the tune half (each clean model against the thresholds the other clean models of its
 * group give, each trojan against all of them), best mean accuracy over groups, then the smaller margin.
 * The report half is scored with the thresholds of the whole tune half, beside the profile's threshold
 * and the one per-task threshold (same margins, same choice). Groups are data set and architecture, as
 * `uma calibrate` advises. Nothing is rescanned: the default UMA scans cached beside each model.
 *
 * Run: node bin/run-ts.mjs bench/class-calibration.ts CORPUS... [--margins 1,1.25,1.5,2,3]
 *        [--param NAME=VALUE]... [--out FILE]
 * `--param` re-scores the cached scans with a score-only parameter changed (SCORE_ONLY_PARAMS:
 * anomalyBaselineWorking, anomalyLogFloor, ...); the scans read are still the default's.
 * Writes bench/results/class-calibration.json (or --out) and prints the tables.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseParams } from '../src/main/cli/scan-options.ts';
import { rescoreResult } from '../src/main/engine/scan/anomaly.ts';
import { calibratedClassThresholds, calibratedThreshold } from '../src/main/engine/scan/calibration.ts';
import { halfOf } from '../src/main/eval/bench.ts';
import { passedByRaisedThreshold } from '../src/shared/class-explanation.ts';
import { SCORE_ONLY_PARAMS } from '../src/shared/scan-params.ts';
import { auc } from '../src/main/eval/metrics/roc.ts';
import { defaultScans, DEFAULT_SCAN } from './cached-scans.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    margins: { type: 'string', default: '1,1.25,1.5,2,3' },
    param: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: join(import.meta.dirname, 'results', 'class-calibration.json') },
  },
});
if (positionals.length === 0)
  throw new Error('usage: class-calibration.ts CORPUS... [--margins LIST] [--param NAME=VALUE]... [--out FILE]');
const margins = values.margins.split(',').map(Number);

const overrides = parseParams(values.param);
// The scans read are the default's: a parameter that changes what a scan measures would need a rescan.
const measured = Object.keys(overrides).filter((k) => !(SCORE_ONLY_PARAMS as readonly string[]).includes(k));
if (measured.length)
  throw new Error(`--param ${measured.join(', ')}: not score-only (${SCORE_ONLY_PARAMS.join(', ')}); rescan instead`);
const PARAMS = { ...DEFAULT_SCAN.params, ...overrides };

interface Model {
  id: string;
  group: string;
  half: string;
  positive: boolean;
  target: number | null;
  /** The model's score as the scan and `uma calibrate` compute it (rescoreResult). */
  score: number;
  /** Per class: its anomaly index where it passes the transfer filter, else null (never flagged). */
  classScores: (number | null)[];
}

const models: Model[] = defaultScans(positionals).map(({ manifest: m, scan }) => {
  const scored = rescoreResult(scan, PARAMS);
  return {
    id: m.id,
    group: `${m.recipe.dataset}/${String(m.recipe.arch ?? '')}`,
    half: halfOf(m),
    positive: m.attack !== null && m.attack !== undefined,
    target: m.attack?.target ?? null,
    score: scored.score,
    classScores: scored.classes.map((c) => (c.passesFilter ? c.anomalyIndex : null)),
  };
});
const groups = [...new Set(models.map((m) => m.group))].sort();
const tune = models.filter((m) => m.half === 'tune');
const report = models.filter((m) => m.half === 'report');

type Rule = 'profile' | 'per task' | 'per class';
/** Per-class thresholds from clean scans (a rule's T_k); 'per task' is every class at the task's one T. */
function thresholds(rule: Rule, clean: readonly Model[], margin: number, classes: number): number[] {
  const base = PARAMS.anomalyThreshold;
  if (rule === 'profile' || clean.length === 0) return new Array<number>(classes).fill(base);
  if (rule === 'per task') {
    const t = calibratedThreshold(
      clean.map((m) => m.score),
      base,
      margin,
    );
    return new Array<number>(classes).fill(t);
  }
  return calibratedClassThresholds(
    clean.map((m) => m.classScores),
    base,
    margin,
  );
}
/** Each class's index over its threshold (a filtered class never counts): flagged above 1. */
const over = (m: Model, t: readonly number[]) => m.classScores.map((s, k) => (s ?? -Infinity) / t[k]);
/** The model's score against per-class thresholds: flagged above 1. */
const scoreAgainst = (m: Model, t: readonly number[]) => Math.max(...over(m, t));
/** The class a scan names as the target: of the classes above their thresholds, the largest index (pickTarget). */
const flaggedClass = (m: Model, t: readonly number[]) => {
  const r = over(m, t);
  let best: number | null = null;
  r.forEach((x, k) => {
    if (x > 1 && (best === null || m.classScores[k]! > m.classScores[best]!)) best = k;
  });
  return best;
};

/**
 * The classes above the base that only a raised threshold passed: what the product names as "passed only by
 * its raised threshold" (passedByRaisedThreshold), where a trojan aimed at a frequent class passes too.
 */
const passedByRaised = (m: Model, t: readonly number[]) =>
  m.classScores.flatMap((index, k) => {
    if (index === null) return []; // filtered: never flagged, never passed by a threshold
    const anomaly = { index, threshold: t[k], base: PARAMS.anomalyThreshold, perClass: true };
    return passedByRaisedThreshold({ outcome: index > t[k] ? 'flagged' : 'passed', anomaly }) ? [k] : [];
  });

function leaveOneOut(rule: Rule, group: string, margin: number) {
  const mine = tune.filter((m) => m.group === group);
  const clean = mine.filter((m) => !m.positive);
  const n = mine[0]?.classScores.length ?? 0;
  const fp = clean.filter(
    (m) =>
      flaggedClass(
        m,
        thresholds(
          rule,
          clean.filter((c) => c !== m),
          margin,
          n,
        ),
      ) !== null,
  ).length;
  const all = thresholds(rule, clean, margin, n);
  const trojans = mine.filter((m) => m.positive);
  const fn = trojans.filter((m) => flaggedClass(m, all) === null).length;
  return {
    clean: clean.length,
    trojans: trojans.length,
    fp,
    fn,
    accuracy: mine.length ? 1 - (fp + fn) / mine.length : 1,
  };
}

function chooseMargin(rule: Rule) {
  const sweep = margins.map((margin) => {
    const per = Object.fromEntries(groups.map((g) => [g, leaveOneOut(rule, g, margin)]));
    const inTune = groups.filter((g) => per[g].clean + per[g].trojans > 0);
    return { margin, meanAccuracy: inTune.reduce((s, g) => s + per[g].accuracy, 0) / inTune.length, groups: per };
  });
  const chosen = [...sweep].sort((a, b) => b.meanAccuracy - a.meanAccuracy || a.margin - b.margin)[0].margin;
  return { rule, sweep, chosen };
}

function reportWith(rule: Rule, margin: number) {
  return groups.map((group) => {
    const mine = report.filter((m) => m.group === group);
    const calibration = tune.filter((m) => m.group === group && !m.positive);
    const n = mine[0]?.classScores.length ?? 0;
    const t = thresholds(rule, calibration, margin, n);
    const rows = mine.map((m) => ({
      id: m.id,
      positive: m.positive,
      target: m.target,
      score: scoreAgainst(m, t),
      flagged: flaggedClass(m, t),
      // The product says it of per-class thresholds only (a per-task threshold raises every class alike).
      passedByRaised: rule === 'per class' ? passedByRaised(m, t) : [],
    }));
    const clean = rows.filter((r) => !r.positive).length;
    return {
      group,
      calibratedOn: calibration.map((m) => m.id),
      thresholds: t,
      auc: auc(rows),
      fp: rows.filter((r) => !r.positive && r.flagged !== null).length,
      clean,
      fn: rows.filter((r) => r.positive && r.flagged === null).length,
      trojans: rows.length - clean,
      rightTarget: rows.filter((r) => r.positive && r.flagged === r.target).length,
      rows,
    };
  });
}

const rules: Rule[] = ['profile', 'per task', 'per class'];
const choices = rules.filter((r) => r !== 'profile').map(chooseMargin);
const results = rules.map((rule) => {
  const margin = choices.find((c) => c.rule === rule)?.chosen ?? 0;
  return { rule, margin, report: reportWith(rule, margin) };
});
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(
  values.out,
  `${JSON.stringify({ corpora: positionals, overrides, seed: DEFAULT_SCAN.seed, threshold: PARAMS.anomalyThreshold, choices, results }, null, 2)}\n`,
);

const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : String(v));
for (const c of choices) {
  console.log(`\n${c.rule}: tune-half leave-one-out per margin (FP/clean FN/trojans per group); chosen ${c.chosen}`);
  for (const s of c.sweep)
    console.log(
      `  margin ${s.margin}: mean accuracy ${f(s.meanAccuracy)}; ` +
        groups
          .map((g) => `${g} ${s.groups[g].fp}/${s.groups[g].clean} ${s.groups[g].fn}/${s.groups[g].trojans}`)
          .join(', '),
    );
}
console.log('\nreport half: rule (margin) | group: AUC, FP, FN, right target');
for (const r of results)
  for (const g of r.report)
    if (g.rows.length)
      console.log(
        `${r.rule} (${r.margin}) | ${g.group}: AUC ${f(g.auc)}, FP ${g.fp}/${g.clean}, FN ${g.fn}/${g.trojans}, target ${g.rightTarget}/${g.trojans}; ` +
          g.rows
            .map(
              (x) =>
                `${x.id.replace(/^.*-(cnn|mlp|resnet-bn)-/, '')} ${f(x.score)}@${x.flagged ?? '-'}` +
                (x.passedByRaised.length ? `(raised-pass ${x.passedByRaised.join(',')})` : ''),
            )
            .join(' '),
      );
