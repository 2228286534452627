/**
 * Opening the case database: WAL (readers never block the scan that writes), foreign keys, a busy
 * timeout (two processes may write: the app and a headless `uma scan`), migrations (and the one-time
 * import of pre-002 job sidecars), and recovery of scans that were running when their process died.
 */
import fs from 'node:fs';
import os from 'node:os';
import Database from 'better-sqlite3';
import { UmaError } from '../../shared/errors.ts';
import type { CaseDb } from './db.ts';
import { dataPaths, defaultDbPath } from './paths.ts';
import { loadMigrations, migrate, type Migration } from './migrate.ts';
import { importJobSidecars } from './job-sidecars.ts';
import { recoverInterruptedScans } from './scans.ts';

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
