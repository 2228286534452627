/**
 * Schema migrations: ordered files NNN_name.sql, applied at open in one write transaction. PRAGMA
 * user_version is the level reached; it lives in the database header and so rolls back with the
 * transaction, which is what leaves a database untouched, at its old level, when a migration fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { UmaError } from '../../shared/errors.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Reads NNN_name.sql files; versions must run 1, 2, 3... with no gap, so a lost file is noticed. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  return files.map((file, i) => {
    const m = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (!m) throw new UmaError('INTERNAL', `migration file '${file}' in ${dir} is not named NNN_name.sql`);
    const version = Number(m[1]);
    if (version !== i + 1)
      throw new UmaError(
        'INTERNAL',
        `migration '${file}' has version ${version}, expected ${i + 1} (a file is missing or doubled)`,
      );
    return { version, name: m[2], sql: fs.readFileSync(path.join(dir, file), 'utf8') };
  });
}

/**
 * Brings the database to the last migration's level; returns the levels before and after.
 * The level is read again inside a write transaction taken up front (BEGIN IMMEDIATE): two
 * processes opening a new database at once both see level 0 before either has the lock, and the
 * second must then find the first one's work done instead of running the migrations again.
 */
export function migrate(db: Database.Database, migrations: Migration[]): { from: number; to: number } {
  const latest = migrations.length;
  const level = (): number => db.pragma('user_version', { simple: true }) as number;
  const tooNew = (from: number): UmaError =>
    new UmaError(
      'INTEGRITY',
      `the case database is at schema level ${from}, newer than this tool knows (${latest}); use a newer UMA Workstation`,
    );
  const seen = level();
  if (seen > latest) throw tooNew(seen);
  if (seen === latest) return { from: seen, to: seen };
  const apply = db.transaction(() => {
    const from = level();
    if (from > latest) throw tooNew(from);
    for (const m of migrations.slice(from)) {
      try {
        db.exec(m.sql);
      } catch (err) {
        throw new UmaError(
          'INTERNAL',
          `migration ${m.version} (${m.name}) failed: ${(err as Error).message}; the database is left at level ${from}`,
        );
      }
      db.pragma(`user_version = ${m.version}`);
    }
    return { from, to: Math.max(from, latest) };
  });
  return apply.immediate();
}
