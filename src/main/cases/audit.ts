/**
 * The append-only audit log. Each entry is chained to the one before it:
 * sha256 = sha256(prev_sha256 + canonicalJson({seq, time, actor, action, target, details})), the
 * first entry's prev being 64 zeros. Editing, inserting, deleting or reordering entries breaks the
 * chain at the first entry touched. Deleting entries at the tail leaves a valid shorter chain: that
 * is caught against the head kept outside the table (audit-anchor.ts) and against the heads that
 * signed reports recorded (a report's statement carries the head it was signed at).
 */
import type { AuditEntryInfo } from '../../shared/api.ts';
import { UmaError } from '../../shared/errors.ts';
import { canonicalJson, sha256Hex } from '../util/digest.ts';
import { anchorOnCommit, checkAnchor, type AuditAnchor } from './audit-anchor.ts';
import { nowIso, writeTx, type CaseDb } from './db.ts';

export const GENESIS_SHA256 = '0'.repeat(64);

/** The stored entry is the contract's entry: one definition for the database and the UI. */
export type AuditEntry = AuditEntryInfo;

export interface AuditHead {
  seq: number;
  sha256: string;
}

interface AuditRow {
  seq: number;
  time: string;
  actor: string;
  action: string;
  target: string;
  details_json: string;
  prev_sha256: string;
  sha256: string;
}

export function entryHash(prev: string, e: Omit<AuditEntry, 'prev_sha256' | 'sha256'>): string {
  const body = { seq: e.seq, time: e.time, actor: e.actor, action: e.action, target: e.target, details: e.details };
  return sha256Hex(prev + canonicalJson(body));
}

export function auditHead(cdb: CaseDb): AuditHead {
  const row = cdb.sql.prepare('SELECT seq, sha256 FROM audit_log ORDER BY seq DESC LIMIT 1').get() as
    AuditHead | undefined;
  return row ?? { seq: 0, sha256: GENESIS_SHA256 };
}

/** Appends one entry; called inside the transaction of the change it records. */
export function appendAudit(
  cdb: CaseDb,
  action: string,
  target: string,
  details: Record<string, unknown> = {},
  actor = cdb.actor,
): AuditEntry {
  return writeTx(cdb, () => {
    const head = auditHead(cdb);
    const sha256At = (seq: number): string | undefined =>
      (cdb.sql.prepare('SELECT sha256 FROM audit_log WHERE seq = ?').get(seq) as { sha256: string } | undefined)
        ?.sha256;
    anchorOnCommit(cdb, head, () => auditHead(cdb), sha256At);
    const e = {
      seq: head.seq + 1,
      time: nowIso(),
      actor,
      action,
      target,
      details: JSON.parse(canonicalJson(details)) as Record<string, unknown>,
    };
    const sha256 = entryHash(head.sha256, e);
    cdb.sql
      .prepare(
        'INSERT INTO audit_log (seq, time, actor, action, target, details_json, prev_sha256, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(e.seq, e.time, e.actor, e.action, e.target, canonicalJson(e.details), head.sha256, sha256);
    return { ...e, prev_sha256: head.sha256, sha256 };
  });
}

export function listAudit(cdb: CaseDb, target?: string): AuditEntry[] {
  const rows = (
    target === undefined
      ? cdb.sql.prepare('SELECT * FROM audit_log ORDER BY seq').all()
      : cdb.sql.prepare('SELECT * FROM audit_log WHERE target = ? ORDER BY seq').all(target)
  ) as AuditRow[];
  return rows.map(({ details_json, ...r }) => ({ ...r, details: JSON.parse(details_json) as Record<string, unknown> }));
}

/** The entries about one case: the case, its evidence, scans and notes (deleted notes by their details). */
export function listCaseAudit(cdb: CaseDb, caseId: number): AuditEntry[] {
  const ids = (table: string): number[] =>
    (cdb.sql.prepare(`SELECT id FROM ${table} WHERE case_id = ?`).all(caseId) as { id: number }[]).map((r) => r.id);
  const targets = new Set([
    `case:${caseId}`,
    ...ids('evidence').map((i) => `evidence:${i}`),
    ...ids('scans').map((i) => `scan:${i}`),
    ...ids('notes').map((i) => `note:${i}`),
  ]);
  return listAudit(cdb).filter((e) => targets.has(e.target) || e.details.caseId === caseId);
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  head: AuditHead;
  /** The first entry that does not fit the chain, when not ok. */
  firstBadSeq?: number;
  reason?: string;
  /** The head kept in <db>.audit-head, and what checking the table against it found. */
  anchor: (AuditAnchor & { note: string }) | null;
}

export function verifyAuditLog(cdb: CaseDb): AuditVerification {
  const rows = cdb.sql.prepare('SELECT * FROM audit_log ORDER BY seq').all() as AuditRow[];
  let prev = GENESIS_SHA256;
  let anchor: AuditVerification['anchor'] = null;
  const bad = (seq: number, reason: string): AuditVerification => ({
    ok: false,
    entries: rows.length,
    head: auditHead(cdb),
    firstBadSeq: seq,
    reason,
    anchor,
  });
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r.seq !== i + 1) return bad(i + 1, `entry ${i + 1} is missing (found seq ${r.seq} in its place)`);
    if (r.prev_sha256 !== prev)
      return bad(r.seq, `entry ${r.seq} does not follow entry ${r.seq - 1} (prev_sha256 differs)`);
    let details: Record<string, unknown>;
    try {
      details = JSON.parse(r.details_json) as Record<string, unknown>;
    } catch {
      return bad(r.seq, `entry ${r.seq} has unreadable details`);
    }
    if (entryHash(prev, { ...r, details }) !== r.sha256)
      return bad(r.seq, `entry ${r.seq} was altered (its sha256 does not match its content)`);
    prev = r.sha256;
  }
  // The tail: the heads that reports were signed at must still be in the chain...
  const heads = cdb.sql
    .prepare('SELECT audit_head_seq AS seq, audit_head_sha256 AS sha256 FROM reports ORDER BY audit_head_seq')
    .all() as AuditHead[];
  for (const h of heads) {
    const r = rows[h.seq - 1];
    if (!r || r.sha256 !== h.sha256)
      return bad(h.seq, `entry ${h.seq}, the audit head a signed report recorded, is ${r ? 'different' : 'gone'}`);
  }
  // ...and the head must be the one anchored outside the table.
  const checked = checkAnchor(cdb.paths.auditAnchor, auditHead(cdb), (seq) => rows[seq - 1]?.sha256);
  if (checked.anchor) anchor = { ...checked.anchor, note: checked.ok ? checked.note : checked.reason };
  if (!checked.ok) return bad(checked.seq, checked.reason);
  return { ok: true, entries: rows.length, head: auditHead(cdb), anchor };
}

/** Throws INTEGRITY when the log does not verify; used before signing a report. */
export function assertAuditLog(cdb: CaseDb): AuditHead {
  const v = verifyAuditLog(cdb);
  if (!v.ok)
    throw new UmaError('INTEGRITY', `the audit log is broken at entry ${v.firstBadSeq}: ${v.reason}`, {
      firstBadSeq: v.firstBadSeq,
    });
  return v.head;
}
