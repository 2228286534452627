/**
 * The report page of a completed scan before anything is signed: the same statement and HTML renderer
 * the archive uses, with the signing-time fields marked as a preview. Nothing is audited or written
 * (a preview is not an act on the evidence), so the pre-signing integrity line shows the intake hash.
 */
import { UmaError } from '../../shared/errors.ts';
import { auditHead } from '../cases/audit.ts';
import { getCase } from '../cases/cases.ts';
import type { CaseDb } from '../cases/db.ts';
import { getEvidence } from '../cases/evidence.ts';
import { getArtifacts, getScanResult } from '../cases/findings.ts';
import { getScan } from '../cases/scans.ts';
import { renderReportHtml } from '../reports/html.ts';
import { buildStatement } from '../reports/statement.ts';

export const PREVIEW_KEYID = 'unsigned preview';

export function reportPreviewHtml(cdb: CaseDb, scanId: number, examiner: string): string {
  const scan = getScan(cdb, scanId);
  const result = getScanResult(cdb, scan);
  if (scan.status !== 'completed' || !result)
    throw new UmaError('BAD_INPUT', `scan ${scanId} is ${scan.status}; only a completed scan has a report`);
  const evidence = getEvidence(cdb, scan.evidenceId);
  const artifacts = getArtifacts(cdb, scanId);
  const now = new Date().toISOString();
  const statement = buildStatement({
    result,
    artifacts,
    kase: getCase(cdb, scan.caseId),
    evidence,
    scan,
    examiner: { name: examiner, keyid: PREVIEW_KEYID },
    findingsSha256: '',
    preSigning: { evidenceId: evidence.id, purpose: 'manual', sha256: evidence.sha256, at: now },
    auditHead: auditHead(cdb),
    signedAt: now,
  });
  return renderReportHtml({ statement, result, artifacts, archiveName: `scan-${scanId}-preview.zip`, preview: true });
}
