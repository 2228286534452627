/**
 * Crash safety through `uma serve` as a real child process: a scan runs, the process is killed
 * (SIGKILL, no clean-up) after some classes are stored, `uma serve` is started again on the same
 * database, port and token; it resumes the interrupted scan at start-up, the renderer's WebSocket
 * client reconnects by itself and is told host/restarted, and only the classes without a stored
 * result are redone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoCase, isType, ok, record, tempHome, TINY, wsApi } from './helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const TOKEN = 'restart-token-0123456789abcdef';
const home = tempHome('uma-serve-restart-');
const children: ChildProcess[] = [];

/** Starts `uma serve`; resolves with the port and stdout once it prints its URL. */
function serve(port: number): Promise<{ child: ChildProcess; port: number; out: () => string }> {
  const child = spawn(
    process.execPath,
    [
      'bin/uma.mjs',
      'serve',
      '--port',
      String(port),
      '--no-pdf',
      '--token',
      TOKEN,
      '--db',
      path.join(home, 'cases.sqlite'),
      '--backend',
      'wasm',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`uma serve did not start:\n${out}`)), 60_000);
    child.stdout.on('data', () => {
      const m = /open http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), out: () => out });
      }
    });
    child.on('exit', (code) => reject(new Error(`uma serve exited (${code}):\n${out}`)));
  });
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(home, { recursive: true, force: true });
});

describe('uma serve killed mid-scan', () => {
  it('resumes the scan at the next start, redoing only the unfinished classes, and the client reconnects', async () => {
    const first = await serve(0);
    const base = `127.0.0.1:${first.port}`;
    const api = await wsApi(`ws://${base}/api?token=${TOKEN}`, `http://${base}`);
    const rec = record(api);
    const { caseId, evidenceId } = await demoCase(api, 'killed');
    const { scanId } = ok(
      await api['scans/start']({ caseId, evidenceId, data: { kind: 'demo' }, params: TINY, workers: 2 }),
    );
    await rec.next(isType('job/class-result', scanId));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const before = rec.events.filter(isType('job/class-result', scanId)).map((e) => e.finding.index);
    const cut = rec.events.length;

    const second = await serve(first.port);
    const restarted = await rec.next(isType('host/restarted'));
    expect(restarted.resumedScanIds).toEqual([scanId]);
    expect(second.out()).toContain(`resuming interrupted scans ${scanId}`);
    const done = await rec.next(isType('job/done', scanId));
    expect(done.result.classes).toHaveLength(10);
    const after = rec.events
      .slice(cut)
      .filter(isType('job/class-result', scanId))
      .map((e) => e.finding.index);
    expect(after.length).toBeGreaterThan(0);
    // Disjoint, and together every class: nothing stored before the kill was redone.
    expect(after.filter((k) => before.includes(k))).toEqual([]);
    const stored = ok(await api['audit/list']({ target: `scan:${scanId}` }));
    const recorded = stored.filter((a) => a.action === 'scan.class-result').map((a) => a.details.classIndex as number);
    expect([...recorded].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(recorded.slice(-after.length).sort()).toEqual([...after].sort());
    expect(stored.map((a) => a.action)).toEqual(
      expect.arrayContaining(['scan.interrupt', 'scan.resume', 'scan.complete']),
    );
    expect(ok(await api['scans/get']({ scanId })).scan.status).toBe('completed');
    api.close();
    second.child.kill('SIGTERM');
    expect(await new Promise((r) => second.child.once('exit', r))).toBe(0);
    // Two server starts and a scan: 50 s on an idle CI machine, over the default 60 s beside the batch tests.
  }, 240_000);
});
