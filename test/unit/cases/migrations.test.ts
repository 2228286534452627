import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { loadMigrations } from '../../../src/main/cases/migrate.ts';
import { createCase, listCases } from '../../../src/main/cases/cases.ts';
import { getEvidence } from '../../../src/main/cases/evidence.ts';
import { getScan } from '../../../src/main/cases/scans.ts';
import { verifyAuditLog } from '../../../src/main/cases/audit.ts';
import { defaultDbPath } from '../../../src/main/cases/paths.ts';
import { tempDir } from '../../fixtures/reports/scan-fixture.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** An evidence row with one file, as a tool at an older level wrote it (intakeEvidence writes the latest columns). */
function oldEvidence(sql: Database.Database, caseId: number): number {
  const id = Number(
    sql
      .prepare(
        `INSERT INTO evidence (case_id, display_name, original_path, size, sha256, match, stored_path, created)
         VALUES (?, 'm.onnx', '/x/m.onnx', 1, ?, 'none', 'store/1', 'now')`,
      )
      .run(caseId, 'a'.repeat(64)).lastInsertRowid,
  );
  sql
    .prepare(
      "INSERT INTO evidence_files (evidence_id, ordinal, name, original_path, size, sha256) VALUES (?, 0, 'm.onnx', '/x/m.onnx', 1, ?)",
    )
    .run(id, 'a'.repeat(64));
  return id;
}

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
    expect(() =>
      cdb.sql
        .prepare(
          "INSERT INTO evidence (case_id, display_name, original_path, size, sha256, match, stored_path, created) VALUES (999, 'x', 'x', 1, 'x', 'none', 'x', 'x')",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
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

    const level = loadMigrations().length;
    const bad = [
      ...loadMigrations(),
      {
        version: level + 1,
        name: 'bad',
        sql: 'CREATE TABLE half_done (x INTEGER); ALTER TABLE cases ADD COLUMN flag INTEGER; INSERT INTO no_such_table VALUES (1);',
      },
    ];
    expect(() => openCaseDb({ path: file, migrations: bad })).toThrow(
      new RegExp(`migration ${level + 1} \\(bad\\) failed.*left at level ${level}`),
    );

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(level);
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).toBeUndefined();
    expect((raw.prepare('PRAGMA table_info(cases)').all() as { name: string }[]).map((c) => c.name)).not.toContain(
      'flag',
    );
    raw.close();

    const again = openCaseDb({ path: file });
    expect(listCases(again).map((c) => c.name)).toEqual(['Case A']);
    expect(verifyAuditLog(again).ok).toBe(true);
    again.sql.close();
  });

  it('a good later migration is applied once and recorded in user_version', () => {
    const file = dbFile();
    const next = loadMigrations().length + 1;
    const more = [
      ...loadMigrations(),
      { version: next, name: 'tags', sql: 'CREATE TABLE tags (case_id INTEGER REFERENCES cases(id), tag TEXT);' },
    ];
    openCaseDb({ path: file, migrations: more }).sql.close();
    const cdb = openCaseDb({ path: file, migrations: more });
    expect(cdb.sql.pragma('user_version', { simple: true })).toBe(next);
    cdb.sql.close();
    // A tool that knows fewer migrations refuses the newer database instead of misreading it.
    expect(() => openCaseDb({ path: file })).toThrow(new RegExp(`schema level ${next}, newer`));
  });

  it('migration 002: the old scan-jobs/*.json sidecars move onto their scans rows once, completed scans too', () => {
    const file = dbFile();
    const old = openCaseDb({ path: file, migrations: loadMigrations().slice(0, 1) });
    const kase = createCase(old, { name: 'C' });
    const ev = { id: oldEvidence(old.sql, kase.id) };
    const insert = old.sql
      .prepare(`INSERT INTO scans (case_id, evidence_id, method, params_json, params_sha256, seed, tool_version, backend,
      num_classes, class_names_json, status, created) VALUES (?, ?, 'uma', '{}', 'x', 1, '0.1.0', 'wasm', 2, '["a","b"]', ?, 'now')`);
    const ids = ['completed', 'interrupted', 'failed'].map((status) =>
      Number(insert.run(kase.id, ev.id, status).lastInsertRowid),
    );
    old.sql.close();
    const sidecars = path.join(path.dirname(file), 'scan-jobs');
    fs.mkdirSync(sidecars);
    const specs = [
      { data: '/data/a', workers: 2 },
      { data: 'demo', referenceEvidenceId: ev.id },
    ];
    specs.forEach((spec, i) =>
      fs.writeFileSync(path.join(sidecars, `scan-${ids[i]}.json`), JSON.stringify({ scanId: ids[i], ...spec })),
    );

    const cdb = openCaseDb({ path: file });
    expect(ids.map((id) => getScan(cdb, id).job)).toEqual([...specs, null]);
    expect(fs.existsSync(sidecars)).toBe(false);
    // Still frozen: a completed scan's other columns, and any spec once set.
    expect(() => cdb.sql.prepare("UPDATE scans SET job_json = '{}' WHERE id = ?").run(ids[0])).toThrow(
      /never changes once set/,
    );
    expect(() => cdb.sql.prepare('UPDATE scans SET seed = 2 WHERE id = ?').run(ids[0])).toThrow(
      /completed scan never changes/,
    );
    cdb.sql.close();
  });

  it('migration 003: files taken in before it are the model itself; roles are checked and never change', () => {
    const file = dbFile();
    const old = openCaseDb({ path: file, migrations: loadMigrations().slice(0, 2) });
    const evidenceId = oldEvidence(old.sql, createCase(old, { name: 'C' }).id);
    old.sql.close();

    const cdb = openCaseDb({ path: file });
    expect(getEvidence(cdb, evidenceId).files.map((f) => [f.name, f.role])).toEqual([['m.onnx', 'model']]);
    expect(() => cdb.sql.prepare("UPDATE evidence_files SET role = 'architecture'").run()).toThrow(
      /intake facts never change/,
    );
    expect(() =>
      cdb.sql
        .prepare(
          "INSERT INTO evidence_files (evidence_id, ordinal, name, role, original_path, size, sha256) VALUES (?, 1, 'w', 'weights', 'w', 1, 'x')",
        )
        .run(evidenceId),
    ).toThrow(/CHECK constraint/);
    cdb.sql.close();
  });

  it('migration files must be numbered without gaps', () => {
    const d = tempDir();
    dirs.push(d);
    fs.writeFileSync(path.join(d, '001_a.sql'), 'SELECT 1;');
    fs.writeFileSync(path.join(d, '003_c.sql'), 'SELECT 1;');
    expect(() => loadMigrations(d)).toThrow(/version 3, expected 2/);
  });
});
