/**
 * `uma scan W.h5 --architecture A.json` end to end on a small real Keras pair (the bundled demo model
 * rewritten as a weights-only H5 plus its architecture JSON): both files are one evidence item of the
 * case, each hashed; the signed report names both as subjects and which one is the architecture; and a
 * scan stopped midway resumes with `uma resume`, which re-hashes both stored copies first (a changed
 * architecture refuses the resume by name) and loads the model from both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/main/cli/index.ts';
import { listAudit } from '../../../src/main/cases/audit.ts';
import { getEvidence } from '../../../src/main/cases/evidence.ts';
import { getClassFindings } from '../../../src/main/cases/findings.ts';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { dataPaths } from '../../../src/main/cases/paths.ts';
import { getScan } from '../../../src/main/cases/scans.ts';
import { verifyArchive } from '../../../src/main/reports/verify.ts';
import { trustedKeys } from '../../../src/main/reports/trust.ts';
import { startService } from '../../../src/main/service/index.ts';
import { memoryClient } from '../../../src/main/transport/memory.ts';
import { combinedDigest, sha256Hex } from '../../../src/main/util/digest.ts';
import { writeDemoWeightsOnly, type KerasPair } from '../../fixtures/keras/demo-weights-only.ts';
import { tempDir } from '../../fixtures/reports/scan-fixture.ts';
import { isType, ok, record, TINY } from '../service/helpers.ts';
import { TINY_SCAN_ARGS } from './tiny-scan-args.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), isTTY: false }, out, err };
}

let dir: string;
let pair: KerasPair;
const sha = (p: string) => sha256Hex(fs.readFileSync(p));
/** The evidence digest of the pair: the sha256 of both files' sha256sum listing. */
const pairDigest = () =>
  combinedDigest([
    { name: 'demo-weights.h5', sha256: sha(pair.weights) },
    { name: 'demo-weights-architecture.json', sha256: sha(pair.architecture) },
  ]);

beforeAll(async () => {
  dir = tempDir('uma-keras-arch-');
  pair = await writeDemoWeightsOnly(dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('uma scan with --architecture', () => {
  it('records weights and architecture as one evidence item and signs a report naming both', async () => {
    const db = path.join(dir, 'scan', 'cases.sqlite');
    const zip = path.join(dir, 'r.zip');
    const c = capture();
    const args = ['scan', pair.weights, '--architecture', pair.architecture, '--data', 'demo', ...TINY_SCAN_ARGS];
    const case_ = ['--workers', '2', '--case', 'Keras', '--db', db, '--report', zip, '--examiner', 'Test Examiner'];
    expect(await main([...args, ...case_], c.io)).toBe(0);
    const digest = pairDigest();
    expect(c.err).toContain(`evidence 1 in case 'Keras': sha256 ${digest}`);
    expect(c.err).toContain(
      `  with architecture demo-weights-architecture.json sha256 ${sha(pair.architecture)} (weights ${sha(pair.weights)})`,
    );

    const cdb = openCaseDb({ path: db });
    expect(getEvidence(cdb, 1).files.map((f) => [f.name, f.role, f.sha256])).toEqual([
      ['demo-weights.h5', 'model', sha(pair.weights)],
      ['demo-weights-architecture.json', 'architecture', sha(pair.architecture)],
    ]);
    expect(getScan(cdb, 1)).toMatchObject({ status: 'completed', evidenceId: 1, prescanSha256: digest });
    cdb.sql.close();
    const cases = capture();
    expect(await main(['cases', '--db', db], cases.io)).toBe(0);
    expect(cases.out).toContain(
      `    with architecture demo-weights-architecture.json  sha256 ${sha(pair.architecture)}`,
    );

    const bytes = new Uint8Array(fs.readFileSync(zip));
    const v = await verifyArchive(bytes, { model: pair.weights, trusted: trustedKeys(dataPaths(db)) });
    expect(v.checks.filter((k) => k.status === 'fail')).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.checks.find((k) => k.name === 'model')?.detail).toMatch(/the model is the subject demo-weights\.h5/);
    expect(v.statement?.subject).toEqual([
      { name: 'demo-weights.h5', digest: { sha256: sha(pair.weights) } },
      { name: 'demo-weights-architecture.json', digest: { sha256: sha(pair.architecture) } },
    ]);
    expect(v.statement?.predicate.evidence).toMatchObject({
      sha256: digest,
      format: 'keras',
      architecture: 'demo-weights-architecture.json',
    });
    const html = Buffer.from(unzipSync(bytes)['data/report.html']).toString('utf8');
    expect(html).toMatch(/demo-weights-architecture\.json<\/td><td>architecture \(given beside the weights\)/);
    expect(html).toContain('--model demo-weights.h5');
  }, 240_000);

  it('uma inspect with --architecture prints the evidence digest uma scan records for the pair', async () => {
    const c = capture();
    const args = ['inspect', pair.weights, '--architecture', pair.architecture, '--json', '-', '--backend', 'wasm'];
    expect(await main(args, c.io)).toBe(0);
    const report = JSON.parse(c.out.join('\n')) as { sha256: string; format: string };
    expect(report).toMatchObject({
      format: 'keras',
      sha256: pairDigest(),
    });
  });

  it('exits 2 naming the problem: no architecture for a weights-only file, one for another format, a bad one', async () => {
    const garbled = path.join(dir, 'garbled.json');
    fs.writeFileSync(garbled, '{"class_name": ');
    const cases: [string[], RegExp][] = [
      [[pair.weights], /weights-only file \(no model_config\); give its architecture JSON with --architecture/],
      [
        ['demo', '--architecture', pair.architecture],
        /an architecture file applies to Keras weights-only H5 files only/,
      ],
      [[pair.weights, '--architecture', path.join(dir, 'absent.json')], /absent\.json: no such architecture file/],
      [[pair.weights, '--architecture', garbled], /architecture file .*garbled\.json: not JSON/],
    ];
    for (const [args, message] of cases) {
      const c = capture();
      expect(await main(['scan', ...args, '--data', 'demo', '--backend', 'wasm'], c.io)).toBe(2);
      expect(c.err.join('\n')).toMatch(message);
    }
  });

  it('resumes a stopped scan only after both stored files re-hash to their intake digests', async () => {
    const db = path.join(dir, 'resume', 'cases.sqlite');
    // A scan started through the service and stopped after its first class: the service closing
    // midway leaves it interrupted, as a killed `uma scan` does.
    const svc = await startService({ dbPath: db, host: 'memory', pdf: false });
    const { api } = memoryClient(svc);
    const events = record(api);
    const kase = ok(await api['cases/create']({ name: 'Keras resume' }));
    const ev = ok(
      await api['evidence/add']({
        caseId: kase.id,
        source: { kind: 'path', path: pair.weights },
        architecture: { kind: 'path', path: pair.architecture },
      }),
    );
    const { scanId } = ok(
      await api['scans/start']({
        caseId: kase.id,
        evidenceId: ev.id,
        params: TINY,
        data: { kind: 'demo' },
        workers: 0,
      }),
    );
    await events.next(isType('job/class-result', scanId), 180_000);
    events.stop();
    await svc.close();

    const before = openCaseDb({ path: db });
    expect(getScan(before, scanId).status).toBe('interrupted');
    const kept = getClassFindings(before, scanId).map((f) => f.index);
    expect(kept.length).toBeGreaterThan(0);
    const stored = path.join(dataPaths(db).storeDir, String(ev.id), 'demo-weights-architecture.json');
    before.sql.close();

    // The stored architecture copy changed: the resume is refused, naming it, and nothing is computed.
    const original = fs.readFileSync(stored);
    fs.chmodSync(stored, 0o644);
    fs.writeFileSync(stored, JSON.stringify({ ...pair.config, tampered: true }));
    const refused = capture();
    const resumeArgs = ['resume', '--db', db, '--backend', 'wasm'];
    expect(await main(resumeArgs, refused.io)).toBe(2);
    expect(refused.err.join('\n')).toMatch(
      /architecture file .*demo-weights-architecture\.json no longer matches its intake hash/,
    );

    // Put back: the resume re-hashes both files, loads the pair from the store and completes the scan.
    fs.writeFileSync(stored, original);
    const resumed = capture();
    expect(await main(['resume', String(scanId), '--db', db, '--backend', 'wasm'], resumed.io)).toBe(0);
    expect(resumed.out.join('\n')).toMatch(/^(TROJANED|CLEAN): /m);
    const after = openCaseDb({ path: db });
    expect(getScan(after, scanId).status).toBe('completed');
    expect(getClassFindings(after, scanId).map((f) => f.index)).toEqual(Array.from({ length: 10 }, (_, k) => k));
    const actions = listAudit(after, `evidence:${ev.id}`).map((e) => e.action);
    expect(actions).toContain('evidence.integrity-failure');
    expect(actions.at(-1)).toBe('evidence.rehash');
    after.sql.close();
  }, 300_000);
});
