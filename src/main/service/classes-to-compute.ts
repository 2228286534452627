/**
 * What running a stored scan computes next: the classes without a row, then, where the ablation backoff
 * decides so (engine/scan/ablation-backoff.ts), every class again at the gentler rate. What scans/get and
 * scans/resume call `todo`, decided from the stored rows exactly as the engine will decide.
 */
import type { ClassFinding } from '../../shared/results.ts';
import type { ScanRecord } from '../cases/scans.ts';
import { nextPass } from '../engine/scan/ablation-backoff.ts';
import { withLegacyConstants } from './jobs.ts';

/** findings: the scan's stored class findings (getClassFindings). */
export function classesToCompute(scan: ScanRecord, findings: readonly ClassFinding[]): number[] {
  if (scan.status === 'completed') return [];
  const byIndex = new Map(findings.map((f) => [f.index, f]));
  return nextPass(byIndex, scan.numClasses, scan.method, withLegacyConstants(scan.params))?.todo ?? [];
}
