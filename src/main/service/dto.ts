/** Database records as the contract's plain result types (what crosses to the UI). */
import type { ClassImages, ReportInfo, ScanSummary } from '../../shared/api.ts';
import { UmaError } from '../../shared/errors.ts';
import type { CaseDb } from '../cases/db.ts';
import { getEvidence } from '../cases/evidence.ts';
import { getArtifacts } from '../cases/findings.ts';
import type { ReportRecord } from '../cases/reports.ts';
import { resumePlan, type ScanRecord } from '../cases/scans.ts';
import type { JobManager } from './jobs.ts';
import path from 'node:path';

export function scanSummary(cdb: CaseDb, jobs: JobManager, s: ScanRecord): ScanSummary {
  return {
    id: s.id,
    caseId: s.caseId,
    evidenceId: s.evidenceId,
    modelName: getEvidence(cdb, s.evidenceId).displayName,
    examiner: s.examiner,
    method: s.method,
    seed: s.seed,
    status: s.status,
    numClasses: s.numClasses,
    classNames: s.classNames,
    created: s.created,
    started: s.started,
    finished: s.finished,
    error: s.error,
    verdict: s.verdict,
    score: s.score,
    target: s.target,
    classesDone: resumePlan(cdb, s.id).done.length,
    jobId: jobs.jobOfScan(s.id),
  };
}

export function reportInfo(r: ReportRecord): ReportInfo {
  return {
    id: r.id,
    scanId: r.scanId,
    name: path.basename(r.path),
    envelopeSha256: r.envelopeSha256,
    keyid: r.keyid,
    auditHead: r.auditHead,
    created: r.created,
  };
}

/** One class's trigger PNGs from the case database. */
export function classImages(cdb: CaseDb, scanId: number, classIndex: number): ClassImages {
  const own = getArtifacts(cdb, scanId).filter((a) => a.classIndex === classIndex);
  const mask = own.find((a) => a.kind === 'mask');
  const pattern = own.find((a) => a.kind === 'pattern');
  if (!mask || !pattern)
    throw new UmaError('NOT_FOUND', `scan ${scanId} has no trigger images for class ${classIndex} (yet)`);
  return {
    scanId,
    classIndex,
    mask: mask.png,
    pattern: pattern.png,
    stamped: own.filter((a) => a.kind === 'stamped').map((a) => a.png),
  };
}
