/**
 * Where scan tasks run: a pool of worker threads (the default; a GPU backend gets one) or, with zero
 * workers, this thread. Both schedule the same TaskRunner code. Any worker runs any task: a task
 * carries what it needs beyond the ScanContext (the transfer test carries the reference's handle).
 */
import { Worker } from 'node:worker_threads';
import { UmaError, type ErrorInfo } from '../../../shared/errors.ts';
import type { StepProgress, WorkerActivity } from '../../../shared/events.ts';
import type { ScanTask, TaskResult, TaskRunner } from './tasks.ts';
import type { FromWorker, WorkerInit } from './worker-protocol.ts';

/** A task's step reports, with the worker that runs it (WorkerActivity.worker). */
export type WorkerProgress = (p: StepProgress, worker: number) => void;
/** A worker starting a task or falling idle: reported at once, so no worker's line goes stale between step reports. */
export type ActivityListener = (a: WorkerActivity) => void;

/** What a worker is on as it starts a task, before the task's first step report. */
function taskStart(task: ScanTask, worker: number): WorkerActivity {
  const at = { worker, step: 0, steps: 0 };
  switch (task.kind) {
    case 'prepare':
      return { ...at, stage: 'prepare', classIndex: null };
    case 'reference':
      return { ...at, stage: 'reference', classIndex: null };
    case 'class':
      return { ...at, stage: task.ablation ? 'ablation' : 'inversion', classIndex: task.k };
    case 'transfer':
      return { ...at, stage: 'transfer', classIndex: task.k };
  }
}

/** A worker between tasks (or before its first). */
export const idleWorker = (worker: number): WorkerActivity => ({
  worker,
  stage: null,
  classIndex: null,
  step: 0,
  steps: 0,
});

export interface Executor {
  readonly slots: number;
  /**
   * Queues a task. An urgent task runs ahead of queued ones: it is short follow-up work (a transfer
   * test) that completes a class, so it should not wait behind whole classes.
   */
  submit(task: ScanTask, progress: WorkerProgress, urgent?: boolean): Promise<TaskResult>;
  /** Stops everything now; pending and running tasks reject with CANCELLED. */
  terminate(): Promise<void>;
}

interface Pending {
  task: ScanTask;
  progress: WorkerProgress;
  resolve: (r: TaskResult) => void;
  reject: (e: unknown) => void;
}

function fromInfo(e: ErrorInfo): UmaError {
  return new UmaError(e.code, e.message, e.details);
}

/** Runs tasks on this thread, one at a time, in submission order (tests, tiny scans). */
export class InlineExecutor implements Executor {
  readonly slots = 1;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly runner: TaskRunner,
    private readonly onActivity: ActivityListener = () => undefined,
  ) {}

  submit(task: ScanTask, progress: WorkerProgress): Promise<TaskResult> {
    const run = this.chain.then(async () => {
      if (this.stopped) throw new UmaError('CANCELLED', 'scan cancelled');
      this.onActivity(taskStart(task, 0));
      try {
        return await this.runner.run(task, (p) => {
          if (this.stopped) throw new UmaError('CANCELLED', 'scan cancelled');
          progress(p, 0);
        });
      } finally {
        this.onActivity(idleWorker(0));
      }
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
  id: number;
  worker: Worker;
  busy: Pending | null;
}

/** Worker threads, numbered from 1 in WorkerActivity (0 is InlineExecutor's host thread). */
export class WorkerPool implements Executor {
  private readonly workers: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private dead: UmaError | null = null;

  private constructor(
    readonly slots: number,
    private readonly onActivity: ActivityListener,
  ) {}

  /** Starts `size` workers and waits until each has loaded the model (or one failed to). */
  static async start(
    size: number,
    init: WorkerInit,
    onActivity: ActivityListener = () => undefined,
  ): Promise<WorkerPool> {
    const pool = new WorkerPool(size, onActivity);
    const entry = new URL('./worker-entry.mjs', import.meta.url);
    const ready = Array.from(
      { length: size },
      (_, i) =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(entry, { workerData: init });
          const slot: Slot = { id: i + 1, worker, busy: null };
          pool.workers.push(slot);
          worker.on('message', (m: FromWorker) => {
            if (m.type === 'ready') resolve();
            else if (m.type === 'init-failed') reject(fromInfo(m.error));
            else pool.onMessage(slot, m);
          });
          worker.on('error', (err) => {
            const e = new UmaError('INTERNAL', `scan worker ${i + 1} crashed: ${err.message}`);
            reject(e);
            pool.fail(e);
          });
          worker.on('exit', (code) => {
            if (!pool.dead)
              pool.fail(new UmaError('INTERNAL', `scan worker ${i + 1} exited unexpectedly (code ${code})`));
          });
        }),
    );
    try {
      await Promise.all(ready);
    } catch (err) {
      await pool.terminate();
      throw err;
    }
    return pool;
  }

  submit(task: ScanTask, progress: WorkerProgress, urgent = false): Promise<TaskResult> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      const pending = { task, progress, resolve, reject };
      if (urgent) this.queue.unshift(pending);
      else this.queue.push(pending);
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.workers) {
      if (slot.busy) continue;
      const pending = this.queue.shift();
      if (!pending) return;
      slot.busy = pending;
      this.onActivity(taskStart(pending.task, slot.id));
      slot.worker.postMessage({ type: 'task', id: this.nextId++, task: pending.task });
    }
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    const pending = slot.busy;
    if (!pending) return;
    if (m.type === 'progress') {
      pending.progress(m.progress, slot.id);
      return;
    }
    slot.busy = null;
    this.onActivity(idleWorker(slot.id));
    if (m.type === 'result') pending.resolve(m.result);
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
