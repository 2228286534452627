import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { loadMigrations } from '../../../src/main/cases/migrate.ts';
import { tempDir } from '../../fixtures/reports/scan-fixture.ts';

const OPENER = fileURLToPath(new URL('./db-opener.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Starts an opener and resolves once it has loaded its modules; go() releases it. */
function opener(db: string): Promise<{ go: () => void; result: Promise<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx/esm', OPENER, db], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const result = new Promise<string>((resolve) =>
    child.on('exit', (code) => resolve(`exit ${code}: ${out.replace('ready\n', '').trim()}${err ? ` ${err}` : ''}`)),
  );
  return new Promise((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      const first = out === '';
      out += d.toString();
      if (first && out.startsWith('ready')) resolve({ go: () => child.stdin.end('go\n'), result });
    });
  });
}

describe('two processes opening a new database at once', () => {
  it("both open it: the second waits for the first one's migrations instead of re-running them", async () => {
    for (let round = 0; round < 4; round++) {
      const dir = tempDir('uma-race-');
      dirs.push(dir);
      const db = path.join(dir, 'cases.sqlite');
      const pair = await Promise.all([opener(db), opener(db)]);
      for (const p of pair) p.go();
      const results = await Promise.all(pair.map((p) => p.result));
      expect(results, `round ${round}`).toEqual(['exit 0: opened', 'exit 0: opened']);
      const cdb = openCaseDb({ path: db });
      expect(cdb.sql.pragma('user_version', { simple: true })).toBe(loadMigrations().length);
      cdb.sql.close();
    }
  }, 120_000);
});
