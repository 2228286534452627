/**
 * Records a finished ScanResult in the case database in one call: the path `uma scan --case` takes
 * when the scan ran outside the database's crash-safe loop. It goes through the same steps as a
 * live scan (re-hash, running row, one transaction per class, completion) so the audit log and the
 * immutability rules are the same either way.
 */
import type { ClassArtifacts, ScanResult } from '../../shared/results.ts';
import { UmaError } from '../../shared/errors.ts';
import { paramsSha256 } from '../engine/scan/params.ts';
import { ensureCase } from './cases.ts';
import type { CaseDb } from './db.ts';
import { getEvidence, intakeEvidence, rehashEvidence, type EvidenceRecord, type IntakeInput } from './evidence.ts';
import { recordClassResult } from './findings.ts';
import { completeScan, failScan, queueScan, startScan } from './scans.ts';

export interface RecordInput {
  caseName: string;
  /** An evidence id already in the case, or the files to take in. */
  evidence: number | Omit<IntakeInput, 'caseId'>;
  result: ScanResult;
  artifacts: ClassArtifacts[];
  examiner?: string;
}

export async function recordScanResult(cdb: CaseDb, input: RecordInput): Promise<{ caseId: number; evidenceId: number; scanId: number }> {
  const kase = ensureCase(cdb, { name: input.caseName, examiner: input.examiner });
  let ev: EvidenceRecord;
  if (typeof input.evidence === 'number') {
    ev = getEvidence(cdb, input.evidence);
    if (ev.caseId !== kase.id) throw new UmaError('BAD_INPUT', `evidence ${ev.id} belongs to another case than '${input.caseName}'`);
  } else {
    ev = await intakeEvidence(cdb, { ...input.evidence, caseId: kase.id, classNames: input.evidence.classNames ?? input.result.classes.map((c) => c.name) });
  }
  const { result } = input;
  // A single-file model's digest is the file's sha256, which the scanner reports too.
  if (ev.files.length === 1 && result.model.sha256 && result.model.sha256 !== ev.sha256) {
    throw new UmaError('INTEGRITY', `the scan result is for a model with sha256 ${result.model.sha256}, but evidence ${ev.id} has ${ev.sha256}`);
  }
  if (result.paramsSha256 !== paramsSha256(result.params, result.method, result.seed)) {
    throw new UmaError('INTEGRITY', `the scan result's paramsSha256 ${result.paramsSha256} does not match its method, seed and parameters`);
  }
  const byClass = new Map(input.artifacts.map((a) => [a.classIndex, a]));
  const missing = result.classes.filter((c) => !byClass.has(c.index)).map((c) => c.index);
  if (missing.length > 0) throw new UmaError('BAD_INPUT', `no trigger images for classes ${missing.join(', ')}`);

  const prescan = await rehashEvidence(cdb, ev.id, 'before-scan');
  const scan = queueScan(cdb, {
    evidenceId: ev.id, examiner: input.examiner ?? kase.examiner ?? undefined, method: result.method, params: result.params, seed: result.seed,
    toolVersion: result.toolVersion, backend: result.backend, classNames: result.classes.map((c) => c.name),
  });
  startScan(cdb, scan.id, prescan);
  try {
    for (const c of result.classes) recordClassResult(cdb, scan.id, c, byClass.get(c.index)!);
    completeScan(cdb, scan.id, result);
  } catch (err) {
    failScan(cdb, scan.id, (err as Error).message);
    throw err;
  }
  return { caseId: kase.id, evidenceId: ev.id, scanId: scan.id };
}
