/**
 * The case database handle and its write transactions (with commit hooks, which the audit anchor
 * uses). Opening the database is open.ts: it recovers scans through scans.ts, which writes through
 * this file, so keeping the two apart keeps the import graph free of loops.
 */
import type Database from 'better-sqlite3';
import { UmaError } from '../../shared/errors.ts';
import type { DataPaths } from './paths.ts';

export interface CaseDb {
  sql: Database.Database;
  paths: DataPaths;
  /** Who the audit log names for this handle's changes. */
  actor: string;
}

/** What must happen just before the outermost write transaction commits, and just after. */
export interface CommitHook {
  beforeCommit: () => void;
  afterCommit: () => void;
}

const commitHooks = new WeakMap<CaseDb, Map<string, CommitHook>>();

/** Registers a hook (once per key) for the write transaction running now; dropped if it rolls back. */
export function onCommit(cdb: CaseDb, key: string, hook: () => CommitHook): void {
  if (!cdb.sql.inTransaction) throw new UmaError('INTERNAL', `onCommit(${key}) outside a write transaction`);
  const hooks = commitHooks.get(cdb) ?? new Map<string, CommitHook>();
  commitHooks.set(cdb, hooks);
  if (!hooks.has(key)) hooks.set(key, hook());
}

/**
 * Runs fn in a write transaction taken up front (BEGIN IMMEDIATE): a read-then-write transaction
 * started deferred can fail with SQLITE_BUSY when another process commits in between, which
 * busy_timeout cannot retry; the audit chain reads its head and then appends, so it needs this.
 * Nested calls become savepoints; the outermost runs the commit hooks (the audit anchor's).
 */
export function writeTx<T>(cdb: CaseDb, fn: () => T): T {
  if (cdb.sql.inTransaction) return cdb.sql.transaction(fn).immediate();
  try {
    const result = cdb.sql
      .transaction(() => {
        const r = fn();
        for (const h of commitHooks.get(cdb)?.values() ?? []) h.beforeCommit();
        return r;
      })
      .immediate();
    const hooks = [...(commitHooks.get(cdb)?.values() ?? [])];
    commitHooks.delete(cdb);
    for (const h of hooks) h.afterCommit();
    return result;
  } finally {
    commitHooks.delete(cdb);
  }
}

export function nowIso(): string {
  return new Date().toISOString();
}
