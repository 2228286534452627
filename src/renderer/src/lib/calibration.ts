/**
 * The new-scan form's threshold calibration (docs/algorithm.md, step 5, "Calibrating the threshold"):
 * which completed scans of known-clean models the analyst picked, and the margin as its field holds it.
 * A calibrated scan's threshold comes from the service, never from the anomalyThreshold field: the
 * service refuses both together.
 */
import type { CalibrationSpec, ScanSummary } from '../../../shared/api.ts';
import type { ThresholdCalibrationRecord } from '../../../shared/results.ts';
import {
  CALIBRATION_MARGIN,
  CALIBRATION_MARGIN_MAX,
  CALIBRATION_MAX_CLEAN_SCANS,
  type ScanMethod,
} from '../../../shared/scan-params.ts';
import { num } from './format.ts';
import type { ParamKey } from './params.ts';

export type ThresholdSource = 'profile' | 'calibrated';

export interface CalibrationChoice {
  cleanScanIds: number[];
  /** As typed; checked by marginError. */
  margin: string;
}

/** The parameter a calibration sets; its field is disabled and never sent while calibrating. */
export const CALIBRATED_KEY: ParamKey = 'anomalyThreshold';

export const emptyCalibration = (): CalibrationChoice => ({ cleanScanIds: [], margin: String(CALIBRATION_MARGIN) });

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
  return { cleanScanIds: [...c.cleanScanIds], margin: Number(c.margin.trim()) };
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

/**
 * The rule with its numbers, "max(base 2.00, margin 3 × largest 5.80)"; the service rounds the
 * threshold it gives up to two decimals.
 */
export function thresholdFormula(r: ThresholdCalibrationRecord): string {
  const largest = Math.max(...r.clean.map((c) => c.score));
  return `max(base ${num(r.base)}, margin ${r.margin} × largest ${num(largest)})`;
}
