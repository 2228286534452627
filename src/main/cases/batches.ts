/**
 * A batch's manifest: which scans of the case database belong to it and under which queue job each
 * runs, written beside the database (batches/<id>.json) as jobs are queued, so `uma batch --resume`
 * reattaches after the coordinator died. The scans themselves, their classes and results live in the
 * case database; this file only groups them. The queue URL is kept without its password.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UmaError } from '../../shared/errors.ts';

export interface BatchItem {
  scanId: number;
  jobId: string;
  /** The model as given on the command line. */
  model: string;
}

export interface BatchManifest {
  batchId: string;
  created: string;
  queue: string;
  caseId: number;
  caseName: string;
  /** `demo`, or a path every worker sees. */
  data: { kind: 'demo' } | { kind: 'path'; path: string; labels?: string };
  workers?: number;
  items: BatchItem[];
}

const dirOf = (dataDir: string): string => path.join(dataDir, 'batches');

export function writeManifest(dataDir: string, m: BatchManifest): void {
  fs.mkdirSync(dirOf(dataDir), { recursive: true });
  const file = path.join(dirOf(dataDir), `${m.batchId}.json`);
  // Written whole then renamed: a coordinator killed mid-write leaves the previous manifest.
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(m, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

export function readManifest(dataDir: string, batchId: string): BatchManifest {
  if (!/^[\w-]+$/.test(batchId)) throw new UmaError('BAD_INPUT', `'${batchId}' is not a batch id`);
  const file = path.join(dirOf(dataDir), `${batchId}.json`);
  if (!fs.existsSync(file)) throw new UmaError('NOT_FOUND', `no batch ${batchId} in ${dirOf(dataDir)}`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as BatchManifest;
}

/** Every batch of the database, newest first. */
export function listManifests(dataDir: string): BatchManifest[] {
  if (!fs.existsSync(dirOf(dataDir))) return [];
  return fs
    .readdirSync(dirOf(dataDir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => readManifest(dataDir, f.slice(0, -'.json'.length)))
    .sort((a, b) => b.created.localeCompare(a.created));
}
