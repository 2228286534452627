import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCase } from '../../../src/main/cases/cases.ts';
import { intakeEvidence, rehashEvidence, storedArchitecture, storedFiles } from '../../../src/main/cases/evidence.ts';
import { combinedDigest } from '../../../src/main/util/digest.ts';
import { listAudit, verifyAuditLog } from '../../../src/main/cases/audit.ts';
import { sha256Hex } from '../../../src/main/util/digest.ts';
import { UmaError } from '../../../src/shared/errors.ts';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { writeModel } from '../../fixtures/reports/scan-fixture.ts';
import { useTempDb } from './helpers.ts';

const db = useTempDb();

describe('evidence intake and integrity', () => {
  it('the same bytes taken into the same case again are the same evidence; another case or reading is new', async () => {
    const { cdb, dir } = db();
    const model = writeModel(dir, 'm.onnx');
    const a = createCase(cdb, { name: 'A' });
    const b = createCase(cdb, { name: 'B' });
    const first = await intakeEvidence(cdb, { caseId: a.id, files: [model] });
    const copy = path.join(dir, 'copy-of-m.onnx');
    fs.copyFileSync(model, copy);
    expect((await intakeEvidence(cdb, { caseId: a.id, files: [copy] })).id).toBe(first.id);
    expect(listAudit(cdb, `evidence:${first.id}`).map((e) => e.action)).toContain('evidence.reuse');
    expect((await intakeEvidence(cdb, { caseId: b.id, files: [model] })).id).not.toBe(first.id);
    expect((await intakeEvidence(cdb, { caseId: a.id, files: [model], classNames: ['x', 'y'] })).id).not.toBe(first.id);
    expect(fs.readdirSync(cdb.paths.storeDir).filter((d) => !d.startsWith('.'))).toHaveLength(3);
  });

  it('copies a single-file model read-only into the store with its sha256', async () => {
    const { cdb, dir } = db();
    // Larger than one 1 MiB stream chunk, so the streamed digest crosses chunk boundaries.
    const model = writeModel(dir, 'suspect.onnx', 3 * (1 << 20) + 17);
    const kase = createCase(cdb, { name: 'C1', examiner: 'alice' });
    const ev = await intakeEvidence(cdb, {
      caseId: kase.id,
      files: [model],
      format: 'onnx',
      classNames: ['a', 'b'],
      expectedSha256: sha256Hex(fs.readFileSync(model)).toUpperCase(),
      expectedSource: 'custody form 7',
    });
    expect(ev.sha256).toBe(sha256Hex(fs.readFileSync(model)));
    expect(ev.match).toBe('match');
    expect(ev.size).toBe(3 * (1 << 20) + 17);
    const [stored] = storedFiles(cdb, ev);
    expect(path.dirname(path.dirname(stored))).toBe(cdb.paths.storeDir);
    expect(fs.statSync(stored).mode & 0o777).toBe(0o444);
    expect(fs.readFileSync(stored).equals(fs.readFileSync(model))).toBe(true);
    expect(fs.readdirSync(cdb.paths.storeDir)).toEqual([String(ev.id)]); // no staging folder left
    const intake = listAudit(cdb, `evidence:${ev.id}`);
    expect(intake.map((e) => e.action)).toEqual(['evidence.intake']);
    expect(intake[0].details).toMatchObject({ sha256: ev.sha256, match: 'match', expectedSource: 'custody form 7' });
  });

  it('two databases in one folder each keep their own store: the same file taken in both', async () => {
    const { cdb: first, dir } = db();
    const second = openCaseDb({ path: path.join(path.dirname(first.paths.db), 'other.sqlite'), actor: 'tester' });
    try {
      const model = writeModel(dir, 'shared.onnx', 5000, 3);
      const a = await intakeEvidence(first, { caseId: createCase(first, { name: 'A' }).id, files: [model] });
      const b = await intakeEvidence(second, { caseId: createCase(second, { name: 'B' }).id, files: [model] });
      expect([a.id, b.id]).toEqual([1, 1]); // the same id in each database
      expect(first.paths.storeDir).toBe(path.join(path.dirname(first.paths.db), 'cases.sqlite.store'));
      expect(second.paths.storeDir).toBe(path.join(path.dirname(first.paths.db), 'other.sqlite.store'));
      expect(storedFiles(first, a)[0]).not.toBe(storedFiles(second, b)[0]);
      for (const [cdb, ev] of [
        [first, a],
        [second, b],
      ] as const) {
        expect(fs.readFileSync(storedFiles(cdb, ev)[0]).equals(fs.readFileSync(model))).toBe(true);
        expect((await rehashEvidence(cdb, ev.id, 'before-scan')).sha256).toBe(ev.sha256);
      }
    } finally {
      second.sql.close();
    }
  });

  it('records a mismatch with the expected hash the analyst gave', async () => {
    const { cdb, dir } = db();
    const kase = createCase(cdb, { name: 'C1' });
    const ev = await intakeEvidence(cdb, {
      caseId: kase.id,
      files: [writeModel(dir)],
      expectedSha256: 'ab'.repeat(32),
    });
    expect(ev.match).toBe('mismatch');
    expect(ev.expectedSha256).toBe('ab'.repeat(32));
    await expect(
      intakeEvidence(cdb, { caseId: kase.id, files: [writeModel(dir, 'x.onnx')], expectedSha256: 'xyz' }),
    ).rejects.toThrow(/not 64 hex/);
  });

  it('takes in a multi-file TF.js model with a combined digest independent of file order', async () => {
    const { cdb, dir } = db();
    const kase = createCase(cdb, { name: 'C1' });
    const files = [
      writeModel(dir, 'model.json', 300, 2),
      writeModel(dir, 'group1-shard1of2.bin', 5000, 3),
      writeModel(dir, 'group1-shard2of2.bin', 700, 4),
    ];
    const a = await intakeEvidence(cdb, { caseId: kase.id, files, format: 'tfjs-layers' });
    const b = await intakeEvidence(cdb, { caseId: kase.id, files: [files[2], files[0], files[1]] });
    expect(a.files.map((f) => f.name)).toEqual(['model.json', 'group1-shard1of2.bin', 'group1-shard2of2.bin']);
    expect(a.sha256).toBe(b.sha256);
    expect(a.sha256).toBe(
      combinedDigest(files.map((f) => ({ name: path.basename(f), sha256: sha256Hex(fs.readFileSync(f)) }))),
    );
    expect(a.size).toBe(6000);
    // Changing any one file changes the combined digest.
    expect(combinedDigest(a.files.map((f, i) => (i === 1 ? { ...f, sha256: '0'.repeat(64) } : f)))).not.toBe(a.sha256);
  });

  it('takes a Keras architecture file in beside the weights: its own role, sha256 and origin, re-hashed with them', async () => {
    const { cdb, dir } = db();
    const kase = createCase(cdb, { name: 'C1' });
    const weights = writeModel(dir, 'w.h5', 4000, 5);
    const arch = writeModel(dir, 'arch.json', 200, 6);
    const ev = await intakeEvidence(cdb, {
      caseId: kase.id,
      files: [weights],
      architecture: { file: arch, origin: 'uploaded as arch.json' },
      format: 'keras',
    });
    expect(ev.files.map((f) => [f.name, f.role, f.sha256, f.originalPath])).toEqual([
      ['w.h5', 'model', sha256Hex(fs.readFileSync(weights)), weights],
      ['arch.json', 'architecture', sha256Hex(fs.readFileSync(arch)), 'uploaded as arch.json'],
    ]);
    expect(ev.sha256).toBe(combinedDigest(ev.files));
    expect(storedArchitecture(cdb, ev)).toBe(storedFiles(cdb, ev)[1]);
    expect(fs.readFileSync(storedArchitecture(cdb, ev)!).equals(fs.readFileSync(arch))).toBe(true);
    const intake = listAudit(cdb, `evidence:${ev.id}`)[0];
    expect(intake.details.files).toMatchObject([
      { name: 'w.h5', role: 'model' },
      { name: 'arch.json', role: 'architecture' },
    ]);
    // Without an architecture there is none; the same weights alone are other evidence.
    const alone = await intakeEvidence(cdb, { caseId: kase.id, files: [weights] });
    expect(alone.id).not.toBe(ev.id);
    expect(storedArchitecture(cdb, alone)).toBeUndefined();

    const stored = storedArchitecture(cdb, ev)!;
    fs.chmodSync(stored, 0o644);
    fs.appendFileSync(stored, ' ');
    await expect(rehashEvidence(cdb, ev.id, 'before-scan')).rejects.toThrow(
      new RegExp(`evidence ${ev.id} architecture file .*arch\.json no longer matches its intake hash`),
    );
    expect(listAudit(cdb, `evidence:${ev.id}`).at(-1)!.details).toMatchObject({ role: 'architecture' });
  });

  it('re-hash detects a changed stored copy, names file and digests, and audits it', async () => {
    const { cdb, dir } = db();
    const kase = createCase(cdb, { name: 'C1' });
    const ev = await intakeEvidence(cdb, {
      caseId: kase.id,
      files: [writeModel(dir, 'model.json', 300, 2), writeModel(dir, 'w.bin', 5000, 3)],
    });
    const ok = await rehashEvidence(cdb, ev.id, 'before-scan');
    expect(ok.sha256).toBe(ev.sha256);

    const target = storedFiles(cdb, ev)[1];
    fs.chmodSync(target, 0o644);
    const bytes = fs.readFileSync(target);
    bytes[1234] ^= 0x01;
    fs.writeFileSync(target, bytes);
    const actual = sha256Hex(bytes);

    const err = await rehashEvidence(cdb, ev.id, 'before-signing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UmaError);
    expect((err as UmaError).code).toBe('INTEGRITY');
    expect((err as UmaError).message).toContain(target);
    expect((err as UmaError).message).toContain(ev.files[1].sha256);
    expect((err as UmaError).message).toContain(actual);
    const last = listAudit(cdb, `evidence:${ev.id}`).at(-1)!;
    expect(last.action).toBe('evidence.integrity-failure');
    expect(last.details).toMatchObject({
      purpose: 'before-signing',
      name: 'w.bin',
      expected: ev.files[1].sha256,
      actual,
    });
    expect(verifyAuditLog(cdb).ok).toBe(true);

    fs.rmSync(target, { force: true });
    await expect(rehashEvidence(cdb, ev.id)).rejects.toThrow(/found missing/);
  });

  it('refuses missing files and duplicate names', async () => {
    const { cdb, dir } = db();
    const kase = createCase(cdb, { name: 'C1' });
    await expect(intakeEvidence(cdb, { caseId: kase.id, files: [path.join(dir, 'nope.onnx')] })).rejects.toThrow(
      /does not exist/,
    );
    fs.mkdirSync(path.join(dir, 'sub'));
    const twins = [writeModel(dir, 'm.bin'), writeModel(path.join(dir, 'sub'), 'm.bin')];
    await expect(intakeEvidence(cdb, { caseId: kase.id, files: twins })).rejects.toThrow(/distinct names/);
  });

  it('intake facts cannot be rewritten', async () => {
    const { cdb, dir } = db();
    const kase = createCase(cdb, { name: 'C1' });
    const ev = await intakeEvidence(cdb, { caseId: kase.id, files: [writeModel(dir)] });
    expect(() => cdb.sql.prepare('UPDATE evidence SET sha256 = ? WHERE id = ?').run('0'.repeat(64), ev.id)).toThrow(
      /never change/,
    );
    expect(() => cdb.sql.prepare('UPDATE evidence_files SET sha256 = ?').run('0'.repeat(64))).toThrow(/never change/);
    expect(() => cdb.sql.prepare('DELETE FROM evidence_files').run()).toThrow(/never change/);
  });
});
