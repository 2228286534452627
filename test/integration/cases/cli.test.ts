import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../../src/main/cli/command.ts';
import { cases } from '../../../src/main/cli/commands/cases.ts';
import { report } from '../../../src/main/cli/commands/report.ts';
import { verify } from '../../../src/main/cli/commands/verify.ts';
import { openCaseDb } from '../../../src/main/cases/db.ts';
import { recordScanResult } from '../../fixtures/reports/record-fixture.ts';
import { sha256Hex } from '../../../src/main/engine/digest.ts';
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
  const { result, artifacts } = scanFixture({ classes: 4, stamped: 1, target: 1, modelSha256: sha256Hex(fs.readFileSync(model)) });
  ({ scanId } = await recordScanResult(cdb, { caseName: 'CLI case', evidence: { files: [model] }, result, artifacts, examiner: 'Bob' }));
  cdb.sql.close();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('uma cases / report / verify', () => {
  it('cases lists cases, evidence and scans, as text and JSON', async () => {
    const t = io();
    expect(await cases.run(['--db', db], t)).toBe(0);
    expect(t.lines[0]).toMatch(/^case 1 {2}CLI case {2}examiner Bob/);
    expect(t.lines[1]).toContain(`sha256 ${sha256Hex(fs.readFileSync(model))}`);
    expect(t.lines[2]).toMatch(/scan 1 {2}evidence 1 {2}uma {2}completed {2}trojaned {2}score 7\.25 {2}target 1 \(automobile\)/);
    const j = io();
    expect(await cases.run(['--db', db, '--json'], j)).toBe(0);
    const parsed = JSON.parse(j.lines.join('\n'));
    expect(parsed[0].scans[0]).toMatchObject({ id: scanId, status: 'completed', verdict: 'trojaned', target: 1, targetName: 'automobile' });
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
    expect(v.lines.filter((l) => l.startsWith('PASS'))).toHaveLength(15);
    expect(v.lines.at(-1)).toMatch(/^VERIFIED {2}.*scan 1, verdict trojaned, suspected target 1 \(automobile\); signed by Bob/);
    await expect(report.run(['99', '--out', out, '--db', db, '--no-pdf'], io())).rejects.toThrow(/no scan with id 99/);
    await expect(report.run(['1', '--out', out, '--db', path.join(dir, 'none.sqlite')], io())).rejects.toThrow(/no case database/);
  });

  it('the real `uma verify` exits 1 and names the failing checks for a tampered archive', () => {
    const out = path.join(dir, 'exports', 'scan1.zip');
    const bag = unzipBag(new Uint8Array(fs.readFileSync(out)));
    const png = new Uint8Array(bag.get('data/triggers/class-1-mask.png')!);
    png[png.length - 20] ^= 0x10;
    bag.set('data/triggers/class-1-mask.png', png);
    const bad = path.join(dir, 'tampered.zip');
    fs.writeFileSync(bad, zipBag(bag));
    const run = spawnSync(process.execPath, ['bin/uma.mjs', 'verify', bad], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^FAIL {2}manifest +data\/triggers\/class-1-mask\.png does not match its digest$/m);
    expect(run.stdout).toMatch(/^FAIL {2}triggers +data\/triggers\/class-1-mask\.png does not match the signed digest$/m);
    expect(run.stdout).toMatch(/NOT VERIFIED .*: 2 check\(s\) failed: manifest, triggers/);
  });
});
