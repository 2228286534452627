/** Cases: the unit an analyst works in (one received model, its scans, notes and reports). */
import type { CaseInfo } from '../../shared/api.ts';
import { UmaError } from '../../shared/errors.ts';
import { appendAudit } from './audit.ts';
import { nowIso, writeTx, type CaseDb } from './db.ts';
import { ensureExaminer } from './examiners.ts';

/** The stored case is the contract's case: one definition for the database and the UI. */
export type CaseRecord = CaseInfo;

export interface NewCase {
  name: string;
  number?: string;
  examiner?: string;
  description?: string;
}

const SELECT = `SELECT c.id, c.name, c.number, e.name AS examiner, c.description, c.created
  FROM cases c LEFT JOIN examiners e ON e.id = c.examiner_id`;

export function createCase(cdb: CaseDb, input: NewCase): CaseRecord {
  if (!input.name.trim()) throw new UmaError('BAD_INPUT', 'a case needs a name');
  return writeTx(cdb, () => {
    if (findCase(cdb, input.name)) throw new UmaError('BAD_INPUT', `a case named '${input.name}' already exists`);
    const examinerId = input.examiner ? ensureExaminer(cdb, input.examiner).id : null;
    const created = nowIso();
    const id = Number(
      cdb.sql
        .prepare('INSERT INTO cases (name, number, examiner_id, description, created) VALUES (?, ?, ?, ?, ?)')
        .run(input.name, input.number ?? null, examinerId, input.description ?? '', created).lastInsertRowid,
    );
    appendAudit(cdb, 'case.create', `case:${id}`, {
      name: input.name,
      number: input.number ?? null,
      examiner: input.examiner ?? null,
    });
    return getCase(cdb, id);
  });
}

export function findCase(cdb: CaseDb, name: string): CaseRecord | undefined {
  return cdb.sql.prepare(`${SELECT} WHERE c.name = ?`).get(name) as CaseRecord | undefined;
}

export function getCase(cdb: CaseDb, id: number): CaseRecord {
  const row = cdb.sql.prepare(`${SELECT} WHERE c.id = ?`).get(id) as CaseRecord | undefined;
  if (!row) throw new UmaError('NOT_FOUND', `no case with id ${id}`);
  return row;
}

export function listCases(cdb: CaseDb): CaseRecord[] {
  return cdb.sql.prepare(`${SELECT} ORDER BY c.id`).all() as CaseRecord[];
}

/** The case of that name, created when it does not exist yet. */
export function ensureCase(cdb: CaseDb, input: NewCase): CaseRecord {
  return writeTx(cdb, () => findCase(cdb, input.name) ?? createCase(cdb, input));
}
