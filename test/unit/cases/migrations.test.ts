import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openCaseDb } from '../../../src/main/cases/db.ts';
import { loadMigrations } from '../../../src/main/cases/migrate.ts';
import { createCase, listCases } from '../../../src/main/cases/cases.ts';
import { verifyAuditLog } from '../../../src/main/cases/audit.ts';
import { defaultDbPath } from '../../../src/main/cases/paths.ts';
import { tempDir } from '../../fixtures/reports/scan-fixture.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function dbFile(): string {
  const d = tempDir();
  dirs.push(d);
  return path.join(d, 'cases.sqlite');
}

describe('case database open and migrations', () => {
  it('opens in WAL mode with foreign keys at the latest level', () => {
    const file = dbFile();
    const cdb = openCaseDb({ path: file, actor: 'tester' });
    expect(cdb.sql.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(cdb.sql.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(cdb.sql.pragma('user_version', { simple: true })).toBe(loadMigrations().length);
    expect(() => cdb.sql.prepare("INSERT INTO evidence (case_id, display_name, original_path, size, sha256, match, stored_path, created) VALUES (999, 'x', 'x', 1, 'x', 'none', 'x', 'x')").run())
      .toThrow(/FOREIGN KEY/);
    cdb.sql.close();
  });

  it('defaults to $UMA_HOME/cases.sqlite, else ~/.uma/cases.sqlite', () => {
    expect(defaultDbPath({ UMA_HOME: '/data/uma' })).toBe('/data/uma/cases.sqlite');
    expect(defaultDbPath({ HOME: process.env.HOME })).toMatch(/\.uma\/cases\.sqlite$/);
  });

  it('a failing migration leaves the database usable at its old level', () => {
    const file = dbFile();
    const first = openCaseDb({ path: file, actor: 'tester' });
    createCase(first, { name: 'Case A', examiner: 'alice' });
    first.sql.close();

    const bad = [
      ...loadMigrations(),
      { version: 2, name: 'bad', sql: "CREATE TABLE half_done (x INTEGER); ALTER TABLE cases ADD COLUMN flag INTEGER; INSERT INTO no_such_table VALUES (1);" },
    ];
    expect(() => openCaseDb({ path: file, migrations: bad })).toThrow(/migration 2 \(bad\) failed.*left at level 1/);

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).toBeUndefined();
    expect((raw.prepare('PRAGMA table_info(cases)').all() as { name: string }[]).map((c) => c.name)).not.toContain('flag');
    raw.close();

    const again = openCaseDb({ path: file });
    expect(listCases(again).map((c) => c.name)).toEqual(['Case A']);
    expect(verifyAuditLog(again).ok).toBe(true);
    again.sql.close();
  });

  it('a good later migration is applied once and recorded in user_version', () => {
    const file = dbFile();
    const more = [...loadMigrations(), { version: 2, name: 'tags', sql: 'CREATE TABLE tags (case_id INTEGER REFERENCES cases(id), tag TEXT);' }];
    openCaseDb({ path: file, migrations: more }).sql.close();
    const cdb = openCaseDb({ path: file, migrations: more });
    expect(cdb.sql.pragma('user_version', { simple: true })).toBe(2);
    cdb.sql.close();
    // A tool that knows fewer migrations refuses the newer database instead of misreading it.
    expect(() => openCaseDb({ path: file })).toThrow(/schema level 2, newer/);
  });

  it('migration files must be numbered without gaps', () => {
    const d = tempDir();
    dirs.push(d);
    fs.writeFileSync(path.join(d, '001_a.sql'), 'SELECT 1;');
    fs.writeFileSync(path.join(d, '003_c.sql'), 'SELECT 1;');
    expect(() => loadMigrations(d)).toThrow(/version 3, expected 2/);
  });
});
