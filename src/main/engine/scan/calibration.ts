/**
 * The anomaly threshold calibrated on known-clean models of the same task (docs/algorithm.md, step 5,
 * "Calibrating the threshold"). Rule 'task': T = max(the profile's threshold, margin x the largest clean
 * model score). Rule 'class': T_k = max(the profile's threshold, margin x the largest index class k
 * reached in a clean scan where it passed the transfer filter).
 * Where most classes end unreachable after the ablation (43-class GTSRB CNNs, tiny MLPs) the paper's
 * index has no baseline and a clean model's natural class scores far above the constant 2, while a
 * trojan's target scores orders of magnitude higher still: the ranking holds, the constant does not.
 * Those natural classes are the ones the ablation leaves reachable, the frequent ones, so a threshold
 * per class clears them without raising the bar at every other class.
 */
import { UmaError } from '../../../shared/errors.ts';
import type { ScanResult } from '../../../shared/results.ts';
import type { CalibrationRule, ScanParams } from '../../../shared/scan-params.ts';
import { rescoreResult } from './anomaly.ts';

export interface ThresholdCalibration {
  rule: CalibrationRule;
  /** Each clean scan's model score under the scoring constants given. */
  scores: number[];
  /** Rule 'class': each clean scan's class indices where they passed the filter, null where not. */
  classScores?: (number | null)[][];
  margin: number;
  /** The stated threshold: the rule's, rounded up to two decimals (calibratedThreshold); rule 'class', the base. */
  threshold: number;
  /** Rule 'class': each class's stated threshold (calibratedClassThresholds). */
  classThresholds?: number[];
}

function checkMargin(margin: number): void {
  if (!(margin >= 0) || !Number.isFinite(margin))
    throw new UmaError('BAD_INPUT', `the calibration margin must be a finite number >= 0, not ${margin}`);
}

/** The rule alone, on model scores (a model is flagged exactly when its score exceeds the threshold). */
export function thresholdFromCleanScores(scores: readonly number[], base: number, margin: number): number {
  if (scores.length === 0) throw new UmaError('BAD_INPUT', 'threshold calibration needs at least one clean scan');
  checkMargin(margin);
  return Math.max(base, margin * Math.max(...scores));
}

/** Rounded up to two decimals, so that the stated threshold never flags a clean model the exact one passes. */
export function roundThresholdUp(threshold: number): number {
  const nearest = Math.round(threshold * 100) / 100;
  return nearest >= threshold ? nearest : Math.ceil(threshold * 100) / 100;
}

/**
 * The threshold a calibration states, as `uma calibrate` prints it, a calibrated scan uses it and
 * `uma verify` recomputes it from the clean scores a report lists: the rule, rounded up.
 */
export function calibratedThreshold(scores: readonly number[], base: number, margin: number): number {
  return roundThresholdUp(thresholdFromCleanScores(scores, base, margin));
}

/**
 * The per-class rule on each clean scan's class indices (null: filtered, sets nothing), each threshold
 * rounded up as calibratedThreshold's: what a calibrated scan compares class k with and `uma verify`
 * recomputes.
 */
export function calibratedClassThresholds(
  classScores: readonly (readonly (number | null)[])[],
  base: number,
  margin: number,
): number[] {
  if (classScores.length === 0) throw new UmaError('BAD_INPUT', 'threshold calibration needs at least one clean scan');
  checkMargin(margin);
  return classScores[0].map((_, k) => {
    const seen = classScores.map((s) => s[k]).filter((x): x is number => x !== null);
    return roundThresholdUp(Math.max(base, margin * Math.max(-Infinity, ...seen)));
  });
}

/**
 * Calibrates on finished scans of known-clean models, re-scored under `params` (nothing is rescanned).
 * They must be comparable with each other: one method, one number of classes. `names` label them in errors.
 */
export function calibrateThreshold(
  clean: readonly Pick<ScanResult, 'method' | 'classes' | 'reference' | 'params'>[],
  names: readonly string[],
  params: ScanParams,
  margin: number,
  rule: CalibrationRule = 'task',
): ThresholdCalibration {
  clean.forEach((r, i) => {
    // A surviving trigger's score scales with the threshold (anomaly.ts, survivalScore): no threshold removes it.
    if (r.params.survivalTest)
      throw new UmaError(
        'BAD_INPUT',
        `${names[i]} ran the survival test, whose flags no threshold changes: calibrate on scans without it`,
      );
    if (r.method !== clean[0].method)
      throw new UmaError(
        'BAD_INPUT',
        `${names[i]} is a '${r.method}' scan and ${names[0]} a '${clean[0].method}' scan: calibrate on scans of one method`,
      );
    if (r.classes.length !== clean[0].classes.length)
      throw new UmaError(
        'BAD_INPUT',
        `${names[i]} has ${r.classes.length} classes and ${names[0]} ${clean[0].classes.length}: calibrate on models of one task`,
      );
  });
  const scored = clean.map((r) => rescoreResult(r, params));
  const scores = scored.map((s) => s.score);
  if (rule === 'task')
    return { rule, scores, margin, threshold: calibratedThreshold(scores, params.anomalyThreshold, margin) };
  const classScores = scored.map((s) => s.classes.map((c) => (c.passesFilter ? c.anomalyIndex : null)));
  return {
    rule,
    scores,
    classScores,
    margin,
    threshold: params.anomalyThreshold,
    classThresholds: calibratedClassThresholds(classScores, params.anomalyThreshold, margin),
  };
}
