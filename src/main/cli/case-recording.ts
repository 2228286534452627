/**
 * `uma scan --case NAME`: the model is taken into the case as evidence (hashed, copied read-only into
 * the case store) before anything reads it, the scan runs on the stored copy, and the result is
 * recorded in the case database; `--report OUT.zip` then signs and archives it.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureCase } from '../cases/cases.ts';
import { openCaseDb, type CaseDb } from '../cases/db.ts';
import { intakeEvidence, rehashEvidence, storedFiles, type EvidenceRecord } from '../cases/evidence.ts';
import { recordScanResult } from '../cases/record.ts';
import { detectModelFormat } from '../engine/model/load.ts';
import { readLayersFiles } from '../engine/model/layers.ts';
import type { ClassArtifacts, ScanResult } from '../../shared/results.ts';
import { exportScanArchive, type ExportedArchive } from '../reports/export.ts';

export interface CaseTarget {
  caseName: string;
  db?: string;
  examiner?: string;
  expectedSha256?: string;
}

export interface OpenedEvidence {
  cdb: CaseDb;
  evidence: EvidenceRecord;
  /** The path to load the model from: the read-only copy in the case store. */
  storedModelPath: string;
}

function modelFiles(path: string): string[] {
  return detectModelFormat(path) === 'tfjs-layers' ? readLayersFiles(path).files : [path];
}

export async function takeInEvidence(modelPath: string, t: CaseTarget, displayName: string): Promise<OpenedEvidence> {
  const cdb = openCaseDb({ path: t.db });
  try {
    const kase = ensureCase(cdb, { name: t.caseName, examiner: t.examiner });
    const evidence = await intakeEvidence(cdb, {
      caseId: kase.id, files: modelFiles(modelPath), displayName,
      expectedSha256: t.expectedSha256, expectedSource: t.expectedSha256 ? 'given with --expected-sha256' : undefined,
      format: detectModelFormat(modelPath),
    });
    await rehashEvidence(cdb, evidence.id, 'before-scan');
    const stored = storedFiles(cdb, evidence);
    // A TF.js model loads from its folder (model.json + shards); ONNX from its one file.
    const storedModelPath = stored.length > 1 || statSync(stored[0]).isDirectory() ? dirname(stored[0]) : stored[0];
    return { cdb, evidence, storedModelPath };
  } catch (err) {
    cdb.sql.close();
    throw err;
  }
}

export async function recordAndReport(
  opened: OpenedEvidence, t: CaseTarget, result: ScanResult, artifacts: ClassArtifacts[], reportPath?: string,
): Promise<{ scanId: number; archive: ExportedArchive | null }> {
  const { scanId } = await recordScanResult(opened.cdb, { caseName: t.caseName, evidence: opened.evidence.id, result, artifacts, examiner: t.examiner });
  const archive = reportPath ? await exportScanArchive(opened.cdb, scanId, reportPath, { examiner: t.examiner }) : null;
  return { scanId, archive };
}
