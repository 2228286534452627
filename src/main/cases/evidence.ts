/**
 * Evidence intake and integrity. At intake every file of the model is copied into the case store
 * (next to the database) while being hashed, and the copy is made read-only: scans read the copy,
 * never the analyst's original. rehashEvidence re-reads the copy before every scan and before every
 * signature; a changed byte is an INTEGRITY error naming the file and both digests, and is audited.
 * Taking the same bytes into the same case again returns the existing item (audited as a reuse).
 * A Keras weights-only file's architecture JSON is a file of the same item with the role 'architecture':
 * hashed, copied, re-hashed and signed with the weights, as the model a scan loads is both.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EvidenceFileInfo, EvidenceInfo } from '../../shared/api.ts';
import { UmaError } from '../../shared/errors.ts';
import { appendAudit } from './audit.ts';
import { nowIso, writeTx, type CaseDb } from './db.ts';
import { combinedDigest } from '../util/digest.ts';
import { copyAndHash, sha256File, type FileDigest } from './hashing.ts';

export type HashMatch = EvidenceInfo['match'];
export type EvidenceFile = EvidenceFileInfo;
export type EvidenceFileRole = EvidenceFileInfo['role'];

/** The stored evidence is the contract's evidence plus where its read-only copies lie, which only the main process uses. */
export interface EvidenceRecord extends EvidenceInfo {
  /** Folder of the read-only copies, relative to the data folder. */
  storedPath: string;
}

export interface IntakeInput {
  caseId: number;
  /** One file (ONNX) or several (TF.js model.json + weight shards); names must differ. */
  files: string[];
  /** Recorded as each file's original path instead of the path read (default), e.g. for an upload. */
  origins?: string[];
  /** A Keras weights-only file's architecture JSON, kept after the model's files with the role 'architecture'. */
  architecture?: { file: string; origin?: string };
  displayName?: string;
  /** A digest the analyst received with the model (e.g. from the chain-of-custody form). */
  expectedSha256?: string;
  expectedSource?: string;
  format?: string;
  inputSpec?: unknown;
  classNames?: string[];
}

const SHA256_RE = /^[0-9a-f]{64}$/;

export async function intakeEvidence(cdb: CaseDb, input: IntakeInput): Promise<EvidenceRecord> {
  if (input.files.length === 0) throw new UmaError('BAD_INPUT', 'evidence needs at least one file');
  const paths = input.architecture ? [...input.files, input.architecture.file] : input.files;
  const origins = [...input.files.map((_, i) => input.origins?.[i]), input.architecture?.origin];
  const roles: EvidenceFileRole[] = paths.map((_, i) => (i < input.files.length ? 'model' : 'architecture'));
  const names = paths.map((f) => path.basename(f));
  if (new Set(names).size !== names.length)
    throw new UmaError('BAD_INPUT', `evidence files must have distinct names: ${names.join(', ')}`);
  const expected = input.expectedSha256?.trim().toLowerCase();
  if (expected !== undefined && !SHA256_RE.test(expected))
    throw new UmaError('BAD_INPUT', `expected sha256 '${input.expectedSha256}' is not 64 hex digits`);
  for (const f of paths) {
    if (!fs.statSync(f, { throwIfNoEntry: false })?.isFile())
      throw new UmaError('NOT_FOUND', `evidence file ${f} does not exist or is not a file`);
  }

  // Copy into a staging folder first (slow, async); the database row and the final folder name
  // then appear together in one transaction.
  fs.mkdirSync(cdb.paths.storeDir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(cdb.paths.storeDir, '.intake-'));
  try {
    const digests: FileDigest[] = [];
    for (let i = 0; i < paths.length; i++) {
      const dest = path.join(staging, names[i]);
      digests.push(await copyAndHash(paths[i], dest));
      fs.chmodSync(dest, 0o444);
    }
    const files: EvidenceFile[] = digests.map((d, i) => ({
      ordinal: i,
      name: names[i],
      role: roles[i],
      originalPath: origins[i] ?? path.resolve(paths[i]),
      ...d,
    }));
    const sha256 = combinedDigest(files);
    const match: HashMatch = expected === undefined ? 'none' : expected === sha256 ? 'match' : 'mismatch';
    const size = files.reduce((s, f) => s + f.size, 0);
    const inputSpecJson = input.inputSpec === undefined ? null : JSON.stringify(input.inputSpec);
    const classNamesJson = input.classNames ? JSON.stringify(input.classNames) : null;
    return writeTx(cdb, () => {
      // The same bytes taken into the same case again (a re-run scan) are the same evidence: one row,
      // unless this intake reads them differently (input spec, class names) or brings another digest.
      const same = cdb.sql
        .prepare(
          `SELECT id FROM evidence WHERE case_id = ? AND sha256 = ? AND input_spec_json IS ? AND class_names_json IS ?
                  AND (? IS NULL OR expected_sha256 = ?) ORDER BY id LIMIT 1`,
        )
        .get(input.caseId, sha256, inputSpecJson, classNamesJson, expected ?? null, expected ?? null) as
        { id: number } | undefined;
      if (same) {
        appendAudit(cdb, 'evidence.reuse', `evidence:${same.id}`, { originalPath: files[0].originalPath, sha256 });
        return getEvidence(cdb, same.id);
      }
      const id = (cdb.sql.prepare('SELECT coalesce(max(id), 0) + 1 AS id FROM evidence').get() as { id: number }).id;
      // Relative to the data folder. Evidence taken before stores were per database names store/<id>:
      // the row says where its copy lies (intake facts never change), so those copies stay put.
      const storedPath = path.join(path.basename(cdb.paths.storeDir), String(id));
      cdb.sql
        .prepare(
          `INSERT INTO evidence (id, case_id, display_name, original_path, size, sha256, expected_sha256, expected_source, match,
             format, input_spec_json, class_names_json, stored_path, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          input.caseId,
          input.displayName ?? names[0],
          files[0].originalPath,
          size,
          sha256,
          expected ?? null,
          input.expectedSource ?? null,
          match,
          input.format ?? null,
          inputSpecJson,
          classNamesJson,
          storedPath,
          nowIso(),
        );
      const insertFile = cdb.sql.prepare(
        'INSERT INTO evidence_files (evidence_id, ordinal, name, role, original_path, size, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      for (const f of files) insertFile.run(id, f.ordinal, f.name, f.role, f.originalPath, f.size, f.sha256);
      appendAudit(cdb, 'evidence.intake', `evidence:${id}`, {
        caseId: input.caseId,
        sha256,
        size,
        match,
        expectedSha256: expected ?? null,
        expectedSource: input.expectedSource ?? null,
        files: files.map((f) => ({
          name: f.name,
          role: f.role,
          originalPath: f.originalPath,
          size: f.size,
          sha256: f.sha256,
        })),
      });
      // Last, so a failure above leaves no folder behind and a failed rename rolls the rows back.
      fs.renameSync(staging, path.join(cdb.paths.dataDir, storedPath));
      return getEvidence(cdb, id);
    });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

interface EvidenceRow {
  id: number;
  case_id: number;
  display_name: string;
  original_path: string;
  size: number;
  sha256: string;
  expected_sha256: string | null;
  expected_source: string | null;
  match: HashMatch;
  format: string | null;
  input_spec_json: string | null;
  class_names_json: string | null;
  stored_path: string;
  created: string;
}

export function getEvidence(cdb: CaseDb, id: number): EvidenceRecord {
  const r = cdb.sql.prepare('SELECT * FROM evidence WHERE id = ?').get(id) as EvidenceRow | undefined;
  if (!r) throw new UmaError('NOT_FOUND', `no evidence with id ${id}`);
  const files = cdb.sql
    .prepare(
      'SELECT ordinal, name, role, original_path AS originalPath, size, sha256 FROM evidence_files WHERE evidence_id = ? ORDER BY ordinal',
    )
    .all(id) as EvidenceFile[];
  return {
    id: r.id,
    caseId: r.case_id,
    displayName: r.display_name,
    originalPath: r.original_path,
    size: r.size,
    sha256: r.sha256,
    expectedSha256: r.expected_sha256,
    expectedSource: r.expected_source,
    match: r.match,
    format: r.format,
    inputSpec: r.input_spec_json === null ? null : JSON.parse(r.input_spec_json),
    classNames: r.class_names_json === null ? null : (JSON.parse(r.class_names_json) as string[]),
    storedPath: r.stored_path,
    created: r.created,
    files,
  };
}

export function listEvidence(cdb: CaseDb, caseId: number): EvidenceRecord[] {
  const ids = cdb.sql.prepare('SELECT id FROM evidence WHERE case_id = ? ORDER BY id').all(caseId) as { id: number }[];
  return ids.map(({ id }) => getEvidence(cdb, id));
}

/** Absolute paths of the stored read-only copies, in intake order (what a scan should open). */
export function storedFiles(cdb: CaseDb, ev: EvidenceRecord): string[] {
  return ev.files.map((f) => path.join(cdb.paths.dataDir, ev.storedPath, f.name));
}

/** The stored copy of the evidence's architecture file (a Keras weights-only model's), if it has one. */
export function storedArchitecture(cdb: CaseDb, ev: EvidenceRecord): string | undefined {
  const f = ev.files.find((x) => x.role === 'architecture');
  return f && path.join(cdb.paths.dataDir, ev.storedPath, f.name);
}

export type RehashPurpose = 'before-scan' | 'before-signing' | 'manual';

export interface Rehash {
  evidenceId: number;
  purpose: RehashPurpose;
  sha256: string;
  at: string;
}

export async function rehashEvidence(cdb: CaseDb, id: number, purpose: RehashPurpose = 'manual'): Promise<Rehash> {
  const ev = getEvidence(cdb, id);
  const paths = storedFiles(cdb, ev);
  for (let i = 0; i < ev.files.length; i++) {
    const f = ev.files[i];
    const actual = fs.existsSync(paths[i]) ? (await sha256File(paths[i])).sha256 : 'missing';
    if (actual !== f.sha256) {
      const details = { purpose, file: paths[i], name: f.name, role: f.role, expected: f.sha256, actual };
      appendAudit(cdb, 'evidence.integrity-failure', `evidence:${id}`, details);
      throw new UmaError(
        'INTEGRITY',
        `evidence ${id} ${f.role === 'architecture' ? 'architecture ' : ''}file ${paths[i]} no longer matches its intake hash: ` +
          `expected sha256 ${f.sha256}, found ${actual}`,
        details,
      );
    }
  }
  const at = nowIso();
  appendAudit(cdb, 'evidence.rehash', `evidence:${id}`, { purpose, sha256: ev.sha256 });
  return { evidenceId: id, purpose, sha256: ev.sha256, at };
}
