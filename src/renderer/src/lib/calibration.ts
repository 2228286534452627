/**
 * The new-scan form's threshold calibration (docs/algorithm.md, step 5, "Calibrating the threshold"):
 * which completed scans of known-clean models the analyst picked, one threshold for the task or one per
 * class, and the margin as its field holds it.
 * A calibrated scan's threshold comes from the service, never from the anomalyThreshold field: the
 * service refuses both together.
 */
import type { CalibrationSpec, ScanSummary } from '../../../shared/api.ts';
import { raisedClasses, ruleOf } from '../../../shared/calibration-record.ts';
import type { ThresholdCalibrationRecord } from '../../../shared/results.ts';
import {
  calibrationMargin,
  CALIBRATION_MARGIN_MAX,
  CALIBRATION_MAX_CLEAN_SCANS,
  type CalibrationRule,
  type ScanMethod,
} from '../../../shared/scan-params.ts';
import { num } from './format.ts';
import type { ParamKey } from './params.ts';

export type ThresholdSource = 'profile' | 'calibrated';

export interface CalibrationChoice {
  cleanScanIds: number[];
  rule: CalibrationRule;
  /** As typed; checked by marginError. */
  margin: string;
}

/** The parameter a calibration sets; its field is disabled and never sent while calibrating. */
export const CALIBRATED_KEY: ParamKey = 'anomalyThreshold';

export const emptyCalibration = (): CalibrationChoice => ({
  cleanScanIds: [],
  rule: 'task',
  margin: String(calibrationMargin('task')),
});

/**
 * The choice under another rule. Each rule has its own default margin (its leave-one-out's), so a
 * margin still at the old rule's default, or blank, follows the rule; one the analyst typed is kept.
 */
export function withRule(c: CalibrationChoice, rule: CalibrationRule): CalibrationChoice {
  const t = c.margin.trim();
  const untouched = t === '' || Number(t) === calibrationMargin(c.rule);
  return { ...c, rule, margin: untouched ? String(calibrationMargin(rule)) : c.margin };
}

export function marginError(raw: string): string | null {
  const t = raw.trim();
  if (t === '') return 'required';
  const m = Number(t);
  if (!Number.isFinite(m)) return 'not a number';
  return m < 0 || m > CALIBRATION_MARGIN_MAX ? `from 0 to ${CALIBRATION_MARGIN_MAX}` : null;
}

/** What is still missing before the choice can be sent, or null when it can. */
export function calibrationProblem(c: CalibrationChoice): string | null {
  if (c.cleanScanIds.length === 0) return 'Pick at least one scan of a known-clean model.';
  if (c.cleanScanIds.length > CALIBRATION_MAX_CLEAN_SCANS)
    return `Pick at most ${CALIBRATION_MAX_CLEAN_SCANS} clean scans.`;
  const m = marginError(c.margin);
  return m ? `Margin: ${m}.` : null;
}

/** The choice as scans/start and scans/calibrate take it; null while it has a problem. */
export function calibrationSpec(c: CalibrationChoice): CalibrationSpec | null {
  if (calibrationProblem(c)) return null;
  return { cleanScanIds: [...c.cleanScanIds], rule: c.rule, margin: Number(c.margin.trim()) };
}

/**
 * The scans that can serve as clean ones: completed scans of the same method (the service refuses
 * others), not of the suspect evidence itself, newest first.
 */
export function cleanCandidates(
  scans: ScanSummary[],
  method: ScanMethod,
  suspectEvidenceId: number | null,
): ScanSummary[] {
  return scans
    .filter((s) => s.status === 'completed' && s.method === method && s.evidenceId !== suspectEvidenceId)
    .sort((a, b) => b.id - a.id);
}

/** Overrides without the calibrated parameter: the threshold a calibration sets is the service's to compute. */
export function withoutCalibratedKey<T extends Partial<Record<ParamKey, unknown>>>(overrides: T): T {
  const rest = { ...overrides };
  delete rest[CALIBRATED_KEY];
  return rest;
}

/** How long the preview waits after the last edit, so typing a margin asks the service once. */
export const PREVIEW_DELAY_MS = 300;

/** "5 of 43 classes above the base". */
function aboveBase(r: ThresholdCalibrationRecord): string {
  return `${raisedClasses(r).length} of ${r.classThresholds?.length ?? 0} classes above the base`;
}

/** How many raised classes are named before "and N more": a line, not a 43-class table. */
const RAISED_SHOWN = 5;

/** "class 14 (9.20), class 2 (6.10) and 3 more"; empty when no class was raised. */
export function raisedList(r: ThresholdCalibrationRecord, shown = RAISED_SHOWN): string {
  const raised = raisedClasses(r);
  const named = raised
    .slice(0, shown)
    .map((c) => `class ${c.index} (${num(c.threshold)})`)
    .join(', ');
  return raised.length > shown ? `${named} and ${raised.length - shown} more` : named;
}

/**
 * The rule with its numbers, "max(base 2.00, margin 3 × largest 5.80)", or per class "per class:
 * max(base 2.00, margin 2 × the class's largest clean index); 5 of 43 classes above the base"; the
 * service rounds each threshold it gives up to two decimals.
 */
export function thresholdFormula(r: ThresholdCalibrationRecord): string {
  if (ruleOf(r) === 'class')
    return `per class: max(base ${num(r.base)}, margin ${r.margin} × the class's largest clean index); ${aboveBase(r)}`;
  const largest = Math.max(...r.clean.map((c) => c.score));
  return `max(base ${num(r.base)}, margin ${r.margin} × largest ${num(largest)})`;
}

/**
 * Where a scan's threshold came from, in a line: "Threshold 17.40 calibrated on 2 clean scans (margin 3,
 * base 2.00)". Per class the scan's anomalyThreshold is only every class's floor, so no single number is
 * stated: the line names the classes raised above it instead.
 */
export function calibrationSummary(r: ThresholdCalibrationRecord): string {
  const n = r.clean.length;
  const on = `calibrated on ${n} clean ${n === 1 ? 'scan' : 'scans'} (margin ${r.margin}, base ${num(r.base)})`;
  if (ruleOf(r) === 'task') return `Threshold ${num(r.threshold)} ${on}`;
  const list = raisedList(r);
  return `Threshold per class, ${on}; ${aboveBase(r)}${list ? `: ${list}` : ''}`;
}
