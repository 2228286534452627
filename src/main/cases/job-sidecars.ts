/**
 * Before migration 002 a scan's job spec (data, workers, reference) lived in scan-jobs/scan-N.json
 * beside the database. At open those files are read once into the scans row (job_json) and deleted,
 * so the row is the one place a resume reads from.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CaseDb } from './db.ts';
import { writeTx } from './db.ts';
import type { ScanJob } from './scans.ts';

export function importJobSidecars(cdb: CaseDb): number[] {
  const dir = path.join(cdb.paths.dataDir, 'scan-jobs');
  if (!fs.existsSync(dir)) return [];
  const imported: number[] = [];
  const set = cdb.sql.prepare('UPDATE scans SET job_json = ? WHERE id = ? AND job_json IS NULL');
  for (const file of fs.readdirSync(dir)) {
    const m = /^scan-(\d+)\.json$/.exec(file);
    if (!m) continue;
    const full = path.join(dir, file);
    const { scanId: _scanId, ...job } = JSON.parse(fs.readFileSync(full, 'utf8')) as ScanJob & { scanId?: number };
    if (writeTx(cdb, () => set.run(JSON.stringify(job), Number(m[1])).changes) > 0) imported.push(Number(m[1]));
    fs.rmSync(full);
  }
  if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
  return imported;
}
