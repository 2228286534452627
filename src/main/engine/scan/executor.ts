/**
 * Where scan tasks run: a pool of worker threads (the default; a GPU backend gets one) or, with zero
 * workers, this thread. Both schedule the same TaskRunner code. A task may be pinned to the worker
 * that holds state it needs (the transfer test runs where the reference model lives).
 */
import { Worker } from 'node:worker_threads';
import { UmaError, type ErrorInfo } from '../../../shared/errors.ts';
import type { TaskProgress, ScanTask, TaskResult, TaskRunner } from './tasks.ts';
import type { FromWorker, WorkerInit } from './worker-protocol.ts';

export interface Submitted {
  result: TaskResult;
  /** Which executor slot ran it, for pinning follow-up tasks. */
  slot: number;
}

export interface Executor {
  readonly slots: number;
  /**
   * Queues a task. A pinned task runs only on that slot, ahead of unpinned ones: it is short follow-up
   * work (a transfer test) that completes a class, so it should not wait behind whole classes.
   */
  submit(task: ScanTask, progress: TaskProgress, pinTo?: number): Promise<Submitted>;
  /** Stops everything now; pending and running tasks reject with CANCELLED. */
  terminate(): Promise<void>;
}

interface Pending {
  task: ScanTask;
  pinTo?: number;
  progress: TaskProgress;
  resolve: (s: Submitted) => void;
  reject: (e: unknown) => void;
}

function fromInfo(e: ErrorInfo): UmaError {
  return new UmaError(e.code, e.message, e.details);
}

/** Runs tasks on this thread, one at a time (tests, tiny scans). */
export class InlineExecutor implements Executor {
  readonly slots = 1;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly runner: TaskRunner) {}

  submit(task: ScanTask, progress: TaskProgress): Promise<Submitted> {
    const run = this.chain.then(async () => {
      if (this.stopped) throw new UmaError('CANCELLED', 'scan cancelled');
      const check: TaskProgress = (p) => {
        if (this.stopped) throw new UmaError('CANCELLED', 'scan cancelled');
        progress(p);
      };
      return { result: await this.runner.run(task, check), slot: 0 };
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async terminate(): Promise<void> {
    this.stopped = true;
    await this.chain;
    this.runner.dispose();
  }
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
  id: number;
}

export class WorkerPool implements Executor {
  private readonly workers: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private dead: UmaError | null = null;

  private constructor(readonly slots: number) {}

  /** Starts `size` workers and waits until each has loaded the model (or one failed to). */
  static async start(size: number, init: WorkerInit): Promise<WorkerPool> {
    const pool = new WorkerPool(size);
    const entry = new URL('./worker-entry.mjs', import.meta.url);
    const ready = Array.from({ length: size }, (_, i) => new Promise<void>((resolve, reject) => {
      const worker = new Worker(entry, { workerData: init });
      const slot: Slot = { worker, busy: null, id: i };
      pool.workers.push(slot);
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'init-failed') reject(fromInfo(m.error));
        else pool.onMessage(slot, m);
      });
      worker.on('error', (err) => {
        const e = new UmaError('INTERNAL', `scan worker ${i} crashed: ${err.message}`);
        reject(e);
        pool.fail(e);
      });
      worker.on('exit', (code) => {
        if (!pool.dead) pool.fail(new UmaError('INTERNAL', `scan worker ${i} exited unexpectedly (code ${code})`));
      });
    }));
    try {
      await Promise.all(ready);
    } catch (err) {
      await pool.terminate();
      throw err;
    }
    return pool;
  }

  submit(task: ScanTask, progress: TaskProgress, pinTo?: number): Promise<Submitted> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      const pending = { task, pinTo, progress, resolve, reject };
      if (pinTo === undefined) this.queue.push(pending);
      else this.queue.unshift(pending);
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.workers) {
      if (slot.busy) continue;
      const i = this.queue.findIndex((p) => p.pinTo === undefined || p.pinTo === slot.id);
      if (i < 0) continue;
      const [pending] = this.queue.splice(i, 1);
      slot.busy = pending;
      slot.worker.postMessage({ type: 'task', id: this.nextId++, task: pending.task });
    }
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    const pending = slot.busy;
    if (!pending) return;
    if (m.type === 'progress') {
      pending.progress(m.progress);
      return;
    }
    slot.busy = null;
    if (m.type === 'result') pending.resolve({ result: m.result, slot: slot.id });
    else if (m.type === 'error') pending.reject(fromInfo(m.error));
    this.dispatch();
  }

  private fail(err: UmaError): void {
    if (this.dead) return;
    this.dead = err;
    for (const s of this.workers) s.busy?.reject(err);
    for (const p of this.queue.splice(0)) p.reject(err);
    void this.terminate();
  }

  async terminate(): Promise<void> {
    if (!this.dead) this.dead = new UmaError('CANCELLED', 'scan cancelled');
    const err = this.dead;
    for (const s of this.workers) {
      s.busy?.reject(err);
      s.busy = null;
    }
    for (const p of this.queue.splice(0)) p.reject(err);
    await Promise.all(this.workers.map((s) => s.worker.terminate()));
  }
}
