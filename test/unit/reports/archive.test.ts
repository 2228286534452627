import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  verifyArchive as verifyWith,
  type Verification,
  type VerifyOptions,
} from '../../../src/main/reports/verify.ts';
import { trustedKeys } from '../../../src/main/reports/trust.ts';
import { unzipBag, zipBag, BAGIT_TXT, type BagFiles } from '../../../src/main/reports/bagit.ts';
import { examinerKey } from '../../../src/main/reports/keys.ts';
import { decodeBase64Strict, serializeEnvelope, type DsseEnvelope } from '../../../src/main/reports/dsse.ts';
import { listReports } from '../../../src/main/cases/reports.ts';
import { listAudit, verifyAuditLog } from '../../../src/main/cases/audit.ts';
import { storedFiles, getEvidence } from '../../../src/main/cases/evidence.ts';
import { exportScanArchive } from '../../../src/main/reports/export.ts';
import { sha256Hex } from '../../../src/main/util/digest.ts';
import { mulberry32 } from '../../../src/main/engine/random.ts';
import { exportedScan, flipped, positions, remanifest, type Exported } from './archive-helpers.ts';
import { scanFixture, tempDir, writeModel } from '../../fixtures/reports/scan-fixture.ts';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { recordScanResult } from '../../fixtures/reports/record-fixture.ts';
import { explainClass } from '../../../src/shared/class-explanation.ts';
import type { ScanResult } from '../../../src/shared/results.ts';
import { escapeHtml } from '../../../src/main/reports/escape.ts';

let x: Exported;
let bag: BagFiles;
beforeAll(async () => {
  x = await exportedScan();
  bag = unzipBag(x.zip);
});
afterAll(() => {
  x.cdb.sql.close();
  fs.rmSync(x.dir, { recursive: true, force: true });
});

/** Verification trusting the workstation's keys (the signer, Alice), unless told otherwise. */
const verifyArchive = (zip: Uint8Array, opts: VerifyOptions = {}): Promise<Verification> =>
  verifyWith(zip, { trusted: trustedKeys(x.cdb.paths), ...opts });
const failed = (v: Verification): string[] => v.checks.filter((c) => c.status === 'fail').map((c) => c.name);
const ENV = 'data/attestation.intoto.json';

describe('signed archive', () => {
  it('has the BagIt layout with the envelope, key, findings and triggers', () => {
    const names = [...bag.keys()].sort();
    expect(names).toEqual(
      [
        'bag-info.txt',
        'bagit.txt',
        ENV,
        'data/findings.json',
        `data/keys/${x.archive.keyid}.pub`,
        'data/report.html',
        ...[0, 1, 2, 3]
          .flatMap((k) => [
            `data/triggers/class-${k}-mask.png`,
            `data/triggers/class-${k}-pattern.png`,
            `data/triggers/class-${k}-stamped-0.png`,
          ])
          .sort(),
        'manifest-sha256.txt',
        'tagmanifest-sha256.txt',
      ].sort(),
    );
    expect(Buffer.from(bag.get('bagit.txt')!).toString()).toBe(BAGIT_TXT);
    expect(Buffer.from(bag.get('bag-info.txt')!).toString()).toMatch(/UMA-Report-PDF: omitted: not requested\n/);
    const env = JSON.parse(Buffer.from(bag.get(ENV)!).toString()) as DsseEnvelope;
    expect(env.payloadType).toBe('application/vnd.in-toto+json');
    const st = JSON.parse(decodeBase64Strict(env.payload)!.toString());
    expect(st._type).toBe('https://in-toto.io/Statement/v1');
    expect(st.predicateType).toBe('https://uma-workstation.dev/scan/v1');
    expect(st.subject).toEqual([{ name: 'suspect.onnx', digest: { sha256: sha256Hex(fs.readFileSync(x.model)) } }]);
    const p = st.predicate;
    expect(p).toMatchObject({
      verdict: 'trojaned',
      target: 2,
      targetName: 'bird',
      method: 'uma',
      seed: 1234,
      backend: 'wasm',
      examiner: { name: 'Alice Example', keyid: x.archive.keyid },
    });
    expect(p.integrity).toMatchObject({
      expected: { match: 'match', source: 'vendor email' },
      beforeScan: { ok: true },
      beforeSigning: { ok: true },
    });
    expect(p.classes[2].triggers.map((t: { path: string }) => t.path)).toEqual([
      'triggers/class-2-mask.png',
      'triggers/class-2-pattern.png',
      'triggers/class-2-stamped-0.png',
    ]);
    expect(p.findings.sha256).toBe(sha256Hex(bag.get('data/findings.json')!));
    expect(p.documents).toEqual([{ path: 'report.html', sha256: sha256Hex(bag.get('data/report.html')!) }]);
    expect(JSON.parse(Buffer.from(bag.get('data/findings.json')!).toString()).classes).toHaveLength(4);
  });

  it("signs each class's explanation, derived from a scan recorded without one, and the report states it", () => {
    const p = x.archive.statement.predicate;
    const findings = JSON.parse(Buffer.from(bag.get('data/findings.json')!).toString()) as ScanResult;
    const html = Buffer.from(bag.get('data/report.html')!).toString('utf8');
    expect(p.classes.map((c) => c.explanation.outcome)).toEqual(['passed', 'passed', 'flagged', 'passed']);
    for (const c of p.classes) {
      expect(c.explanation).toEqual(explainClass(c, findings));
      expect(findings.classes[c.index].explanation).toEqual(c.explanation);
      expect(html).toContain(`<b>Class ${c.index} (${c.name})</b>: ${escapeHtml(c.explanation.text)}</li>`);
    }
    expect(p.classes[2].explanation.text).toMatch(/^Flagged: anomaly index 23\.01 > 2; /);
    expect(html).toContain('<th>outcome</th>');
    expect(html.match(/<span class="bad">flagged<\/span>/g)).toHaveLength(1);
  });

  it('records the report, its audit head, and the re-hash before signing', () => {
    const [rep] = listReports(x.cdb, x.scanId);
    expect(rep).toMatchObject({
      keyid: x.archive.keyid,
      envelopeSha256: sha256Hex(bag.get(ENV)!),
      auditHead: x.archive.statement.predicate.auditLog,
    });
    const actions = listAudit(x.cdb).map((e) => e.action);
    expect(actions.slice(-3)).toEqual(['evidence.rehash', 'examiner.key', 'report.export']);
    const log = listAudit(x.cdb);
    expect(log.at(-3)!.details.purpose).toBe('before-signing');
    // The signed head is the last entry before the export's own.
    expect(x.archive.statement.predicate.auditLog).toEqual({ seq: log.at(-2)!.seq, sha256: log.at(-2)!.sha256 });
    expect(verifyAuditLog(x.cdb).ok).toBe(true);
  });

  it('verifies with the model and the trusted key, also after being copied elsewhere', async () => {
    const elsewhere = tempDir('uma-copy-');
    try {
      const copy = path.join(elsewhere, 'evidence-report.zip');
      fs.copyFileSync(x.archive.path, copy);
      const modelCopy = path.join(elsewhere, 'model.onnx');
      fs.copyFileSync(x.model, modelCopy);
      const trust = fs.readFileSync(examinerKey(x.cdb.paths.keysDir, 'Alice Example').pubFile, 'utf8');
      const v = await verifyArchive(new Uint8Array(fs.readFileSync(copy)), {
        model: modelCopy,
        trusted: [{ name: 'Alice', publicKeyPem: trust }],
      });
      expect(failed(v)).toEqual([]);
      expect(v.ok).toBe(true);
      expect(v.checks.map((c) => [c.name, c.status])).toEqual([
        ['zip', 'pass'],
        ['bagit', 'pass'],
        ['manifest', 'pass'],
        ['complete', 'pass'],
        ['tagmanifest', 'pass'],
        ['envelope', 'pass'],
        ['signature', 'pass'],
        ['trusted-key', 'pass'],
        ['payload-type', 'pass'],
        ['statement', 'pass'],
        ['parameters', 'pass'],
        ['calibration', 'skip'],
        ['verdict', 'pass'],
        ['triggers', 'pass'],
        ['documents', 'pass'],
        ['bag-info', 'pass'],
        ['findings', 'pass'],
        ['model', 'pass'],
      ]);
      expect(v).toMatchObject({ status: 'verified', signer: { keyid: x.archive.keyid, trustedAs: 'Alice' } });
      const plain = await verifyWith(new Uint8Array(fs.readFileSync(copy)));
      expect(plain).toMatchObject({
        ok: false,
        status: 'untrusted',
        signer: { keyid: x.archive.keyid, trustedAs: null },
      });
      expect(failed(plain)).toEqual(['trusted-key']);
      expect(plain.checks.filter((c) => c.status === 'skip').map((c) => c.name)).toEqual(['calibration', 'model']);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('fails for another model, an untrusted key, or a non-zip', async () => {
    const other = new Uint8Array(fs.readFileSync(x.model));
    other[0] ^= 1;
    expect(failed(await verifyArchive(x.zip, { model: other }))).toEqual(['model']);
    const mallory = examinerKey(path.join(x.dir, 'other-keys'), 'mallory').publicKeyPem;
    const byMallory = await verifyArchive(x.zip, { trusted: [{ name: 'mallory', publicKeyPem: mallory }] });
    expect(failed(byMallory)).toEqual(['trusted-key']);
    expect(byMallory.status).toBe('untrusted');
    expect(failed(await verifyArchive(new Uint8Array([80, 75, 3, 4, 1, 2, 3])))).toEqual(['zip']);
    expect(failed(await verifyArchive(x.zip.slice(0, x.zip.length - 30)))).toEqual(['zip']);
  });

  it('an added or removed file fails', async () => {
    const added = new Map(bag).set('data/triggers/class-9-mask.png', bag.get('data/triggers/class-0-mask.png')!);
    expect(failed(await verifyArchive(zipBag(added)))).toEqual(expect.arrayContaining(['complete', 'triggers']));
    expect(failed(await verifyArchive(zipBag(remanifest(added))))).toEqual(['triggers']);
    const removed = new Map(bag);
    removed.delete('data/triggers/class-1-pattern.png');
    expect(failed(await verifyArchive(zipBag(removed)))).toEqual(expect.arrayContaining(['manifest', 'triggers']));
    expect(failed(await verifyArchive(zipBag(remanifest(removed))))).toEqual(['triggers']);
    // Any other payload file must be signed as well, a report.pdf slipped in included.
    for (const stray of ['data/report.pdf', 'data/notes.txt', 'data/keys/other.pub']) {
      const v = await verifyArchive(zipBag(remanifest(new Map(bag).set(stray, Buffer.from('%PDF-1.7 forged')))));
      expect(failed(v), stray).toEqual(['documents']);
      expect(v.checks.find((c) => c.name === 'documents')!.detail).toContain(
        `${stray} is not covered by the signature`,
      );
    }
    const noHtml = new Map(bag);
    noHtml.delete('data/report.html');
    expect(failed(await verifyArchive(zipBag(remanifest(noHtml))))).toEqual(['documents']);
  });

  // A seeded sample of positions and flip masks; every single-byte change must fail verification.
  const rand = mulberry32(20261124);
  const mask = (): number => 1 + Math.floor(rand() * 255);
  const targets: [string, (b: BagFiles) => Uint8Array, (b: BagFiles, bytes: Uint8Array) => BagFiles][] = [
    ['the envelope', (b) => b.get(ENV)!, (b, v) => new Map(b).set(ENV, v)],
    [
      'the statement payload',
      (b) => decodeBase64Strict((JSON.parse(Buffer.from(b.get(ENV)!).toString()) as DsseEnvelope).payload)!,
      (b, v) => {
        const env = JSON.parse(Buffer.from(b.get(ENV)!).toString()) as DsseEnvelope;
        return new Map(b).set(
          ENV,
          Buffer.from(serializeEnvelope({ ...env, payload: Buffer.from(v).toString('base64') })),
        );
      },
    ],
    [
      'a trigger PNG',
      (b) => b.get('data/triggers/class-2-pattern.png')!,
      (b, v) => new Map(b).set('data/triggers/class-2-pattern.png', v),
    ],
    ['findings.json', (b) => b.get('data/findings.json')!, (b, v) => new Map(b).set('data/findings.json', v)],
    ['report.html', (b) => b.get('data/report.html')!, (b, v) => new Map(b).set('data/report.html', v)],
    ['the manifest', (b) => b.get('manifest-sha256.txt')!, (b, v) => new Map(b).set('manifest-sha256.txt', v)],
  ];
  for (const [what, get, put] of targets) {
    it(`every flipped byte of ${what} fails verification, also with the manifests recomputed`, async () => {
      const original = get(bag);
      const at = positions(original.length, 240, rand);
      expect(at.length).toBeGreaterThanOrEqual(Math.min(original.length, 200));
      for (const pos of at) {
        const m = mask();
        const tampered = put(bag, flipped(original, pos, m));
        const v = await verifyArchive(zipBag(tampered));
        expect(v.ok, `${what} byte ${pos} ^ ${m}`).toBe(false);
        if (what === 'the manifest') continue; // recomputing it would undo the change
        const forged = await verifyArchive(zipBag(remanifest(tampered)));
        expect(forged.ok, `${what} byte ${pos} ^ ${m} with manifests recomputed`).toBe(false);
        expect(failed(forged)).not.toContain('manifest');
      }
    });
  }

  it('every flipped byte of the zip container fails: headers, directory, CRCs and content', async () => {
    const rand2 = mulberry32(7);
    // All of the first local header and the central directory + end record, and a seeded sample elsewhere.
    const cdStart = x.zip.length - 22 - new DataView(x.zip.buffer, x.zip.byteOffset).getUint32(x.zip.length - 10, true);
    const at = new Set<number>([
      ...Array(120).keys(),
      ...Array.from({ length: x.zip.length - cdStart }, (_, i) => cdStart + i),
      ...positions(x.zip.length, 300, rand2),
    ]);
    for (const pos of at) {
      const v = await verifyArchive(flipped(x.zip, pos, 1 + Math.floor(rand2() * 255)));
      expect(v.ok, `zip byte ${pos}`).toBe(false);
    }
    expect(at.size).toBeGreaterThan(1000);
    // Over a thousand whole verifications: 50 s on two cores beside a scan, 68 s with other test files too (2026-12-08).
  }, 180_000);

  it('the same files zipped another way (deflated) fail only the container check', async () => {
    const { zipSync } = await import('fflate');
    const z: Record<string, Uint8Array> = {};
    for (const [p, b] of bag) z[p] = b;
    const v = await verifyArchive(zipSync(z, { level: 6 }));
    expect(failed(v)).toEqual(['zip']);
    expect(v.checks[0].detail).toMatch(/not stored uncompressed/);
  });

  it('a multi-file model has one subject per file; --model matches any of them', async () => {
    const dir = tempDir('uma-multi-');
    const cdb = openCaseDb({ path: path.join(dir, 'cases.sqlite'), actor: 'tester' });
    try {
      const files = [writeModel(dir, 'model.json', 400, 11), writeModel(dir, 'group1-shard1of1.bin', 3000, 12)];
      const { result, artifacts } = scanFixture({
        classes: 2,
        target: 0,
        stamped: 0,
        modelSha256: 'engine-defined',
        scored: true,
      });
      const { scanId } = await recordScanResult(cdb, {
        caseName: 'tfjs',
        evidence: { files, format: 'tfjs-layers' },
        result,
        artifacts,
      });
      const out = await exportScanArchive(cdb, scanId, path.join(dir, 'r.zip'), { pdf: false });
      expect(out.statement.subject.map((s) => s.name)).toEqual(['model.json', 'group1-shard1of1.bin']);
      const zip = new Uint8Array(fs.readFileSync(out.path));
      expect((await verifyArchive(zip, { model: files[1], trusted: trustedKeys(cdb.paths) })).ok).toBe(true);
      expect(failed(await verifyArchive(zip, { model: x.model, trusted: trustedKeys(cdb.paths) }))).toEqual(['model']);
    } finally {
      cdb.sql.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to sign when the evidence changed since intake, and audits it', async () => {
    const ev = getEvidence(x.cdb, 1);
    const file = storedFiles(x.cdb, ev)[0];
    const saved = fs.readFileSync(file);
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, flipped(saved, 100, 0x40));
    try {
      await expect(
        exportScanArchive(x.cdb, x.scanId, path.join(x.dir, 'out', 'again.zip'), { pdf: false }),
      ).rejects.toThrow(/no longer matches its intake hash/);
      expect(fs.existsSync(path.join(x.dir, 'out', 'again.zip'))).toBe(false);
      expect(listAudit(x.cdb).at(-1)).toMatchObject({
        action: 'evidence.integrity-failure',
        details: { purpose: 'before-signing' },
      });
    } finally {
      fs.writeFileSync(file, saved);
      fs.chmodSync(file, 0o444);
    }
  });
});
