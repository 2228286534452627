/** Per-test case database in a temp folder, closed and removed afterwards. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { CaseDb } from '../../../src/main/cases/db.ts';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { tempDir } from '../../fixtures/reports/scan-fixture.ts';

export function useTempDb(): () => { cdb: CaseDb; dir: string } {
  const open: { cdb: CaseDb; dir: string }[] = [];
  afterEach(() => {
    for (const { cdb, dir } of open.splice(0)) {
      if (cdb.sql.open) cdb.sql.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  return () => {
    const dir = tempDir();
    const cdb = openCaseDb({ path: path.join(dir, 'uma', 'cases.sqlite'), actor: 'tester' });
    open.push({ cdb, dir });
    return { cdb, dir };
  };
}
