/**
 * What a threshold calibration record says (docs/algorithm.md, step 5, "Calibrating the threshold"),
 * read one way by the report, `uma verify`, the CLI and the UI.
 */
import type { ThresholdCalibrationRecord } from './results.ts';
import type { CalibrationRule } from './scan-params.ts';

/** Records made before the per-class rule have none: they are 'task'. */
export const ruleOf = (r: Pick<ThresholdCalibrationRecord, 'rule'>): CalibrationRule => r.rule ?? 'task';

/**
 * The thresholds each class of a scan is scored against: the per-class rule's, null for the one-threshold
 * rule (whose threshold is the scan's anomalyThreshold) or no calibration. The one reading of "calibrated
 * per class" for the scan's scoring, `uma verify`, the report, the explanations and the UI.
 */
export const classThresholdsOf = (
  c: Pick<ThresholdCalibrationRecord, 'rule' | 'classThresholds'> | null | undefined,
): number[] | null => (c && ruleOf(c) === 'class' ? (c.classThresholds ?? null) : null);

/** The threshold class k's index is compared with: its own where calibrated per class, else the scan's. */
export const classThreshold = (
  c: Pick<ThresholdCalibrationRecord, 'rule' | 'classThresholds'> | undefined,
  k: number,
  base: number,
): number => classThresholdsOf(c)?.[k] ?? base;

/**
 * The classes a per-class calibration raised above its base, highest threshold first (lowest index on a
 * tie): the classes where a trojan must clear a higher bar. Empty for the one-threshold rule.
 */
export function raisedClasses(
  r: Pick<ThresholdCalibrationRecord, 'base' | 'classThresholds'>,
): { index: number; threshold: number }[] {
  return (r.classThresholds ?? [])
    .map((threshold, index) => ({ index, threshold }))
    .filter((c) => c.threshold > r.base)
    .sort((a, b) => b.threshold - a.threshold || a.index - b.index);
}
