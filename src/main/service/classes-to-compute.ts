/**
 * What running a stored scan computes next: the classes without a row, then, where the ablation backoff
 * decides so (engine/scan/ablation-backoff.ts), every class again at the gentler rate. What scans/get and
 * scans/resume call `todo`, decided from the stored rows exactly as the engine will decide.
 */
import type { CaseDb } from '../cases/db.ts';
import { getClassFindings } from '../cases/findings.ts';
import type { ScanRecord } from '../cases/scans.ts';
import { nextPass } from '../engine/scan/ablation-backoff.ts';
import { withLegacyConstants } from './jobs.ts';

export function classesToCompute(cdb: CaseDb, scan: ScanRecord): number[] {
  if (scan.status === 'completed') return [];
  const findings = new Map(getClassFindings(cdb, scan.id).map((f) => [f.index, f]));
  return nextPass(findings, scan.numClasses, scan.method, withLegacyConstants(scan.params))?.todo ?? [];
}
