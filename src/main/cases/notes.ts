/** Notes: the analyst's editable commentary, kept apart from the findings, which never change. */
import type { NoteInfo } from '../../shared/api.ts';
import { UmaError } from '../../shared/errors.ts';
import { appendAudit } from './audit.ts';
import { nowIso, writeTx, type CaseDb } from './db.ts';

/** The stored note is the contract's note: one definition for the database and the UI. */
export type Note = NoteInfo;

const SELECT =
  'SELECT id, case_id AS caseId, scan_id AS scanId, class_index AS classIndex, author, text, created, updated FROM notes';

export function getNote(cdb: CaseDb, id: number): Note {
  const n = cdb.sql.prepare(`${SELECT} WHERE id = ?`).get(id) as Note | undefined;
  if (!n) throw new UmaError('NOT_FOUND', `no note with id ${id}`);
  return n;
}

export function listNotes(cdb: CaseDb, caseId: number): Note[] {
  return cdb.sql.prepare(`${SELECT} WHERE case_id = ? ORDER BY id`).all(caseId) as Note[];
}

export function addNote(
  cdb: CaseDb,
  input: { caseId: number; scanId?: number; classIndex?: number; text: string },
): Note {
  return writeTx(cdb, () => {
    const now = nowIso();
    const id = Number(
      cdb.sql
        .prepare(
          'INSERT INTO notes (case_id, scan_id, class_index, author, text, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(input.caseId, input.scanId ?? null, input.classIndex ?? null, cdb.actor, input.text, now, now)
        .lastInsertRowid,
    );
    appendAudit(cdb, 'note.add', `note:${id}`, {
      caseId: input.caseId,
      scanId: input.scanId ?? null,
      classIndex: input.classIndex ?? null,
      text: input.text,
    });
    return getNote(cdb, id);
  });
}

/** Edits a note; the audit log keeps every version of the text. */
export function editNote(cdb: CaseDb, id: number, text: string): Note {
  return writeTx(cdb, () => {
    const before = getNote(cdb, id);
    cdb.sql.prepare('UPDATE notes SET text = ?, updated = ? WHERE id = ?').run(text, nowIso(), id);
    appendAudit(cdb, 'note.edit', `note:${id}`, { before: before.text, after: text });
    return getNote(cdb, id);
  });
}

export function deleteNote(cdb: CaseDb, id: number): void {
  writeTx(cdb, () => {
    const before = getNote(cdb, id);
    cdb.sql.prepare('DELETE FROM notes WHERE id = ?').run(id);
    appendAudit(cdb, 'note.delete', `note:${id}`, { text: before.text });
  });
}
