/**
 * The queue's faults, with a real redis-server on 127.0.0.1 and real `uma worker` / `uma batch`
 * processes: a poisoned job fails after its bounded attempts and the batch goes on; Redis restarted
 * (losing everything, no persistence): the worker reconnects and the coordinator queues the job again
 * from its case database; the coordinator killed: `uma batch --resume` reattaches. (Workers dying:
 * worker-faults.test.ts.)
 */
import os from 'node:os';
import path from 'node:path';
import { Job, Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { QUEUE_NAME } from '../../../src/main/batch/scan-job.ts';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { getClassFindings } from '../../../src/main/cases/findings.ts';
import { getScan, listScans } from '../../../src/main/cases/scans.ts';
import { ALL_CLASSES, batchHarness, keptBy, REDIS_MISSING, stop, WORKER_READY } from './harness.ts';

const CLEAN_DEMO = path.resolve(import.meta.dirname, '../../../resources/demo-model-clean/model.json');

describe.skipIf(REDIS_MISSING !== null)('uma batch on a real Redis', () => {
  const h = batchHarness();

  it('a poisoned job fails after its bounded attempts and the batch goes on', { timeout: 480_000 }, async () => {
    const db = h.newDb();
    const b = h.batch(['demo', CLEAN_DEMO, '--data', 'demo', '--case', 'Poison', '--db', db, '--attempts', '2']);
    const line = await b.waitFor(/^demo: evidence .* job \S+$/, 'the first job is queued');
    await b.waitFor(/^batch .* jobs on/, 'both jobs are queued');
    // Poison the first job as no worker has seen it yet: its data is a folder no worker has.
    const jobId = /job (\S+)$/.exec(line)![1];
    const q = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: h.redis().port } });
    const job = (await Job.fromId(q, jobId))!;
    await job.updateData({ ...job.data, data: { kind: 'path', path: path.join(os.tmpdir(), 'uma-no-such-data') } });
    await q.close();

    const w = h.worker();
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
    { timeout: 480_000 },
    async () => {
      const db = h.newDb();
      const w = h.worker();
      await w.waitFor(WORKER_READY, 'the worker is ready');
      const b = h.batch(['demo', '--data', 'demo', '--case', 'Restart', '--db', db]);
      // Three classes recorded by the coordinator before Redis (and the job with it) goes away.
      await b.waitFor(/classes [3-9]\/10/, 'three classes recorded');
      await h.redis().restart();

      expect((await b.exited).code, b.output()).toBe(0);
      expect(b.output()).toMatch(/not in the queue .* queued again/);
      expect((await stop(w)).code).toBe(0);
      expect(keptBy(w).length, w.output()).toBeGreaterThanOrEqual(3);

      const cdb = openCaseDb({ path: db });
      const [scan] = listScans(cdb, 1);
      expect(getScan(cdb, scan.id).status).toBe('completed');
      expect(getClassFindings(cdb, scan.id).map((f) => f.index)).toEqual(ALL_CLASSES);
      cdb.sql.close();
    },
  );

  it('the coordinator killed: uma batch --resume reattaches and records the rest', { timeout: 480_000 }, async () => {
    const db = h.newDb();
    const w = h.worker();
    await w.waitFor(WORKER_READY, 'the worker is ready');
    const b = h.batch(['demo', '--data', 'demo', '--case', 'Resume', '--db', db]);
    await b.waitFor(/classes [2-9]\/10/, 'two classes recorded');
    b.child.kill('SIGKILL');
    await b.exited;

    const again = h.run(['batch', '--resume', '--queue', h.redis().url, '--db', db, '--poll-ms', '200']);
    expect((await again.exited).code, again.output()).toBe(0);
    expect(again.output()).toMatch(/scan 1 reattached, classes \d+\/10 recorded/);
    expect((await stop(w)).code).toBe(0);

    const cdb = openCaseDb({ path: db });
    const scans = listScans(cdb, 1);
    expect(scans.map((s) => s.status)).toEqual(['completed']);
    expect(getClassFindings(cdb, scans[0].id).map((f) => f.index)).toEqual(ALL_CLASSES);
    cdb.sql.close();
  });
});
