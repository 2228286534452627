import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { CaseDb } from '../../../src/main/cases/db.ts';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { createCase } from '../../../src/main/cases/cases.ts';
import { intakeEvidence } from '../../../src/main/cases/evidence.ts';
import { getClassFindings } from '../../../src/main/cases/findings.ts';
import { getScan, queueScan, resumePlan } from '../../../src/main/cases/scans.ts';
import { listAudit, verifyAuditLog } from '../../../src/main/cases/audit.ts';
import { listNotes } from '../../../src/main/cases/notes.ts';
import { scanFixture, tempDir, writeModel } from '../../fixtures/reports/scan-fixture.ts';

const WRITER = fileURLToPath(new URL('./class-writer.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function setup(scans: number, classes: number): Promise<{ file: string; ids: number[] }> {
  const dir = tempDir();
  dirs.push(dir);
  const file = path.join(dir, 'cases.sqlite');
  const cdb = openCaseDb({ path: file, actor: 'tester' });
  const ids: number[] = [];
  for (let i = 0; i < scans; i++) {
    const kase = createCase(cdb, { name: `case ${i}` });
    const ev = await intakeEvidence(cdb, { caseId: kase.id, files: [writeModel(dir, `m${i}.onnx`, 2048, i + 1)] });
    const { result } = scanFixture({ classes, modelSha256: ev.sha256 });
    ids.push(
      queueScan(cdb, {
        evidenceId: ev.id,
        method: 'uma',
        params: result.params,
        seed: 1,
        toolVersion: '0.1.0',
        backend: 'wasm',
        classNames: result.classes.map((c) => c.name),
        job: { data: 'demo' },
      }).id,
    );
  }
  cdb.sql.close();
  return { file, ids };
}

function writer(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx/esm', WRITER, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) console.error(err);
      resolve(code);
    }),
  );
  return { child, lines, exited };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

function integrity(file: string): string {
  const raw = new Database(file, { readonly: true });
  const r = raw.pragma('integrity_check', { simple: true }) as string;
  raw.close();
  return r;
}

describe('crash safety (real processes)', () => {
  it('SIGKILL mid-scan: finished classes kept, scan interrupted at next open, resume plan correct', async () => {
    const classes = 12;
    const {
      file,
      ids: [scanId],
    } = await setup(1, classes);
    const w = writer([file, String(scanId), String(classes), '40']);
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (w.lines.includes('class 4')) {
          clearInterval(t);
          w.child.kill('SIGKILL');
          resolve();
        }
      }, 5);
      void w.exited.then((code) => code !== null && reject(new Error(`writer exited early with ${code}`)));
    });
    expect(await w.exited).toBeNull();
    expect(integrity(file)).toBe('ok');

    const cdb: CaseDb = openCaseDb({ path: file, actor: 'tester' });
    const scan = getScan(cdb, scanId);
    expect(scan.status).toBe('interrupted');
    expect(scan.error).toMatch(/stopped while the scan ran/);
    const plan = resumePlan(cdb, scanId);
    // Classes 0..4 were committed before the kill; at most the next one may have landed as well.
    expect(plan.done.length).toBeGreaterThanOrEqual(5);
    expect(plan.done.length).toBeLessThan(classes);
    expect(plan.done).toEqual(Array.from({ length: plan.done.length }, (_, k) => k));
    expect(plan.todo).toEqual(Array.from({ length: classes - plan.done.length }, (_, k) => k + plan.done.length));
    expect(plan.resumable).toBe(true);
    const { result } = scanFixture({ classes, modelSha256: '' });
    expect(getClassFindings(cdb, scanId).map((c) => [c.index, c.asr, c.maskL1])).toEqual(
      result.classes.slice(0, plan.done.length).map((c) => [c.index, c.asr, c.maskL1]),
    );
    const interrupt = listAudit(cdb, `scan:${scanId}`).at(-1)!;
    expect(interrupt).toMatchObject({ action: 'scan.interrupt', actor: 'system' });
    expect(verifyAuditLog(cdb).ok).toBe(true);
    // Opening again does not interrupt it twice.
    cdb.sql.close();
    const again = openCaseDb({ path: file });
    expect(listAudit(again).filter((e) => e.action === 'scan.interrupt')).toHaveLength(1);
    again.sql.close();

    // The resumed scan, run by a fresh process, completes with every class.
    const r = writer([file, String(scanId), String(classes), '0', 'complete']);
    expect(await r.exited).toBe(0);
    expect(r.lines.filter((l) => l.startsWith('class'))).toEqual(plan.todo.map((k) => `class ${k}`));
    const done = openCaseDb({ path: file });
    expect(getScan(done, scanId).status).toBe('completed');
    expect(getClassFindings(done, scanId).map((c) => c.asr)).toEqual(result.classes.map((c) => c.asr));
    expect(verifyAuditLog(done).ok).toBe(true);
    done.sql.close();
  });

  it('two processes writing scans at once do not corrupt the database or the audit chain', async () => {
    const classes = 40;
    const { file, ids } = await setup(2, classes);
    const go = path.join(path.dirname(file), 'go');
    // 25 ms between writes: each writer spends about a second writing, so they overlap even when a
    // loaded machine deschedules one of them for a while.
    const ws = ids.map((id) => writer([file, String(id), String(classes), '25', 'complete'], { GO_FILE: go }));
    await until(() => ws.every((w) => w.lines.includes('ready')));
    fs.writeFileSync(go, '');
    expect(await Promise.all(ws.map((w) => w.exited))).toEqual([0, 0]);
    expect(integrity(file)).toBe('ok');
    const cdb = openCaseDb({ path: file });
    for (const id of ids) {
      expect(getScan(cdb, id).status).toBe('completed');
      expect(getClassFindings(cdb, id)).toHaveLength(classes);
      expect(listNotes(cdb, getScan(cdb, id).caseId)).toHaveLength(classes);
    }
    const v = verifyAuditLog(cdb);
    expect(v.ok).toBe(true);
    // Both writers' entries are in the one chain, and they did write at the same time.
    const actors = listAudit(cdb)
      .filter((e) => e.action === 'scan.class-result')
      .map((e) => e.actor);
    expect(new Set(actors).size).toBe(2);
    const switches = actors.filter((a, i) => i > 0 && a !== actors[i - 1]).length;
    expect(switches).toBeGreaterThan(2);
    cdb.sql.close();
  });
});
