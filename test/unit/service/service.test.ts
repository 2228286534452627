/** The service's dispatch and small handlers, without running a scan. */
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METHODS, type KeyInfo, type NamedBytes, type Reply, type ScanDetail } from '../../../src/shared/api.ts';
import type { ClassFinding } from '../../../src/shared/results.ts';
import { sha256Hex } from '../../../src/main/util/digest.ts';
import { recordScanResult } from '../../fixtures/reports/record-fixture.ts';
import { scanFixture, writeModel } from '../../fixtures/reports/scan-fixture.ts';
import { startService, type Service } from '../../../src/main/service/index.ts';
import { exportedScan } from '../reports/archive-helpers.ts';
import { examinerKey } from '../../../src/main/reports/keys.ts';
import { ok } from '../../integration/service/helpers.ts';

let home: string;
let svc: Service;
beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-svc-unit-'));
  svc = await startService({ dbPath: path.join(home, 'cases.sqlite'), host: 'serve', pdf: false, backend: 'wasm' });
});
afterAll(async () => {
  await svc.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('service dispatch', () => {
  it('has a handler for every call of the contract, and answers nonsense arguments with BAD_INPUT, never a throw', async () => {
    for (const method of METHODS) {
      const reply = await svc.call(method, { nonsense: true });
      expect(reply.ok, method).toBe(false);
      if (!reply.ok) expect([method, reply.error.code]).toEqual([method, 'BAD_INPUT']);
      if (!reply.ok) expect(reply.error.message).not.toMatch(/unknown call/);
    }
    expect(await svc.call('nope', {})).toEqual({
      ok: false,
      error: { code: 'BAD_INPUT', message: "unknown call 'nope'" },
    });
    expect(await svc.call({ toString: null }, null)).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });

  it('names missing records NOT_FOUND', async () => {
    expect(await svc.call('cases/get', { caseId: 999 })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await svc.call('reports/download', { reportId: 3 })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await svc.call('keys/export', { examiner: 'Nobody' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await svc.call('scans/cancel', { jobId: 'job-9-9' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });

  it('keeps settings beside the database, validated', async () => {
    expect(await svc.call('settings/set', { workers: 3, theme: 'dark' })).toMatchObject({
      ok: true,
      value: { workers: 3, theme: 'dark' },
    });
    expect(await svc.call('settings/set', { workers: -1 })).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(await svc.call('settings/set', { theme: 'pink' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT' },
    });
    expect(JSON.parse(fs.readFileSync(path.join(home, 'settings.json'), 'utf8'))).toMatchObject({
      workers: 3,
      theme: 'dark',
    });
    expect(await svc.call('settings/get', {})).toMatchObject({ ok: true, value: { workers: 3, theme: 'dark' } });
  });

  it('lists cases by a search query, and adds, edits and deletes notes', async () => {
    await svc.call('cases/create', { name: 'Alpha vendor', examiner: 'Ann' });
    await svc.call('cases/create', { name: 'Beta', description: 'drone model from ACME' });
    const names = async (query?: string) =>
      ((await svc.call('cases/list', { query })) as { value: { name: string }[] }).value.map((c) => c.name);
    expect(await names()).toEqual(['Alpha vendor', 'Beta']);
    expect(await names('acme')).toEqual(['Beta']);
    expect(await names('ANN')).toEqual(['Alpha vendor']);
    const note = (await svc.call('notes/add', { caseId: 1, text: 'first look' })) as { value: { id: number } };
    expect(await svc.call('notes/update', { noteId: note.value.id, text: 'second look' })).toMatchObject({
      ok: true,
      value: { text: 'second look' },
    });
    expect(await svc.call('notes/delete', { noteId: note.value.id })).toEqual({ ok: true, value: { deleted: true } });
    expect(await svc.call('cases/get', { caseId: 1 })).toMatchObject({
      ok: true,
      value: { notes: [], evidence: [], scans: [] },
    });
    expect(await svc.call('audit/verify', {})).toMatchObject({
      ok: true,
      value: { ok: true, anchor: { note: 'anchored' } },
    });
  });

  it('verifies an archive against the keys it trusts, which keys/trust and keys/untrust manage', async () => {
    const x = await exportedScan();
    try {
      const alice = examinerKey(x.cdb.paths.keysDir, 'Alice Example');
      const check = async () =>
        (
          (await svc.call('reports/verify', { archive: { bytes: x.zip } })) as {
            value: { ok: boolean; status: string };
          }
        ).value;
      expect(await check()).toMatchObject({
        ok: false,
        status: 'untrusted',
        signer: { keyid: alice.keyid, trustedAs: null },
      });
      expect(await svc.call('keys/trust', { publicKeyPem: alice.publicKeyPem, name: 'Alice (lab 1)' })).toEqual({
        ok: true,
        value: {
          name: 'Alice (lab 1)',
          keyid: alice.keyid,
          source: 'trusted',
          file: path.join(home, 'trusted-keys.json'),
        },
      });
      expect(await check()).toMatchObject({ ok: true, status: 'verified', signer: { trustedAs: 'Alice (lab 1)' } });
      expect(await svc.call('keys/list', {})).toMatchObject({
        ok: true,
        value: [{ name: 'Alice (lab 1)', source: 'trusted' }],
      });
      expect(await svc.call('keys/export', { examiner: alice.keyid })).toMatchObject({
        ok: true,
        value: { bytes: new Uint8Array(Buffer.from(alice.publicKeyPem)) },
      });
      expect(await svc.call('keys/untrust', { keyid: alice.keyid })).toMatchObject({
        ok: true,
        value: { keyid: alice.keyid },
      });
      expect(await check()).toMatchObject({ status: 'untrusted' });
      expect(await svc.call('keys/trust', { publicKeyPem: 'not a key', name: 'x' })).toMatchObject({
        ok: false,
        error: { code: 'BAD_INPUT' },
      });
      expect(await svc.call('keys/untrust', { keyid: alice.keyid })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
    } finally {
      x.cdb.sql.close();
      fs.rmSync(x.dir, { recursive: true, force: true });
    }
  });

  it('keys/inspect names a key without trusting it; keys/create makes the examiner key export reads', async () => {
    const dana = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const danaId = createHash('sha256')
      .update(createPublicKey(dana).export({ type: 'spki', format: 'der' }))
      .digest('hex');
    expect(await svc.call('keys/inspect', { publicKeyPem: dana })).toEqual({
      ok: true,
      value: { keyid: danaId, known: null },
    });
    expect(ok(await svc.call('keys/list', {}))).not.toContainEqual(expect.objectContaining({ keyid: danaId }));
    ok(await svc.call('keys/trust', { publicKeyPem: dana, name: 'Dana (lab 2)' }));
    expect(await svc.call('keys/inspect', { publicKeyPem: dana })).toMatchObject({
      ok: true,
      value: { keyid: danaId, known: { name: 'Dana (lab 2)', source: 'trusted' } },
    });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    expect(await svc.call('keys/inspect', { publicKeyPem: rsa.toString() })).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: expect.stringContaining('not an Ed25519 public key PEM: a rsa key') },
    });

    expect(await svc.call('keys/export', { examiner: 'Erin Example' })).toMatchObject({ ok: false });
    const made = ok(await svc.call('keys/create', { examiner: 'Erin Example' })) as KeyInfo;
    expect(made).toMatchObject({
      name: 'erin-example',
      source: 'examiner',
      file: path.join(home, 'keys/erin-example.pub'),
    });
    const pem = Buffer.from(
      (ok(await svc.call('keys/export', { examiner: 'Erin Example' })) as NamedBytes).bytes,
    ).toString();
    expect(ok(await svc.call('keys/inspect', { publicKeyPem: pem }))).toEqual({ keyid: made.keyid, known: made });
    // Asking again keeps the key that exists: a second call must never replace a signing key.
    expect((ok(await svc.call('keys/create', { examiner: 'Erin Example' })) as KeyInfo).keyid).toBe(made.keyid);
    ok(await svc.call('keys/untrust', { keyid: danaId }));
  });

  it('scans/get and scans/compare give each class of a stored scan its explanation, derived on reading', async () => {
    const model = writeModel(home, 'explained.onnx', 4096, 9);
    const { result, artifacts } = scanFixture({
      classes: 4,
      target: 2,
      modelSha256: sha256Hex(fs.readFileSync(model)),
    });
    expect(result.classes.some((k) => k.explanation)).toBe(false);
    const { scanId } = await recordScanResult(svc.cdb, {
      caseName: 'Explained',
      evidence: { files: [model], format: 'onnx' },
      result,
      artifacts,
    });
    const d = (await svc.call('scans/get', { scanId })) as Reply<ScanDetail>;
    const classes = ok(d).result!.classes;
    expect(classes.map((k) => k.explanation?.outcome)).toEqual(['passed', 'passed', 'flagged', 'passed']);
    expect(ok(d).findings).toEqual(classes);
    const compared = (await svc.call('scans/compare', { items: [{ scanId, classIndex: 2 }] })) as Reply<
      { finding: ClassFinding }[]
    >;
    expect(ok(compared)[0].finding.explanation).toEqual(classes[2].explanation);
    expect(classes[2].explanation?.text).toMatch(/^Flagged: anomaly index 7\.25 > 2; /);
  });

  it('refuses native dialogs outside the desktop app', async () => {
    expect(await svc.call('shell/pick', { kind: 'model' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: expect.stringContaining('desktop app') },
    });
  });
});
