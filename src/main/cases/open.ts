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

/**
 * Switching a new database to WAL needs it alone: while a second process opens the same new file,
 * SQLite answers SQLITE_BUSY at once instead of calling the busy handler (seen on a loaded machine,
 * about 1 race in 200), so the switch is retried here within the same busy timeout.
 */
function enableWal(sql: Database.Database, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      const mode = sql.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal')
        throw new UmaError(
          'BAD_INPUT',
          `the case database at ${sql.name} cannot use WAL journaling (mode stays '${String(mode)}'); put it on a local disk (--db or UMA_HOME)`,
        );
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

export function openCaseDb(opts: OpenOptions = {}): CaseDb {
  const paths = dataPaths(opts.path ?? defaultDbPath());
  if (opts.mustExist && !fs.existsSync(paths.db))
    throw new UmaError('NOT_FOUND', `no case database at ${paths.db} (give one with --db, or set UMA_HOME)`);
  fs.mkdirSync(paths.dataDir, { recursive: true });
  const sql = new Database(paths.db);
  try {
    const busyTimeoutMs = opts.busyTimeoutMs ?? 10_000;
    sql.pragma(`busy_timeout = ${busyTimeoutMs}`);
    enableWal(sql, busyTimeoutMs);
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
