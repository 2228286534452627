import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../../src/main/cli/command.ts';
import { cases } from '../../../src/main/cli/commands/cases.ts';
import { report } from '../../../src/main/cli/commands/report.ts';
import { verify } from '../../../src/main/cli/commands/verify.ts';
import { keys } from '../../../src/main/cli/commands/keys.ts';
import { audit } from '../../../src/main/cli/commands/audit.ts';
import Database from 'better-sqlite3';
import { examinerKey } from '../../../src/main/reports/keys.ts';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { recordScanResult } from '../../fixtures/reports/record-fixture.ts';
import { sha256Hex } from '../../../src/main/util/digest.ts';
import { unzipBag, zipBag } from '../../../src/main/reports/bagit.ts';
import { scanFixture, tempDir, writeModel } from '../../fixtures/reports/scan-fixture.ts';

function io(): CliIO & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`), isTTY: false };
}

let dir: string;
let db: string;
let model: string;
let scanId: number;
beforeAll(async () => {
  dir = tempDir('uma-cli-');
  db = path.join(dir, 'home', 'cases.sqlite');
  model = writeModel(dir, 'suspect.onnx', 5000, 9);
  const cdb = openCaseDb({ path: db, actor: 'tester' });
  const { result, artifacts } = scanFixture({
    classes: 4,
    stamped: 1,
    target: 1,
    modelSha256: sha256Hex(fs.readFileSync(model)),
    scored: true,
  });
  ({ scanId } = await recordScanResult(cdb, {
    caseName: 'CLI case',
    evidence: { files: [model] },
    result,
    artifacts,
    examiner: 'Bob',
  }));
  cdb.sql.close();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('uma cases / report / verify', () => {
  it('cases lists cases, evidence and scans, as text and JSON', async () => {
    const t = io();
    expect(await cases.run(['--db', db], t)).toBe(0);
    expect(t.lines[0]).toMatch(/^case 1 {2}CLI case {2}examiner Bob/);
    expect(t.lines[1]).toContain(`sha256 ${sha256Hex(fs.readFileSync(model))}`);
    expect(t.lines[2]).toMatch(
      /scan 1 {2}evidence 1 {2}uma {2}completed {2}trojaned {2}score 23\.01 {2}target 1 \(automobile\)/,
    );
    expect(t.lines.at(-1)).toMatch(/^audit log: \d+ entries, chain intact, head \d+ anchored$/);
    const j = io();
    expect(await cases.run(['--db', db, '--json'], j)).toBe(0);
    const parsed = JSON.parse(j.lines.join('\n'));
    expect(parsed[0].scans[0]).toMatchObject({
      id: scanId,
      status: 'completed',
      verdict: 'trojaned',
      target: 1,
      targetName: 'automobile',
    });
    const none = io();
    expect(await cases.run(['--db', path.join(dir, 'nothing.sqlite')], none)).toBe(0);
    expect(none.lines[0]).toMatch(/no cases: there is no case database/);
    expect(fs.existsSync(path.join(dir, 'nothing.sqlite'))).toBe(false);
  });

  it('report exports a signed archive that verify passes, with the model and the trusted key', async () => {
    const out = path.join(dir, 'exports', 'scan1.zip');
    const r = io();
    expect(await report.run([String(scanId), '--out', out, '--db', db, '--no-pdf'], r)).toBe(0);
    expect(r.lines[0]).toBe(`wrote ${out}`);
    const pub = path.join(dir, 'home', 'keys', 'bob.pub');
    expect(r.lines.at(-1)).toContain(`--trust ${pub}`);
    const v = io();
    expect(await verify.run([out, '--model', model, '--trust', pub], v)).toBe(0);
    expect(v.lines.filter((l) => l.startsWith('PASS'))).toHaveLength(17); // every check but calibration (skip)
    expect(await verify.run([out, '--db', db], io())).toBe(0); // Bob's key is this workstation's own
    expect(v.lines.at(-1)).toMatch(
      /^VERIFIED {2}.*scan 1, verdict trojaned, suspected target 1 \(automobile\); signed by Bob/,
    );
    await expect(report.run(['99', '--out', out, '--db', db, '--no-pdf'], io())).rejects.toThrow(/no scan with id 99/);
    await expect(report.run(['1', '--out', out, '--db', path.join(dir, 'none.sqlite')], io())).rejects.toThrow(
      /no case database/,
    );
  });

  it('the real `uma verify` exits 1 and names the failing checks for a tampered archive', () => {
    const out = path.join(dir, 'exports', 'scan1.zip');
    const bag = unzipBag(new Uint8Array(fs.readFileSync(out)));
    const png = new Uint8Array(bag.get('data/triggers/class-1-mask.png')!);
    png[png.length - 20] ^= 0x10;
    bag.set('data/triggers/class-1-mask.png', png);
    const bad = path.join(dir, 'tampered.zip');
    fs.writeFileSync(bad, zipBag(bag));
    const run = spawnSync(process.execPath, ['bin/uma.mjs', 'verify', bad, '--db', db], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^FAIL {2}manifest +data\/triggers\/class-1-mask\.png does not match its digest$/m);
    expect(run.stdout).toMatch(
      /^FAIL {2}triggers +data\/triggers\/class-1-mask\.png does not match the signed digest$/m,
    );
    expect(run.stdout).toMatch(/NOT VERIFIED .*: 2 check\(s\) failed: manifest, triggers/);
  });

  it('keys lists, exports, trusts and untrusts; verify trusts what the store holds', async () => {
    const l = io();
    expect(await keys.run(['list', '--db', db], l)).toBe(0);
    const bob = examinerKey(path.join(dir, 'home', 'keys'), 'Bob');
    expect(l.lines).toEqual([`bob  examiner  ${bob.keyid}  ${bob.pubFile}`]);
    const e = io();
    expect(await keys.run(['export', 'Bob', '--db', db], e)).toBe(0);
    expect(`${e.lines.join('\n')}\n`).toBe(bob.publicKeyPem);
    const byId = io();
    expect(await keys.run(['export', bob.keyid.slice(0, 12), '--db', db], byId)).toBe(0);
    expect(byId.lines).toEqual(e.lines);

    const carol = examinerKey(path.join(dir, 'carol-keys'), 'Carol');
    expect(await keys.run(['trust', carol.pubFile, '--name', 'Carol (lab 2)', '--db', db], io())).toBe(0);
    const j = io();
    expect(await keys.run(['list', '--db', db, '--json'], j)).toBe(0);
    expect(JSON.parse(j.lines.join('\n'))).toMatchObject([
      { name: 'bob', source: 'examiner' },
      { name: 'Carol (lab 2)', source: 'trusted', keyid: carol.keyid },
    ]);
    await expect(keys.run(['untrust', bob.keyid, '--db', db], io())).rejects.toThrow(/examiner 'bob''s own key/);
    expect(await keys.run(['untrust', carol.keyid.slice(0, 10), '--db', db], io())).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'home', 'trusted-keys.json'), 'utf8')).keys).toEqual([]);
    await expect(keys.run(['untrust', carol.keyid, '--db', db], io())).rejects.toThrow(/no trusted key/);
    await expect(keys.run(['trust', carol.pubFile, '--db', db], io())).rejects.toThrow(/--name NAME is required/);
    await expect(keys.run(['trust', model, '--name', 'x', '--db', db], io())).rejects.toThrow(
      /not an Ed25519 public key PEM/,
    );
    await expect(keys.run(['export', 'Nobody', '--db', db], io())).rejects.toThrow(/no key for 'Nobody'/);
    await expect(keys.run(['rotate', '--db', db], io())).rejects.toThrow(/needs an action/);
  });

  it('audit verifies the chain and prints the entries; the newest entry deleted is a break (exit 1), shown by cases too', async () => {
    const a = io();
    expect(await audit.run(['--db', db], a)).toBe(0);
    expect(a.lines[0]).toMatch(/^ *1 {2}\S+ {2}tester {2}examiner\.create {2}examiner:1 {2}\{"name":"Bob"\}$/);
    expect(a.lines.at(-1)).toMatch(/^audit log: \d+ entries, chain intact, head \d+ anchored {2}\(/);
    const all = a.lines.length - 1;
    const c = io();
    expect(await audit.run(['--db', db, '--case', '1'], c)).toBe(0);
    expect(c.lines.length - 1).toBeGreaterThan(3);
    expect(c.lines.slice(0, -1).every((l) => / (case:1|evidence:1|scan:1|note:\d+) /.test(l))).toBe(true);
    expect(c.lines.length - 1).toBeLessThan(all);
    await expect(audit.run(['--db', db, '--case', '7'], io())).rejects.toThrow(/no case with id 7/);
    await expect(audit.run(['--db', db, '--case', 'x'], io())).rejects.toThrow(/not a case id/);

    // Someone with the sqlite3 shell deletes the newest entry (the append-only trigger dropped first).
    const raw = new Database(db);
    const newest = (raw.prepare('SELECT max(seq) AS n FROM audit_log').get() as { n: number }).n;
    raw.exec('DROP TRIGGER audit_log_no_delete');
    raw.exec(`DELETE FROM audit_log WHERE seq = ${newest}`);
    raw.close();
    const b = io();
    expect(await audit.run(['--db', db], b)).toBe(1);
    expect(b.lines.at(-1)).toMatch(
      new RegExp(`^audit log: BROKEN at entry ${newest}: entries ${newest}\\.\\.${newest} are gone`),
    );
    const t = io();
    expect(await cases.run(['--db', db], t)).toBe(0);
    expect(t.lines.at(-1)).toMatch(new RegExp(`^audit log: BROKEN at entry ${newest}`));
    const run = spawnSync(process.execPath, ['bin/uma.mjs', 'audit', '--db', db], { encoding: 'utf8' });
    expect(run.status).toBe(1);
  });
});
