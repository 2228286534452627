/**
 * A copy of the bench's scan cache that can be committed, so that scans outlive the machine they ran
 * on. The cache lives beside each model under `.cache/`, which a fresh machine lacks; the models are
 * rebuilt from their seeded recipes in minutes, while one scan of a GTSRB ResNet takes half an hour.
 *
 * The archive keeps one folder per model id holding that model's `scan-*.json` cache files (the names
 * are the bench's cache keys, so every parameter set and method keeps its own file). A file is
 * restored beside a model only when it scanned a model file with the same sha256: a rebuild that came
 * out different is rescanned, never matched to another model's findings.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UmaError } from '../../shared/errors.ts';
import type { ScanResult } from '../../shared/results.ts';
import { modelDigest } from '../engine/model/load.ts';
import { entryModelPath, isPlainName, type Manifest } from './zoo/corpus.ts';

export interface ArchiveSync {
  /** Archived scans copied beside the model. */
  restored: string[];
  /** Scans beside the model copied into the archive. */
  archived: string[];
  /** Archived scans left out: they scanned another model file (sha256 differs). */
  mismatched: string[];
  /** Archived files left out: not JSON, or no model digest in them. */
  unreadable: string[];
}

const SCAN_FILE = /^scan-.+\.json$/;

function scanFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => SCAN_FILE.test(f)) : [];
}

/** The sha256 of the model file a cached scan scanned, or undefined when the file is not such a scan. */
function scannedSha256(file: string): string | undefined {
  try {
    const sha = (JSON.parse(readFileSync(file, 'utf8')) as Partial<ScanResult>).model?.sha256;
    return typeof sha === 'string' ? sha : undefined;
  } catch {
    return undefined;
  }
}

/** The archive's folder for one corpus entry: its manifest id, which must be a plain folder name. */
export function archiveShelf(archive: string, manifest: Manifest): string {
  if (!isPlainName(manifest.id))
    throw new UmaError('BAD_INPUT', `manifest id '${manifest.id}' cannot name a scan archive folder`);
  return join(archive, manifest.id);
}

/** Copies one of the model's cache files (a scan just written, or one the archive lacks) into the archive. */
export function archiveScan(archive: string, manifest: Manifest, file: string): void {
  const shelf = archiveShelf(archive, manifest);
  mkdirSync(shelf, { recursive: true });
  copyFileSync(file, join(shelf, basename(file)));
}

/**
 * Makes the scans beside one corpus model and in its archive folder the same set, both ways, for the
 * scans of this model file: restores the archived ones whose model sha256 matches and archives the
 * cached ones the archive lacks. A file present on both sides is left as it is.
 */
export function syncScanArchive(archive: string, dir: string, manifest: Manifest): ArchiveSync {
  const shelf = archiveShelf(archive, manifest);
  const here = new Set(scanFiles(dir));
  const there = new Set(scanFiles(shelf));
  const out: ArchiveSync = { restored: [], archived: [], mismatched: [], unreadable: [] };
  if ([...here, ...there].every((f) => here.has(f) && there.has(f))) return out;
  const sha = modelDigest(entryModelPath(dir, manifest));
  for (const f of there) {
    if (here.has(f)) continue;
    const scanned = scannedSha256(join(shelf, f));
    if (scanned !== sha) {
      (scanned === undefined ? out.unreadable : out.mismatched).push(f);
      continue;
    }
    copyFileSync(join(shelf, f), join(dir, f));
    out.restored.push(f);
  }
  for (const f of here) {
    if (there.has(f) || scannedSha256(join(dir, f)) !== sha) continue;
    archiveScan(archive, manifest, join(dir, f));
    out.archived.push(f);
  }
  return out;
}
