/**
 * The anomaly threshold calibrated on completed scans of known-clean models recorded in the case
 * database (docs/algorithm.md, step 5, "Calibrating the threshold"): scans/calibrate previews it and
 * scans/start sets it, and the record of which scans (and which models, by sha256) it came from is
 * stored with the scan and signed in its report. The rules are the engine's (engine/scan/calibration.ts),
 * the same as `uma calibrate` on result documents. `params` are the scan's: with the per-class rule,
 * already under its scoring (calibrationScoring).
 */
import type { ResolvedCalibrationSpec } from '../../shared/api.ts';
import { UmaError } from '../../shared/errors.ts';
import type { ThresholdCalibrationRecord } from '../../shared/results.ts';
import type { ScanMethod, ScanParams } from '../../shared/scan-params.ts';
import type { CaseDb } from '../cases/db.ts';
import { getEvidence } from '../cases/evidence.ts';
import { getScanResult } from '../cases/findings.ts';
import { getScan } from '../cases/scans.ts';
import { calibrateThreshold } from '../engine/scan/calibration.ts';

/** The model the threshold is for, so that it is not calibrated on itself or on another task. */
export interface CalibrationSuspect {
  sha256: string;
  numClasses?: number;
}

export function calibrateOnScans(
  cdb: CaseDb,
  spec: ResolvedCalibrationSpec,
  method: ScanMethod,
  params: ScanParams,
  suspect?: CalibrationSuspect,
): ThresholdCalibrationRecord {
  // As for the clean scans (engine/scan/calibration.ts): a surviving trigger's score scales with the threshold.
  if (params.survivalTest)
    throw new UmaError(
      'BAD_INPUT',
      'a scan with the survival test flags surviving triggers whatever the threshold: calibrate scans without it',
    );
  const scans = spec.cleanScanIds.map((id) => getScan(cdb, id));
  const results = scans.map((s) => {
    const r = getScanResult(cdb, s);
    if (s.status !== 'completed' || !r)
      throw new UmaError('BAD_INPUT', `scan ${s.id} is ${s.status}: calibrate on completed scans of clean models`);
    return r;
  });
  const names = scans.map((s) => `scan ${s.id}`);
  const models = scans.map((s) => getEvidence(cdb, s.evidenceId));
  models.forEach((ev, i) => {
    if (suspect && ev.sha256 === suspect.sha256)
      throw new UmaError(
        'BAD_INPUT',
        `${names[i]} is a scan of the suspect model itself (sha256 ${ev.sha256}): calibrate on other, known-clean models`,
      );
  });
  if (results[0].method !== method)
    throw new UmaError(
      'BAD_INPUT',
      `${names[0]} is a '${results[0].method}' scan; a '${method}' scan is calibrated on '${method}' scans`,
    );
  if (suspect?.numClasses !== undefined && results[0].classes.length !== suspect.numClasses)
    throw new UmaError(
      'BAD_INPUT',
      `${names[0]} has ${results[0].classes.length} classes and the suspect model ${suspect.numClasses}: calibrate on models of its task`,
    );
  const c = calibrateThreshold(results, names, params, spec.margin, spec.rule);
  return {
    rule: c.rule,
    base: params.anomalyThreshold,
    margin: spec.margin,
    threshold: c.threshold,
    ...(c.classThresholds && { classThresholds: c.classThresholds }),
    clean: scans.map((s, i) => ({
      scanId: s.id,
      caseId: s.caseId,
      model: models[i].displayName,
      sha256: models[i].sha256,
      score: c.scores[i],
      ...(c.classScores && { classScores: c.classScores[i] }),
      finishedAt: s.finished,
    })),
  };
}
