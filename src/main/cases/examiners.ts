/** Examiners: the people who sign reports. Created on first mention, keyed by name. */
import { appendAudit } from './audit.ts';
import { nowIso, writeTx, type CaseDb } from './db.ts';

export interface Examiner {
  id: number;
  name: string;
  keyid: string | null;
  created: string;
}

export function findExaminer(cdb: CaseDb, name: string): Examiner | undefined {
  return cdb.sql.prepare('SELECT * FROM examiners WHERE name = ?').get(name) as Examiner | undefined;
}

export function getExaminerById(cdb: CaseDb, id: number): Examiner | undefined {
  return cdb.sql.prepare('SELECT * FROM examiners WHERE id = ?').get(id) as Examiner | undefined;
}

export function ensureExaminer(cdb: CaseDb, name: string): Examiner {
  return writeTx(cdb, () => {
    const found = findExaminer(cdb, name);
    if (found) return found;
    const created = nowIso();
    const id = Number(
      cdb.sql.prepare('INSERT INTO examiners (name, created) VALUES (?, ?)').run(name, created).lastInsertRowid,
    );
    appendAudit(cdb, 'examiner.create', `examiner:${id}`, { name });
    return { id, name, keyid: null, created };
  });
}

/** Records the examiner's signing key (a new key is an audited event: it changes who can sign). */
export function setExaminerKey(cdb: CaseDb, id: number, keyid: string): void {
  writeTx(cdb, () => {
    const before = getExaminerById(cdb, id);
    if (before?.keyid === keyid) return;
    cdb.sql.prepare('UPDATE examiners SET keyid = ? WHERE id = ?').run(keyid, id);
    appendAudit(cdb, 'examiner.key', `examiner:${id}`, { keyid, previous: before?.keyid ?? null });
  });
}
