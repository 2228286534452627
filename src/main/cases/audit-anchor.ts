/**
 * The audit chain's head kept outside the table, in <db>.audit-head, so that deleting the newest
 * entries (which leaves a shorter chain that is still valid) is noticed.
 *
 * Written for every write transaction that appends entries, in two steps, each while holding the
 * database's write lock, so two processes' writes never interleave:
 *  1. just before the commit: {seq, sha256} of the new head plus `previous`, the head the
 *     transaction started from;
 *  2. right after the commit, in a write transaction of its own: {seq, sha256} of the committed head.
 * A crash between the commit and step 2 (or a rollback after step 1) leaves the pending form, and the
 * table's head is then accepted when it is either of the two; the next change writes the plain form.
 * A change made after entries were deleted must not hide the deletion by anchoring the new head, so
 * an anchor that did not fit the table when a change began is carried on in every later anchor as
 * `broken`, and verification keeps reporting it. (A database from before anchors, without the file,
 * gets its first anchor with its next change.)
 * Anyone who can rewrite the data folder can rewrite this file as well: the anchors that leave the
 * machine are the heads in the signed reports (checked by verifyAuditLog against the reports table).
 */
import fs from 'node:fs';
import { onCommit, type CaseDb } from './db.ts';

export interface AnchorHead {
  seq: number;
  sha256: string;
}

export interface AuditAnchor extends AnchorHead {
  /** Present between step 1 and step 2: the head before the transaction. */
  previous?: AnchorHead;
  /** A break found when a later change began: where, and what. */
  broken?: { seq: number; reason: string };
}

const isHead = (h: unknown): h is AnchorHead =>
  typeof h === 'object' &&
  h !== null &&
  Number.isInteger((h as AnchorHead).seq) &&
  (h as AnchorHead).seq >= 0 &&
  /^[0-9a-f]{64}$/.test(String((h as AnchorHead).sha256));

/** The anchor, null when there is no file, or a string saying why it cannot be read. */
export function readAnchor(file: string): AuditAnchor | null | string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return `${file} cannot be read: ${(err as Error).message}`;
  }
  try {
    const a = JSON.parse(text) as AuditAnchor;
    const brokenOk = a.broken === undefined || (Number.isInteger(a.broken.seq) && typeof a.broken.reason === 'string');
    if (isHead(a) && (a.previous === undefined || isHead(a.previous)) && brokenOk) return a;
  } catch {
    // reported below
  }
  return `${file} is not an audit head ({seq, sha256})`;
}

/** Durable replace: written to a temporary file, flushed, renamed over the old one. */
function writeAnchor(file: string, anchor: AuditAnchor): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, `${JSON.stringify(anchor)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * Called by every append: anchors the head once the transaction running now commits. `previous` is
 * the head before the transaction; `sha256At` the table's entry hash at a seq.
 */
export function anchorOnCommit(
  cdb: CaseDb,
  previous: AnchorHead,
  head: () => AnchorHead,
  sha256At: (seq: number) => string | undefined,
): void {
  onCommit(cdb, 'audit-anchor', () => {
    const file = cdb.paths.auditAnchor;
    const before = checkAnchor(file, previous, sha256At);
    const found = !before.ok && before.anchor ? { seq: before.seq, reason: before.reason } : undefined;
    const broken = before.anchor?.broken ?? found;
    const carried = broken ? { broken } : {};
    return {
      beforeCommit: () => writeAnchor(file, { ...head(), previous, ...carried }),
      afterCommit: () => {
        try {
          cdb.sql.transaction(() => writeAnchor(file, { ...head(), ...carried })).immediate();
        } catch {
          // The change is committed and must not be reported as failed: the pending form written
          // before the commit names this head and is accepted until the next change rewrites it.
        }
      },
    };
  });
}

/**
 * How the table's head compares with the anchor. `sha256At(seq)` is the table's entry hash at seq
 * (undefined when there is no such entry); the chain itself is checked before this is called.
 */
export type AnchorCheck =
  | { ok: true; anchor: AuditAnchor | null; note: string }
  | { ok: false; anchor: AuditAnchor | null; seq: number; reason: string };

export function checkAnchor(
  file: string,
  head: AnchorHead,
  sha256At: (seq: number) => string | undefined,
): AnchorCheck {
  const anchor = readAnchor(file);
  if (typeof anchor === 'string') return { ok: false, anchor: null, seq: head.seq, reason: anchor };
  if (anchor === null) {
    if (head.seq === 0) return { ok: true, anchor: null, note: 'empty log, no anchor yet' };
    const reason =
      `the head anchor ${file} is missing, so deleted newest entries would not show ` +
      '(a database from before anchors gets one with its next change)';
    return { ok: false, anchor: null, seq: head.seq, reason };
  }
  const fits = (h: AnchorHead): boolean => h.seq === head.seq && (h.seq === 0 || sha256At(h.seq) === h.sha256);
  if (anchor.broken) {
    const reason = `${anchor.broken.reason} (found when a later change began; changes since are anchored)`;
    return { ok: false, anchor, seq: anchor.broken.seq, reason };
  }
  if (fits(anchor)) {
    return {
      ok: true,
      anchor,
      note: anchor.previous ? 'anchored (a write was interrupted after its commit)' : 'anchored',
    };
  }
  if (anchor.previous && fits(anchor.previous)) {
    return { ok: true, anchor, note: 'anchored (a write was rolled back or interrupted before its commit)' };
  }
  if (anchor.seq > head.seq) {
    const reason = `entries ${head.seq + 1}..${anchor.seq} are gone: the anchor records head ${anchor.seq}, the table ends at ${head.seq}`;
    return { ok: false, anchor, seq: head.seq + 1, reason };
  }
  if (sha256At(anchor.seq) !== anchor.sha256) {
    return {
      ok: false,
      anchor,
      seq: anchor.seq,
      reason: `entry ${anchor.seq} is not the one anchored (its sha256 differs from ${file})`,
    };
  }
  return {
    ok: false,
    anchor,
    seq: anchor.seq + 1,
    reason: `entries ${anchor.seq + 1}..${head.seq} are not anchored: written by something that does not keep ${file}`,
  };
}
