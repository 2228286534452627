/**
 * Opening the case database: WAL (readers never block the scan that writes), foreign keys, a busy
 * timeout (two processes may write: the app and a headless `uma scan`), migrations (and the one-time
 * import of pre-002 job sidecars), and recovery of scans that were running when their process died.
 */
import fs from 'node:fs';
import os from 'node:os';
import Database from 'better-sqlite3';
import { UmaError } from '../../shared/errors.ts';
import { dataPaths, defaultDbPath, type DataPaths } from './paths.ts';
import { loadMigrations, migrate, type Migration } from './migrate.ts';
import { importJobSidecars } from './job-sidecars.ts';
import { recoverInterruptedScans } from './scans.ts';

export interface CaseDb {
  sql: Database.Database;
  paths: DataPaths;
  /** Who the audit log names for this handle's changes. */
  actor: string;
}

export interface OpenOptions {
  /** Defaults to $UMA_HOME/cases.sqlite or ~/.uma/cases.sqlite. */
  path?: string;
  actor?: string;
  migrations?: Migration[];
  busyTimeoutMs?: number;
  /** Refuse to create a new database (commands that only read or export). */
  mustExist?: boolean;
}

export function openCaseDb(opts: OpenOptions = {}): CaseDb {
  const paths = dataPaths(opts.path ?? defaultDbPath());
  if (opts.mustExist && !fs.existsSync(paths.db))
    throw new UmaError('NOT_FOUND', `no case database at ${paths.db} (give one with --db, or set UMA_HOME)`);
  fs.mkdirSync(paths.dataDir, { recursive: true });
  const sql = new Database(paths.db);
  try {
    sql.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 10_000}`);
    sql.pragma('journal_mode = WAL');
    sql.pragma('foreign_keys = ON');
    // FULL: a committed class result or audit entry must survive a power cut, not only a crash.
    sql.pragma('synchronous = FULL');
    migrate(sql, opts.migrations ?? loadMigrations());
    const cdb: CaseDb = { sql, paths, actor: opts.actor ?? os.userInfo().username };
    importJobSidecars(cdb);
    recoverInterruptedScans(cdb);
    return cdb;
  } catch (err) {
    sql.close();
    throw err;
  }
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
