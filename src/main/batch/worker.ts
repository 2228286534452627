/**
 * `uma worker`: takes scan jobs from the queue and runs each with the service's own job manager, in a
 * scratch case database of its own (the coordinator's database is the record). Each finished class
 * goes to the job's checkpoint in Redis before anything else, so a job this worker does not finish
 * (killed, stalled, released at SIGTERM) is taken up elsewhere with only its missing classes to do.
 * With --concurrency N it runs N scans at once, each in a service of its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { ApiEvent } from '../../shared/api.ts';
import { UmaError } from '../../shared/errors.ts';
import type { BackendChoice } from '../engine/backend/index.ts';
import type { CliIO } from '../cli/command.ts';
import { openCliSession, type CliSession } from '../cli/service-session.ts';
import { loadClasses, saveClass } from './checkpoint.ts';
import { whenReady, type QueueAddress } from './queue-url.ts';
import { decodeBytes, QUEUE_NAME, type ScanJobData, type ScanJobProgress, type ScanJobResult } from './scan-job.ts';

export interface WorkerOptions {
  queue: QueueAddress;
  concurrency: number;
  backend: BackendChoice;
  /** BullMQ's lock and stalled-check periods (ms); short ones let a test see a dead worker's job recovered. */
  lockMs?: number;
  stalledMs?: number;
  io: CliIO;
}

/** Failures a retry cannot mend: the job is failed at once instead of after every attempt. */
const FINAL_CODES = new Set(['INTEGRITY']);
/** Progress is written to Redis at most this often (class results always at once). */
const PROGRESS_EVERY_MS = 1000;

interface Slot {
  session: CliSession;
  caseId: number;
  /** The service job running in this slot, to cancel at SIGTERM. */
  running: string | null;
}

export async function runWorker(opts: WorkerOptions, stop: AbortSignal): Promise<void> {
  const { io } = opts;
  const name = `${os.hostname()}:${process.pid}`;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-worker-'));
  const free: Slot[] = [];
  const slots: Slot[] = [];
  try {
    for (let i = 0; i < opts.concurrency; i++) {
      const session = await openCliSession(
        { db: path.join(scratch, `slot-${i}`, 'cases.sqlite'), backend: opts.backend },
        { ...io, isTTY: false },
      );
      const kase = await session.call('cases/create', { name: 'queue worker scratch' });
      const slot = { session, caseId: kase.id, running: null };
      slots.push(slot);
      free.push(slot);
    }
    if (slots.length > 0) io.err(`backend ${(await slots[0].session.call('app/info', {})).backend}`);

    const worker: Worker<ScanJobData, ScanJobResult> = new Worker<ScanJobData, ScanJobResult>(
      QUEUE_NAME,
      async (job, token): Promise<ScanJobResult> => {
        const slot = free.pop()!;
        try {
          return await runJob(job, token, slot, worker, name, io, stop);
        } finally {
          slot.running = null;
          free.push(slot);
        }
      },
      {
        connection: opts.queue.connection,
        concurrency: opts.concurrency,
        name,
        ...(opts.lockMs !== undefined && { lockDuration: opts.lockMs }),
        ...(opts.stalledMs !== undefined && { stalledInterval: opts.stalledMs }),
      },
    );
    worker.on('error', (err: Error) => io.err(`queue: ${err.message}`));
    const stopped = new Promise<void>((resolve) => {
      if (stop.aborted) resolve();
      stop.addEventListener('abort', () => resolve(), { once: true });
    });
    // A stop while Redis is still out of reach ends the wait too (nothing has been taken yet).
    await whenReady(Promise.race([worker.waitUntilReady(), stopped]), opts.queue, io.err);
    if (!stop.aborted)
      io.err(`worker ${name} on ${opts.queue.display} (queue ${QUEUE_NAME}, concurrency ${opts.concurrency})`);

    await stopped;
    io.err('stopping: running scans are released to the queue with their finished classes');
    for (const s of slots)
      if (s.running) void s.session.call('scans/cancel', { jobId: s.running }).catch(() => undefined);
    await worker.close();
  } finally {
    for (const s of slots) await s.session.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function runJob(
  job: Job<ScanJobData, ScanJobResult>,
  token: string | undefined,
  slot: Slot,
  worker: Worker,
  name: string,
  io: CliIO,
  stop: AbortSignal,
): Promise<ScanJobResult> {
  const d = job.data;
  const redis = await worker.client;
  const jobId = job.id!;
  const done = await loadClasses(redis, jobId);
  io.err(
    `job ${jobId}: ${d.model.displayName} (scan ${d.scanId} of batch ${d.batchId}), attempt ${job.attemptsMade + 1}` +
      (done.length > 0 ? `, classes ${done.map((c) => c.finding.index).join(', ')} from the checkpoint` : ''),
  );
  const { session } = slot;
  const ev = await session.call('evidence/add', {
    caseId: slot.caseId,
    source: { kind: 'upload', files: d.model.files.map((f) => ({ name: f.name, bytes: decodeBytes(f.base64) })) },
    displayName: d.model.displayName,
    inputSpec: d.model.inputSpec,
    expectedSha256: d.model.sha256,
    expectedSource: `queue job ${jobId}`,
  });
  if (ev.match !== 'match')
    throw new UnrecoverableError(
      `INTEGRITY: the model bytes in job ${jobId} hash to ${ev.sha256}, not the ${d.model.sha256} the coordinator took in`,
    );

  // Queue writes in order; the job returns only after the last one landed. The chain never rejects (the
  // WASM backend turns an unhandled rejection into a crash): the first failure is kept and, since it
  // means the job is no longer this worker's (Redis lost it, or it was taken as stalled), stops the scan.
  let writes: Promise<void> = Promise.resolve();
  const lost: { error: Error | null } = { error: null };
  let serviceJob: string | null = null;
  const write = (f: () => Promise<unknown>) => {
    writes = writes.then(async () => {
      if (lost.error) return;
      try {
        await f();
      } catch (err) {
        lost.error = err as Error;
        io.err(`job ${jobId}: lost (${lost.error.message}); stopping its scan`);
        if (serviceJob) await session.call('scans/cancel', { jobId: serviceJob }).catch(() => undefined);
      }
    });
  };
  let classesDone = done.length;
  let lastProgress = 0;
  const report = (p: ScanJobProgress) => write(() => job.updateProgress({ ...p }));
  const off = session.on((e: ApiEvent) => {
    if (e.type === 'job/class-result') {
      const artifacts = { classIndex: e.images.classIndex, mask: e.images.mask, pattern: e.images.pattern };
      write(() => saveClass(redis, jobId, e.finding, { ...artifacts, stamped: e.images.stamped }));
      classesDone++;
      report({ worker: name, progress: null, classesDone });
    } else if (e.type === 'job/progress' && Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      report({ worker: name, progress: e.progress, classesDone });
    }
  });
  try {
    const started = await session.remote.startWithCheckpoint(
      {
        caseId: slot.caseId,
        evidenceId: ev.id,
        method: d.method,
        params: d.params,
        seed: d.seed,
        data: d.data,
        workers: d.workers,
      },
      done,
    );
    slot.running = started.jobId;
    serviceJob = started.jobId;
    if (stop.aborted || lost.error) void session.call('scans/cancel', { jobId: started.jobId }).catch(() => undefined);
    const numClasses = (await session.call('scans/get', { scanId: started.scanId })).scan.numClasses;
    const result = await session.follow(
      started.jobId,
      numClasses,
      done.map((c) => c.finding),
    );
    await writes;
    if (lost.error) throw lost.error;
    io.err(`job ${jobId}: done, ${result.verdict} (score ${result.score.toFixed(2)})`);
    return { worker: name, result, fromCheckpoint: done.map((c) => c.finding.index) };
  } catch (err) {
    await writes;
    if (stop.aborted && err instanceof UmaError && err.code === 'CANCELLED') {
      // Released, not failed: the job waits for another worker, its classes in the checkpoint.
      await job.moveToWait(token);
      io.err(`job ${jobId}: released to the queue`);
      throw new WaitingError();
    }
    if (lost.error) {
      io.err(`job ${jobId}: given up, no longer this worker's`);
      throw new Error(`lost: ${lost.error.message}`);
    }
    const code = err instanceof UmaError ? err.code : 'INTERNAL';
    const message = `${code}: ${(err as Error).message}`;
    io.err(`job ${jobId}: failed: ${message}`);
    throw FINAL_CODES.has(code) ? new UnrecoverableError(message) : new Error(message);
  } finally {
    off();
  }
}
