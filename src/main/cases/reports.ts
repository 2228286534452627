/** Records of the signed reports exported for a scan (where, which envelope, which key, which audit head). */
import { UmaError } from '../../shared/errors.ts';
import { appendAudit, type AuditHead } from './audit.ts';
import { nowIso, writeTx, type CaseDb } from './db.ts';

export interface ReportRecord {
  id: number;
  scanId: number;
  path: string;
  envelopeSha256: string;
  keyid: string;
  auditHead: AuditHead;
  created: string;
}

interface ReportRow {
  id: number;
  scan_id: number;
  path: string;
  envelope_sha256: string;
  keyid: string;
  audit_head_seq: number;
  audit_head_sha256: string;
  created: string;
}

const fromRow = (r: ReportRow): ReportRecord => ({
  id: r.id,
  scanId: r.scan_id,
  path: r.path,
  envelopeSha256: r.envelope_sha256,
  keyid: r.keyid,
  auditHead: { seq: r.audit_head_seq, sha256: r.audit_head_sha256 },
  created: r.created,
});

export function addReport(cdb: CaseDb, input: Omit<ReportRecord, 'id' | 'created'>): ReportRecord {
  return writeTx(cdb, () => {
    const created = nowIso();
    const id = Number(
      cdb.sql
        .prepare(
          'INSERT INTO reports (scan_id, path, envelope_sha256, keyid, audit_head_seq, audit_head_sha256, created) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          input.scanId,
          input.path,
          input.envelopeSha256,
          input.keyid,
          input.auditHead.seq,
          input.auditHead.sha256,
          created,
        ).lastInsertRowid,
    );
    appendAudit(cdb, 'report.export', `scan:${input.scanId}`, {
      reportId: id,
      path: input.path,
      envelopeSha256: input.envelopeSha256,
      keyid: input.keyid,
      auditHead: input.auditHead,
    });
    return { ...input, id, created };
  });
}

export function listReports(cdb: CaseDb, scanId: number): ReportRecord[] {
  return (cdb.sql.prepare('SELECT * FROM reports WHERE scan_id = ? ORDER BY id').all(scanId) as ReportRow[]).map(
    fromRow,
  );
}

export function getReport(cdb: CaseDb, id: number): ReportRecord {
  const r = cdb.sql.prepare('SELECT * FROM reports WHERE id = ?').get(id) as ReportRow | undefined;
  if (!r) throw new UmaError('NOT_FOUND', `no report with id ${id}`);
  return fromRow(r);
}
