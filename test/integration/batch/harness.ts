/**
 * What the batch fault tests share: a real redis-server per test file (on 127.0.0.1, a free port),
 * `uma worker` and `uma batch` child processes (killed after each test if still running), a fresh
 * case database per test, and readers of the workers' output. Scans are the tiny demo scan of the
 * CLI tests, so what a test exercises is the queue, not the scanner.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { tempDir } from '../../fixtures/reports/scan-fixture.ts';
import { redisMissing, startRedis, type RedisServer } from '../../fixtures/redis-server.ts';
import { TINY_SCAN_ARGS } from '../scan/tiny-scan-args.ts';
import { uma, type UmaProcess } from './uma-process.ts';

export const REDIS_MISSING = redisMissing();
if (REDIS_MISSING) console.log(`skipping the batch queue tests: ${REDIS_MISSING}`);

export const TINY = [...TINY_SCAN_ARGS, '--workers', '1', '--backend', 'wasm', '--poll-ms', '200'];
export const CLASS_LINE = /^class (\d+) \(.*\) done \[/;
export const WORKER_READY = /^worker .* on redis:/;
export const ALL_CLASSES = Array.from({ length: 10 }, (_, k) => k);

/** The classes a worker computed (its "class N (...) done" lines). */
export const classesOf = (p: UmaProcess): number[] =>
  p.lines.flatMap((l) => {
    const m = CLASS_LINE.exec(l);
    return m ? [Number(m[1])] : [];
  });

/** The classes a worker's job line says it took from the checkpoint ("classes 0, 1, 2 from the checkpoint"). */
export function keptBy(p: UmaProcess): number[] {
  const line = p.lines.find((l) => l.includes('from the checkpoint'));
  const m = line && /classes ([\d, ]+) from the checkpoint/.exec(line);
  return m ? m[1].split(',').map((s) => Number(s.trim())) : [];
}

export async function stop(p: UmaProcess): Promise<{ code: number | null }> {
  p.child.kill('SIGTERM');
  return p.exited;
}

export interface Harness {
  redis(): RedisServer;
  worker(...extra: string[]): UmaProcess;
  /** `uma batch ARGS --queue URL` with the tiny scan options. */
  batch(args: string[]): UmaProcess;
  /** Any other `uma` command, stopped after the test like the others. */
  run(args: string[]): UmaProcess;
  newDb(): string;
}

/** Registers the hooks of a test file's Redis and processes; call it at the top of the describe. */
export function batchHarness(): Harness {
  const dirs: string[] = [];
  const children: UmaProcess[] = [];
  let redis: RedisServer | undefined;
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
  const run = (args: string[]) => {
    const p = uma(args);
    children.push(p);
    return p;
  };
  return {
    redis: () => redis!,
    worker: (...extra) => run(['worker', '--queue', redis!.url, '--backend', 'wasm', ...extra]),
    batch: (args) => run(['batch', ...args, '--queue', redis!.url, ...TINY]),
    run,
    newDb() {
      const dir = tempDir('uma-batch-');
      dirs.push(dir);
      return path.join(dir, 'cases.sqlite');
    },
  };
}
