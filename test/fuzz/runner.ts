/**
 * Runs a seeded fuzz campaign: generates each case, loads it in a worker thread with a per-case
 * timeout (a hang terminates the worker, which is then replaced), checks the worker's health after
 * each case, and loads a sample of the cases through the CLI (`uma inspect`) as a child process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { deriveSeed, mulberry32 } from '../../src/main/engine/random.ts';
import { makeCase, type FuzzCase } from './cases.ts';
import type { CaseReply, Outcome } from './worker.ts';

const ROOT = join(import.meta.dirname, '../..');

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Per-case limit for the in-process load (and 3x it for a CLI run). */
  timeoutMs: number;
  /** Every cliEvery-th case also runs through `uma inspect` in a child process (0: none). */
  cliEvery: number;
  onCase?: (r: CaseResult) => void;
}

export interface CaseResult extends Omit<FuzzCase, 'path'> {
  via: 'in-process' | 'cli';
  outcome: Outcome;
  code?: string;
  message?: string;
  /** After the case, a known-good model still loaded and gave its logits (in-process only). */
  healthy: boolean;
  ms: number;
}

export interface FuzzSummary {
  seed: number;
  cases: number;
  seconds: number;
  counts: Record<string, number>;
  byFamily: Record<string, Record<string, number>>;
  unhealthy: number;
  failures: CaseResult[];
  results: CaseResult[];
}

/** One worker thread and the case it is working on. */
class LoaderThread {
  private worker: Worker | null = null;

  private async start(): Promise<Worker> {
    const w = new Worker(join(import.meta.dirname, 'worker-entry.mjs'));
    await new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
    return w;
  }

  /** Starts the thread if none runs (tfjs and the WASM backend load in seconds; not a case's time). */
  async warm(): Promise<void> {
    this.worker ??= await this.start();
  }

  async run(c: FuzzCase, timeoutMs: number): Promise<CaseReply> {
    await this.warm();
    const w = this.worker!;
    return new Promise<CaseReply>((resolve) => {
      const done = (reply: CaseReply, replace: boolean) => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('exit', onExit);
        if (replace) {
          void w.terminate();
          this.worker = null;
        }
        resolve(reply);
      };
      const onMessage = (reply: CaseReply) => done(reply, !reply.healthy);
      const onExit = (code: number) =>
        done({ outcome: 'crash', message: `worker exited with code ${code}`, healthy: false }, true);
      const timer = setTimeout(
        () => done({ outcome: 'hang', message: `no answer in ${timeoutMs} ms`, healthy: false }, true),
        timeoutMs,
      );
      w.on('message', onMessage);
      w.once('exit', onExit);
      w.postMessage(c);
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}

/** `uma inspect` on the case in a child process: exit 0 accepted, 2 a named error, else internal. */
function viaCli(c: FuzzCase, timeoutMs: number): Promise<Omit<CaseReply, 'healthy'>> {
  const args = c.target === 'model' ? ['inspect', c.path] : ['inspect', 'demo', '--data', c.path];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/uma.mjs', ...args, '--backend', 'wasm'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const message = err.trim().slice(0, 600);
      if (timedOut) resolve({ outcome: 'hang', message: `no exit in ${timeoutMs} ms` });
      else if (code === 0) resolve({ outcome: 'accepted' });
      else if (code === 2 && !/internal error/.test(err)) resolve({ outcome: 'named', message });
      else resolve({ outcome: signal ? 'crash' : 'internal', message: `exit ${code ?? signal}: ${message}` });
    });
  });
}

const isFailure = (r: CaseResult) =>
  r.outcome === 'internal' || r.outcome === 'hang' || r.outcome === 'crash' || !r.healthy;

export async function runFuzz(opts: FuzzOptions): Promise<FuzzSummary> {
  const t0 = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'uma-fuzz-'));
  const thread = new LoaderThread();
  const results: CaseResult[] = [];
  try {
    for (let id = 0; id < opts.cases; id++) {
      const c = makeCase(id, mulberry32(deriveSeed(opts.seed, 'case', id)), join(work, String(id)));
      const { path: _path, ...meta } = c;
      await thread.warm();
      const started = performance.now();
      const reply = await thread.run(c, opts.timeoutMs);
      const result: CaseResult = { ...meta, via: 'in-process', ...reply, ms: Math.round(performance.now() - started) };
      results.push(result);
      opts.onCase?.(result);
      if (opts.cliEvery > 0 && id % opts.cliEvery === 0) {
        const s = performance.now();
        const cli = await viaCli(c, opts.timeoutMs * 3);
        const r: CaseResult = { ...meta, via: 'cli', ...cli, healthy: true, ms: Math.round(performance.now() - s) };
        results.push(r);
        opts.onCase?.(r);
      }
      rmSync(join(work, String(id)), { recursive: true, force: true });
    }
  } finally {
    await thread.close();
    rmSync(work, { recursive: true, force: true });
  }
  const counts: Record<string, number> = {};
  const byFamily: Record<string, Record<string, number>> = {};
  for (const r of results) {
    counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
    const f = (byFamily[`${r.family}/${r.mutation}`] ??= {});
    f[r.outcome] = (f[r.outcome] ?? 0) + 1;
  }
  return {
    seed: opts.seed,
    cases: opts.cases,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    counts,
    byFamily,
    unhealthy: results.filter((r) => !r.healthy).length,
    failures: results.filter(isFailure),
    results,
  };
}
