/** A recorded scan exported as an archive, plus the tools the tamper tests need. */
import fs from 'node:fs';
import path from 'node:path';
import type { CaseDb } from '../../../src/main/cases/db.ts';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { recordScanResult } from '../../fixtures/reports/record-fixture.ts';
import { sha256Hex } from '../../../src/main/util/digest.ts';
import { exportScanArchive, type ExportedArchive, type ExportOptions } from '../../../src/main/reports/export.ts';
import {
  BAG_INFO,
  MANIFEST,
  manifestOf,
  payloadOxumLine,
  TAGMANIFEST,
  type BagFiles,
} from '../../../src/main/reports/bagit.ts';
import { scanFixture, tempDir, writeModel } from '../../fixtures/reports/scan-fixture.ts';

export interface Exported {
  dir: string;
  cdb: CaseDb;
  model: string;
  scanId: number;
  archive: ExportedArchive;
  zip: Uint8Array;
}

export async function exportedScan(
  opts: ExportOptions & { classes?: number; stamped?: number } = { pdf: false },
): Promise<Exported> {
  const dir = tempDir('uma-report-');
  const cdb = openCaseDb({ path: path.join(dir, 'uma', 'cases.sqlite'), actor: 'tester' });
  const model = writeModel(dir, 'suspect.onnx', 8192, 5);
  const { result, artifacts } = scanFixture({
    classes: opts.classes ?? 4,
    stamped: opts.stamped ?? 1,
    modelSha256: sha256Hex(fs.readFileSync(model)),
    target: 2,
    scored: true,
  });
  const { scanId } = await recordScanResult(cdb, {
    caseName: 'Case 2026-117',
    evidence: { files: [model], format: 'onnx', expectedSha256: result.model.sha256, expectedSource: 'vendor email' },
    result,
    artifacts,
    examiner: 'Alice Example',
  });
  const archive = await exportScanArchive(cdb, scanId, path.join(dir, 'out', 'report.zip'), opts);
  return { dir, cdb, model, scanId, archive, zip: new Uint8Array(fs.readFileSync(archive.path)) };
}

/** What an attacker without the key can do after editing: recompute the Payload-Oxum and the manifests. */
export function remanifest(bag: BagFiles): BagFiles {
  const out = new Map(bag);
  const info = out.get(BAG_INFO);
  if (info) {
    const fields = Buffer.from(info)
      .toString('utf8')
      .replace(/Payload-Oxum: [^\n]*\n$/, '');
    out.set(
      BAG_INFO,
      Buffer.from(fields + payloadOxumLine([...out].filter(([p]) => p.startsWith('data/')).map(([, b]) => b))),
    );
  }
  out.set(MANIFEST, Buffer.from(manifestOf([...out].filter(([p]) => p.startsWith('data/')))));
  out.set(TAGMANIFEST, Buffer.from(manifestOf([...out].filter(([p]) => !p.startsWith('data/') && p !== TAGMANIFEST))));
  return out;
}

export function flipped(bytes: Uint8Array, pos: number, mask: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[pos] ^= mask;
  return copy;
}

/** Every position when there are at most `max`, else `max` distinct seeded ones. */
export function positions(length: number, max: number, rand: () => number): number[] {
  if (length <= max) return Array.from({ length }, (_, i) => i);
  const set = new Set<number>();
  while (set.size < max) set.add(Math.floor(rand() * length));
  return [...set];
}
