/**
 * Exports one completed scan as a signed, self-verifying archive: re-hash the evidence and verify
 * the audit log (both must pass before anything is signed), build and sign the statement, render
 * the HTML (and PDF when a browser is there), bag and zip it all, and record the report.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UmaError } from '../../shared/errors.ts';
import { assertAuditLog } from '../cases/audit.ts';
import { sha256Hex } from '../util/digest.ts';
import { getCase } from '../cases/cases.ts';
import type { CaseDb } from '../cases/db.ts';
import { getEvidence, rehashEvidence } from '../cases/evidence.ts';
import { ensureExaminer, setExaminerKey } from '../cases/examiners.ts';
import { getArtifacts, getScanResult } from '../cases/findings.ts';
import { addReport } from '../cases/reports.ts';
import { getScan } from '../cases/scans.ts';
import { bagInfoFields, buildBag, zipBag, type BagFiles } from './bagit.ts';
import { serializeEnvelope, signEnvelope } from './dsse.ts';
import { renderReportHtml } from './html.ts';
import { examinerKey } from './keys.ts';
import { renderPdf } from './pdf.ts';
import { ENVELOPE_PATH, FINDINGS_PATH, HTML_PATH, keyPath, PDF_PATH, triggerPath } from './layout.ts';
import { buildStatement, PAYLOAD_TYPE, statementPayload, withBoundFiles, type Statement } from './statement.ts';

export interface ExportOptions {
  /** Who signs; defaults to the scan's examiner, then the case's, then the database actor. */
  examiner?: string;
  /** false skips the PDF (tests, or when speed matters); default: render when Chromium is there. */
  pdf?: boolean;
  /** The Chromium binary for the PDF (default /usr/bin/chromium). */
  chromium?: string;
}

export interface ExportedArchive {
  path: string;
  keyid: string;
  envelopeSha256: string;
  pdf: boolean;
  pdfNote: string;
  statement: Statement;
}

export async function exportScanArchive(
  cdb: CaseDb,
  scanId: number,
  outPath: string,
  opts: ExportOptions = {},
): Promise<ExportedArchive> {
  const scan = getScan(cdb, scanId);
  const result = getScanResult(cdb, scan);
  if (scan.status !== 'completed' || !result)
    throw new UmaError('BAD_INPUT', `scan ${scanId} is ${scan.status}; only a completed scan can be reported`);
  const kase = getCase(cdb, scan.caseId);
  const evidence = getEvidence(cdb, scan.evidenceId);
  const artifacts = getArtifacts(cdb, scanId);
  for (const a of artifacts) {
    if (sha256Hex(a.png) !== a.sha256)
      throw new UmaError(
        'INTEGRITY',
        `scan ${scanId} ${triggerPath(a)}: the stored image no longer matches its recorded sha256`,
      );
  }

  const preSigning = await rehashEvidence(cdb, evidence.id, 'before-signing');
  const examinerName = opts.examiner ?? scan.examiner ?? kase.examiner ?? cdb.actor;
  const key = examinerKey(cdb.paths.keysDir, examinerName);
  setExaminerKey(cdb, ensureExaminer(cdb, examinerName).id, key.keyid);
  const auditHead = assertAuditLog(cdb);

  const findings = Buffer.from(`${JSON.stringify(result, null, 2)}\n`, 'utf8');
  const draft = buildStatement({
    result,
    artifacts,
    kase,
    evidence,
    scan,
    examiner: { name: examinerName, keyid: key.keyid },
    findingsSha256: sha256Hex(findings),
    preSigning,
    auditHead,
    signedAt: new Date().toISOString(),
  });
  const archiveName = path.basename(outPath);
  const html = renderReportHtml({ statement: draft, result, artifacts, archiveName });
  const pdf = opts.pdf === false ? { pdf: null, note: 'omitted: not requested' } : await renderPdf(html, opts.chromium);
  const documents = new Map<string, Uint8Array>([[HTML_PATH, Buffer.from(html, 'utf8')]]);
  if (pdf.pdf) documents.set(PDF_PATH, pdf.pdf);
  const info: [string, string][] = [
    ['Bag-Software-Agent', `uma-workstation ${scan.toolVersion}`],
    ['Bagging-Date', draft.predicate.signedAt.slice(0, 10)],
    ['External-Identifier', `case ${kase.id} (${kase.name}) / evidence ${evidence.id} / scan ${scan.id}`],
    [
      'External-Description',
      `UMA backdoor scan report; verdict ${result.verdict}; verify with: uma verify ${archiveName}`,
    ],
    ['Contact-Name', examinerName],
    ['UMA-Key-Id', key.keyid],
    ['UMA-Report-PDF', pdf.pdf ? `included, ${pdf.note}` : pdf.note],
  ];
  const statement = withBoundFiles(draft, documents, bagInfoFields(info));
  const envelope = Buffer.from(
    serializeEnvelope(signEnvelope(PAYLOAD_TYPE, statementPayload(statement), key.privateKey)),
    'utf8',
  );

  const payload: BagFiles = new Map(documents);
  payload.set(FINDINGS_PATH, findings);
  for (const a of artifacts) payload.set(triggerPath(a), a.png);
  payload.set(ENVELOPE_PATH, envelope);
  payload.set(keyPath(key.keyid), Buffer.from(key.publicKeyPem, 'utf8'));
  const bag = buildBag(payload, info);

  const abs = path.resolve(outPath);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.partial`;
  fs.writeFileSync(tmp, zipBag(bag));
  fs.renameSync(tmp, abs);
  const envelopeSha256 = sha256Hex(envelope);
  addReport(cdb, { scanId, path: abs, envelopeSha256, keyid: key.keyid, auditHead });
  return { path: abs, keyid: key.keyid, envelopeSha256, pdf: pdf.pdf !== null, pdfNote: pdf.note, statement };
}
