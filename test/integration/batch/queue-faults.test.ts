/**
 * Batch scans on a real queue: a redis-server on 127.0.0.1 and real `uma worker` / `uma batch`
 * processes, with the faults a lab meets. A worker SIGKILLed mid-job: another worker takes the job up
 * (BullMQ's stalled-job recovery, made quick with short lock and check periods) and computes only the
 * classes missing from the checkpoint; the scan completes once. A worker stopped with SIGTERM releases
 * its job at once, checkpoint kept. A poisoned job fails after its bounded attempts and the batch goes
 * on. Redis restarted (losing everything, no persistence): the worker reconnects and the coordinator
 * queues the job again from its case database. The coordinator killed: `uma batch --resume`
 * reattaches. Scans are the tiny demo scan of the CLI tests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Job, Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { getClassFindings } from '../../../src/main/cases/findings.ts';
import { getScan, listScans } from '../../../src/main/cases/scans.ts';
import { watchQueue } from '../../../src/main/batch/queue-state.ts';
import { parseQueueUrl } from '../../../src/main/batch/queue-url.ts';
import { QUEUE_NAME } from '../../../src/main/batch/scan-job.ts';
import { tempDir } from '../../fixtures/reports/scan-fixture.ts';
import { TINY_SCAN_ARGS } from '../scan/tiny-scan-args.ts';
import { redisMissing, startRedis, type RedisServer } from '../../fixtures/redis-server.ts';
import { uma, type UmaProcess } from './uma-process.ts';

const missing = redisMissing();
if (missing) console.log(`skipping the batch queue tests: ${missing}`);

const TINY = [...TINY_SCAN_ARGS, '--workers', '1', '--backend', 'wasm', '--poll-ms', '200'];
const CLASS_LINE = /^class (\d+) \(.*\) done \[/;
const CLEAN_DEMO = path.resolve(import.meta.dirname, '../../../resources/demo-model-clean/model.json');
const ALL = Array.from({ length: 10 }, (_, k) => k);

const dirs: string[] = [];
const children: UmaProcess[] = [];
let redis: RedisServer;

function worker(...extra: string[]): UmaProcess {
  const w = uma(['worker', '--queue', redis.url, '--backend', 'wasm', ...extra]);
  children.push(w);
  return w;
}

function batch(args: string[]): UmaProcess {
  const b = uma(['batch', ...args, '--queue', redis.url, ...TINY]);
  children.push(b);
  return b;
}

const classesOf = (p: UmaProcess): number[] =>
  p.lines.flatMap((l) => {
    const m = CLASS_LINE.exec(l);
    return m ? [Number(m[1])] : [];
  });

/** The classes a worker's job line says it took from the checkpoint ("classes 0, 1, 2 from the checkpoint"). */
function keptBy(p: UmaProcess): number[] {
  const line = p.lines.find((l) => l.includes('from the checkpoint'));
  const m = line && /classes ([\d, ]+) from the checkpoint/.exec(line);
  return m ? m[1].split(',').map((s) => Number(s.trim())) : [];
}

async function stop(p: UmaProcess): Promise<{ code: number | null }> {
  p.child.kill('SIGTERM');
  return p.exited;
}

describe.skipIf(missing !== null)('uma batch and uma worker on a real Redis', () => {
  beforeAll(async () => {
    const dir = tempDir('uma-redis-');
    dirs.push(dir);
    redis = await startRedis(dir);
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
      await c.exited;
    }
  });
  afterAll(async () => {
    await redis?.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  function newDb(): string {
    const dir = tempDir('uma-batch-');
    dirs.push(dir);
    return path.join(dir, 'cases.sqlite');
  }

  it('the queue state (the Batches page) names the workers connected now', async () => {
    const w = worker();
    await w.waitFor(/^worker .* on redis:/, 'the worker is ready');
    const watch = watchQueue(parseQueueUrl(redis.url));
    try {
      const state = await watch.read();
      expect(state).toMatchObject({ queue: redis.url, connected: true, error: null });
      expect(state.workers.map((x) => x.name)).toContain(`${os.hostname()}:${w.child.pid}`);
      expect(state.counts).toMatchObject({ active: 0 });
    } finally {
      await watch.close();
    }
    expect((await stop(w)).code).toBe(0);
  });

  it(
    'a worker SIGKILLed mid-job: another takes the job up and computes only the missing classes',
    { timeout: 360_000 },
    async () => {
      const db = newDb();
      // A short lock, so the dead worker's job is soon free; the next worker looks for such jobs every second
      // and keeps its own lock the default 30 s (a loaded CI machine may delay a renewal by seconds).
      const first = worker('--lock-ms', '5000');
      await first.waitFor(/^worker .* on redis:/, 'the worker is ready');
      const b = batch(['demo', '--data', 'demo', '--case', 'Killed worker', '--db', db]);
      await first.waitForCount(CLASS_LINE, 3, 'three classes');
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      const second = worker('--stalled-ms', '1000');
      expect((await b.exited).code, b.output()).toBe(0);
      expect((await stop(second)).code).toBe(0);

      const kept = keptBy(second);
      expect(kept.length, second.output()).toBeGreaterThanOrEqual(1);
      // Every class computed exactly once across the two workers' runs of the job that counted.
      expect([...kept, ...classesOf(second)].sort((x, y) => x - y)).toEqual(ALL);
      expect(b.output()).toContain(`:${second.child.pid}`);

      const cdb = openCaseDb({ path: db });
      const scans = listScans(cdb, 1);
      expect(scans.map((s) => s.status)).toEqual(['completed']);
      expect(getClassFindings(cdb, scans[0].id).map((f) => f.index)).toEqual(ALL);
      cdb.sql.close();
    },
  );

  it(
    'a worker stopped with SIGTERM mid-job releases it; the next worker computes only the missing classes',
    { timeout: 360_000 },
    async () => {
      const db = newDb();
      const first = worker();
      await first.waitFor(/^worker .* on redis:/, 'the worker is ready');
      const b = batch(['demo', '--data', 'demo', '--case', 'Stopped worker', '--db', db]);
      await first.waitForCount(CLASS_LINE, 3, 'three classes');
      expect((await stop(first)).code, first.output()).toBe(0);
      expect(first.output()).toMatch(/released to the queue/);

      const second = worker();
      expect((await b.exited).code, b.output()).toBe(0);
      expect((await stop(second)).code).toBe(0);
      const kept = keptBy(second);
      expect(kept.length, second.output()).toBeGreaterThanOrEqual(3);
      expect([...kept, ...classesOf(second)].sort((x, y) => x - y)).toEqual(ALL);
    },
  );

  it('a poisoned job fails after its bounded attempts and the batch goes on', { timeout: 360_000 }, async () => {
    const db = newDb();
    const b = batch(['demo', CLEAN_DEMO, '--data', 'demo', '--case', 'Poison', '--db', db, '--attempts', '2']);
    const line = await b.waitFor(/^demo: evidence .* job \S+$/, 'the first job is queued');
    await b.waitFor(/^batch .* jobs on/, 'both jobs are queued');
    // Poison the first job as no worker has seen it yet: its data is a folder no worker has.
    const jobId = /job (\S+)$/.exec(line)![1];
    const q = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port } });
    const job = (await Job.fromId(q, jobId))!;
    await job.updateData({ ...job.data, data: { kind: 'path', path: path.join(os.tmpdir(), 'uma-no-such-data') } });
    await q.close();

    const w = worker();
    expect((await b.exited).code, b.output()).toBe(1);
    expect((await stop(w)).code).toBe(0);
    expect(w.lines.filter((l) => l.startsWith(`job ${jobId}: failed: BAD_DATA`))).toHaveLength(2);
    expect(b.output()).toMatch(/^demo\s+FAILED .*BAD_DATA/m);
    expect(b.output()).toMatch(/model\.json\s+clean\s/m);

    const cdb = openCaseDb({ path: db });
    const [poisoned, good] = listScans(cdb, 1);
    expect(poisoned.status).toBe('failed');
    expect(poisoned.error).toMatch(/BAD_DATA.*after 2 attempts/);
    expect(good.status).toBe('completed');
    cdb.sql.close();
  });

  it(
    'Redis restarted mid-scan: the worker reconnects and the coordinator queues the lost job again',
    { timeout: 360_000 },
    async () => {
      const db = newDb();
      const w = worker();
      await w.waitFor(/^worker .* on redis:/, 'the worker is ready');
      const b = batch(['demo', '--data', 'demo', '--case', 'Restart', '--db', db]);
      // Three classes recorded by the coordinator before Redis (and the job with it) goes away.
      await b.waitFor(/classes [3-9]\/10/, 'three classes recorded');
      await redis.restart();

      expect((await b.exited).code, b.output()).toBe(0);
      expect(b.output()).toMatch(/not in the queue .* queued again/);
      expect((await stop(w)).code).toBe(0);
      expect(keptBy(w).length, w.output()).toBeGreaterThanOrEqual(3);

      const cdb = openCaseDb({ path: db });
      const [scan] = listScans(cdb, 1);
      expect(getScan(cdb, scan.id).status).toBe('completed');
      expect(getClassFindings(cdb, scan.id).map((f) => f.index)).toEqual(ALL);
      cdb.sql.close();
    },
  );

  it('the coordinator killed: uma batch --resume reattaches and records the rest', { timeout: 360_000 }, async () => {
    const db = newDb();
    const w = worker();
    await w.waitFor(/^worker .* on redis:/, 'the worker is ready');
    const b = batch(['demo', '--data', 'demo', '--case', 'Resume', '--db', db]);
    await b.waitFor(/classes [2-9]\/10/, 'two classes recorded');
    b.child.kill('SIGKILL');
    await b.exited;

    const again = uma(['batch', '--resume', '--queue', redis.url, '--db', db, '--poll-ms', '200']);
    children.push(again);
    expect((await again.exited).code, again.output()).toBe(0);
    expect(again.output()).toMatch(/scan 1 reattached, classes \d+\/10 recorded/);
    expect((await stop(w)).code).toBe(0);

    const cdb = openCaseDb({ path: db });
    const scans = listScans(cdb, 1);
    expect(scans.map((s) => s.status)).toEqual(['completed']);
    expect(getClassFindings(cdb, scans[0].id).map((f) => f.index)).toEqual(ALL);
    cdb.sql.close();
  });
});
