/**
 * Workers on a real queue (a redis-server on 127.0.0.1, real `uma worker` / `uma batch` processes):
 * the Batches page's queue state names them; a worker SIGKILLed mid-job has its job taken up by
 * another worker (BullMQ's stalled-job recovery, made quick with short lock and check periods), which
 * computes only the classes missing from the checkpoint, and the scan completes once; a worker stopped
 * with SIGTERM releases its job at once, checkpoint kept. queue-faults.test.ts has the queue's faults.
 */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { watchQueue } from '../../../src/main/batch/queue-state.ts';
import { parseQueueUrl } from '../../../src/main/batch/queue-url.ts';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { getClassFindings } from '../../../src/main/cases/findings.ts';
import { listScans } from '../../../src/main/cases/scans.ts';
import {
  ALL_CLASSES,
  batchHarness,
  CLASS_LINE,
  classesOf,
  keptBy,
  REDIS_MISSING,
  stop,
  WORKER_READY,
} from './harness.ts';

describe.skipIf(REDIS_MISSING !== null)('uma worker on a real Redis', () => {
  const h = batchHarness();

  it('the queue state (the Batches page) names the workers connected now', async () => {
    const w = h.worker();
    await w.waitFor(WORKER_READY, 'the worker is ready');
    const watch = watchQueue(parseQueueUrl(h.redis().url));
    try {
      const state = await watch.read();
      expect(state).toMatchObject({ queue: h.redis().url, connected: true, error: null });
      expect(state.workers.map((x) => x.name)).toContain(`${os.hostname()}:${w.child.pid}`);
      expect(state.counts).toMatchObject({ active: 0 });
    } finally {
      await watch.close();
    }
    expect((await stop(w)).code).toBe(0);
  });

  it(
    'a worker SIGKILLed mid-job: another takes the job up and computes only the missing classes',
    { timeout: 480_000 },
    async () => {
      const db = h.newDb();
      // A short lock, so the dead worker's job is soon free; the next worker looks for such jobs every second
      // and keeps its own lock the default 30 s (a loaded CI machine may delay a renewal by seconds).
      const first = h.worker('--lock-ms', '5000');
      await first.waitFor(WORKER_READY, 'the worker is ready');
      const b = h.batch(['demo', '--data', 'demo', '--case', 'Killed worker', '--db', db]);
      await first.waitForCount(CLASS_LINE, 3, 'three classes');
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      const second = h.worker('--stalled-ms', '1000');
      expect((await b.exited).code, b.output()).toBe(0);
      expect((await stop(second)).code).toBe(0);

      const kept = keptBy(second);
      expect(kept.length, second.output()).toBeGreaterThanOrEqual(1);
      // Every class computed exactly once across the two workers' runs of the job that counted.
      expect([...kept, ...classesOf(second)].sort((x, y) => x - y)).toEqual(ALL_CLASSES);
      expect(b.output()).toContain(`:${second.child.pid}`);

      const cdb = openCaseDb({ path: db });
      const scans = listScans(cdb, 1);
      expect(scans.map((s) => s.status)).toEqual(['completed']);
      expect(getClassFindings(cdb, scans[0].id).map((f) => f.index)).toEqual(ALL_CLASSES);
      cdb.sql.close();
    },
  );

  it(
    'a worker stopped with SIGTERM mid-job releases it; the next worker computes only the missing classes',
    { timeout: 480_000 },
    async () => {
      const db = h.newDb();
      const first = h.worker();
      await first.waitFor(WORKER_READY, 'the worker is ready');
      const b = h.batch(['demo', '--data', 'demo', '--case', 'Stopped worker', '--db', db]);
      await first.waitForCount(CLASS_LINE, 3, 'three classes');
      expect((await stop(first)).code, first.output()).toBe(0);
      expect(first.output()).toMatch(/released to the queue/);

      const second = h.worker();
      expect((await b.exited).code, b.output()).toBe(0);
      expect((await stop(second)).code).toBe(0);
      const kept = keptBy(second);
      expect(kept.length, second.output()).toBeGreaterThanOrEqual(3);
      expect([...kept, ...classesOf(second)].sort((x, y) => x - y)).toEqual(ALL_CLASSES);
    },
  );
});
