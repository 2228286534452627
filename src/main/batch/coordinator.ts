/**
 * `uma batch`'s side of the queue: each model is taken into the case as evidence and gets a scans row
 * (checked as scans/start checks it) and one queue job carrying its bytes. The coordinator then polls
 * the queue and writes into its case database each class a worker checkpointed, and the verdict when
 * the job completes. Polling rather than queue events: it catches up after a Redis restart or a
 * coordinator restart the same way as in steady state. The case database stays the record: a job
 * Redis lost is queued again from it, its recorded classes seeded into the new job's checkpoint.
 */
import { randomUUID } from 'node:crypto';
import { Job, Queue, type RedisClient } from 'bullmq';
import type { CalibrationSpec } from '../../shared/api.ts';
import { UmaError } from '../../shared/errors.ts';
import type { ScanMethod, ScanParams } from '../../shared/scan-params.ts';
import type { CliSession } from '../cli/service-session.ts';
import { checkpointedClasses, dropCheckpoint, loadClass, saveClass } from './checkpoint.ts';
import { writeManifest, type BatchItem, type BatchManifest } from '../cases/batches.ts';
import { whenReady, type QueueAddress } from './queue-url.ts';
import {
  encodeBytes,
  MAX_MODEL_BYTES,
  QUEUE_NAME,
  type ScanJobData,
  type ScanJobProgress,
  type ScanJobResult,
} from './scan-job.ts';

export interface BatchScanSpec {
  caseName: string;
  data: ScanJobData['data'];
  method: ScanMethod;
  params: Partial<ScanParams>;
  seed: number;
  workers?: number;
  examiner?: string;
  inputSpec?: { mean?: number[]; std?: number[]; classNames?: string[] };
  /** The threshold from clean scans of the case database, the same for every model of the batch. */
  calibration?: CalibrationSpec;
  /** Tries per job before it is failed (the first run included). */
  attempts: number;
  maxModelBytes?: number;
}

export type ItemState = 'queued' | 'running' | 'completed' | 'failed';

/** What the coordinator knows of one model's scan, for the progress lines and the summary. */
export interface ItemStatus extends BatchItem {
  state: ItemState;
  numClasses: number;
  classesDone: number;
  fraction: number;
  worker: string | null;
  attempt: number;
  verdict: 'trojaned' | 'clean' | null;
  score: number | null;
  target: number | null;
  seconds: number | null;
  error: string | null;
}

export interface Coordinator {
  session: CliSession;
  queue: Queue<ScanJobData, ScanJobResult>;
  redis: RedisClient;
  display: string;
  close(): Promise<void>;
}

export async function openCoordinator(
  session: CliSession,
  address: QueueAddress,
  log: (line: string) => void,
): Promise<Coordinator> {
  const queue = new Queue<ScanJobData, ScanJobResult>(QUEUE_NAME, { connection: address.connection });
  // Reconnects are retried and reported by the poll loop; without a listener an 'error' event would throw.
  queue.on('error', () => undefined);
  await whenReady(queue.waitUntilReady(), address, log);
  return { session, queue, redis: await queue.client, display: address.display, close: () => queue.close() };
}

/** Takes every model in, records its scan and queues its job; the manifest is written after each. */
export async function queueBatch(
  c: Coordinator,
  models: { given: string; path: string; displayName?: string }[],
  spec: BatchScanSpec,
  log: (line: string) => void,
): Promise<BatchManifest> {
  const { session } = c;
  const kase =
    (await session.call('cases/list', { query: spec.caseName })).find((k) => k.name === spec.caseName) ??
    (await session.call('cases/create', { name: spec.caseName, examiner: spec.examiner }));
  const manifest: BatchManifest = {
    batchId: `batch-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`,
    created: new Date().toISOString(),
    queue: c.display,
    caseId: kase.id,
    caseName: kase.name,
    data: spec.data,
    workers: spec.workers,
    items: [],
  };
  for (const m of models) {
    const ev = await session.call('evidence/add', {
      caseId: kase.id,
      source: { kind: 'path', path: m.path },
      displayName: m.displayName,
      inputSpec: spec.inputSpec,
    });
    const copy = await session.remote.evidenceCopy(ev.id);
    const size = copy.files.reduce((s, f) => s + f.bytes.length, 0);
    const limit = spec.maxModelBytes ?? MAX_MODEL_BYTES;
    if (size > limit)
      throw new UmaError(
        'BAD_INPUT',
        `${m.given}: ${size} bytes, over the ${limit}-byte limit of a model carried in a queue job (--max-model-mb)`,
      );
    const queued = await session.remote.queue(
      {
        caseId: kase.id,
        evidenceId: ev.id,
        method: spec.method,
        params: spec.params,
        seed: spec.seed,
        data: spec.data,
        workers: spec.workers,
        examiner: spec.examiner,
        calibration: spec.calibration,
      },
      manifest.batchId,
    );
    for (const w of queued.warnings) log(`${m.given}: warning: ${w}`);
    const item: BatchItem = {
      scanId: queued.scanId,
      jobId: `${manifest.batchId}-scan-${queued.scanId}`,
      model: m.given,
    };
    // In the manifest before it is queued: a coordinator killed in between leaves a scan that
    // `uma batch --resume` finds (and queues, its job not being in the queue).
    manifest.items.push(item);
    writeManifest(session.dataDir, manifest);
    await enqueueJob(c, manifest, item, spec.attempts);
    log(`${m.given}: evidence ${ev.id} sha256 ${ev.sha256}, scan ${queued.scanId}, job ${item.jobId}`);
  }
  return manifest;
}

/**
 * The job of one scan, built from the case database (the model's stored bytes, the scan's method,
 * parameters and seed); classes the database already holds are put in its checkpoint first.
 */
async function enqueueJob(c: Coordinator, m: BatchManifest, item: BatchItem, attempts: number): Promise<void> {
  const { session } = c;
  const got = await session.call('scans/get', { scanId: item.scanId });
  const copy = await session.remote.evidenceCopy(got.scan.evidenceId);
  for (const f of got.findings) {
    const images = await session.call('scans/artifacts', { scanId: item.scanId, classIndex: f.index });
    await saveClass(c.redis, item.jobId, f, images);
  }
  const data: ScanJobData = {
    batchId: m.batchId,
    scanId: item.scanId,
    model: {
      displayName: copy.displayName,
      sha256: copy.sha256,
      files: copy.files.map((f) => ({ name: f.name, base64: encodeBytes(f.bytes) })),
      inputSpec:
        copy.inputSpec || copy.classNames
          ? { ...copy.inputSpec, ...(copy.classNames && { classNames: copy.classNames }) }
          : undefined,
    },
    data: m.data,
    method: got.scan.method,
    params: got.params,
    seed: got.scan.seed,
    workers: m.workers,
  };
  await c.queue.add('scan', data, {
    jobId: item.jobId,
    attempts,
    backoff: { type: 'exponential', delay: 1000 },
    // Removed by the coordinator once it recorded the outcome (the job holds the model's bytes).
    removeOnComplete: false,
    removeOnFail: false,
  });
}

/** Reattaches to a batch's scans: an interrupted one runs under this process again, a lost job is re-queued. */
export async function reattachBatch(
  c: Coordinator,
  m: BatchManifest,
  attempts: number,
  log: (line: string) => void,
): Promise<void> {
  for (const item of m.items) {
    const status = (await c.session.call('scans/get', { scanId: item.scanId })).scan.status;
    if (status === 'completed' || status === 'failed' || status === 'cancelled') continue;
    const plan = await c.session.remote.reattach(item.scanId);
    log(`${item.model}: scan ${item.scanId} reattached, classes ${plan.done.length}/${plan.numClasses} recorded`);
    if ((await c.queue.getJobState(item.jobId)) === 'unknown') {
      await enqueueJob(c, m, item, attempts);
      log(`${item.model}: job ${item.jobId} was not in the queue; queued again`);
    }
  }
}

/** Polls until every scan of the batch completed or failed; onUpdate gets the status after each round. */
export async function followBatch(
  c: Coordinator,
  m: BatchManifest,
  opts: { attempts: number; pollMs: number; signal?: AbortSignal },
  onUpdate: (items: ItemStatus[]) => void,
  log: (line: string) => void,
): Promise<ItemStatus[]> {
  const items = await Promise.all(m.items.map((it) => initialStatus(c, it)));
  let unreachable = false;
  while (items.some((s) => s.state === 'queued' || s.state === 'running')) {
    if (opts.signal?.aborted) throw new UmaError('CANCELLED', 'stopped following the batch');
    try {
      for (const s of items) if (s.state === 'queued' || s.state === 'running') await settle(c, m, s, opts, log);
      if (unreachable) log(`queue ${c.display}: reachable again`);
      unreachable = false;
    } catch (err) {
      // Redis restarting or the network down: the jobs and checkpoints are still there when it is back.
      if (!unreachable) log(`queue ${c.display}: ${(err as Error).message}; retrying`);
      unreachable = true;
    }
    onUpdate(items);
    await new Promise((r) => setTimeout(r, opts.pollMs));
  }
  onUpdate(items);
  return items;
}

/**
 * One poll of one scan. What the case database refuses (a result that disagrees with the recorded
 * classes) fails that scan, with the reason, instead of being retried for ever; queue errors propagate.
 */
async function settle(
  c: Coordinator,
  m: BatchManifest,
  s: ItemStatus,
  opts: { attempts: number },
  log: (line: string) => void,
): Promise<void> {
  try {
    await pollItem(c, m, s, opts, log);
  } catch (err) {
    if (!(err instanceof UmaError)) throw err;
    log(`${s.model}: scan ${s.scanId} cannot be recorded: ${err.message}`);
    const status = (await c.session.call('scans/get', { scanId: s.scanId })).scan.status;
    if (status === 'running') c.session.remote.fail(s.scanId, `${err.code}: ${err.message}`);
    Object.assign(s, { state: 'failed', error: `${err.code}: ${err.message}` });
  }
}

async function initialStatus(c: Coordinator, item: BatchItem): Promise<ItemStatus> {
  const got = await c.session.call('scans/get', { scanId: item.scanId });
  const s = got.scan;
  const state: ItemState = s.status === 'completed' ? 'completed' : s.status === 'running' ? 'queued' : 'failed';
  return {
    ...item,
    state,
    numClasses: s.numClasses,
    classesDone: s.classesDone,
    fraction: s.numClasses === 0 ? 0 : s.classesDone / s.numClasses,
    worker: null,
    attempt: 0,
    verdict: s.verdict,
    score: s.score,
    target: s.target,
    seconds: got.result?.seconds ?? null,
    error: s.status === 'failed' || s.status === 'cancelled' ? (s.error ?? s.status) : null,
  };
}

/**
 * The job's state, progress and attempts, without its data: the full job holds the model's bytes, so it
 * is fetched only once, when it completed or failed. (`atm` and `progress` are the job hash's fields,
 * the ones BullMQ's Job.fromJSON reads.)
 */
async function peek(c: Coordinator, jobId: string) {
  const state = await c.queue.getJobState(jobId);
  const [progress, atm] = await c.redis.hmget(c.queue.toKey(jobId), 'progress', 'atm');
  const parsed = progress ? (JSON.parse(progress) as ScanJobProgress | number) : null;
  return {
    state,
    progress: typeof parsed === 'object' ? parsed : null,
    attemptsMade: Number(atm ?? 0),
  };
}

async function pollItem(
  c: Coordinator,
  m: BatchManifest,
  s: ItemStatus,
  opts: { attempts: number },
  log: (line: string) => void,
): Promise<void> {
  // The state first: a job seen completed has every class in its checkpoint already (the worker
  // returns only after its last checkpoint write), so the classes read next are all of them.
  const { state, progress, attemptsMade } = await peek(c, s.jobId);
  if (state === 'unknown') {
    log(`${s.model}: job ${s.jobId} is not in the queue (Redis lost it?); queued again from the case database`);
    await enqueueJob(c, m, s, opts.attempts);
    s.state = 'queued';
    return;
  }
  const got = await c.session.call('scans/get', { scanId: s.scanId });
  // Each class's recorded pass (2: the ablation backoff's second); a checkpoint of a later pass replaces it.
  const recorded = new Map(got.findings.map((f) => [f.index, f.firstPass ? 2 : 1]));
  for (const e of await checkpointedClasses(c.redis, s.jobId)) {
    const pass = e.second ? 2 : 1;
    if ((recorded.get(e.index) ?? 0) >= pass) continue;
    const cls = await loadClass(c.redis, s.jobId, e);
    if (cls && c.session.remote.record(s.scanId, cls)) recorded.set(e.index, pass);
  }
  s.classesDone = recorded.size;
  if (progress) {
    s.worker = progress.worker;
    s.fraction = progress.progress?.fraction ?? s.classesDone / s.numClasses;
  }
  s.attempt = attemptsMade + 1;
  if (state === 'active') s.state = 'running';
  if (state !== 'completed' && state !== 'failed') return;
  const job = await Job.fromId<ScanJobData, ScanJobResult>(c.queue, s.jobId);
  if (!job) return; // removed meanwhile (a second coordinator); the next poll queues it again
  if (state === 'completed') {
    const r = job.returnvalue;
    // Already scored when an earlier poll recorded it but could not remove the job (Redis went away).
    if (got.scan.status !== 'completed') c.session.remote.complete(s.scanId, r.result);
    Object.assign(s, {
      state: 'completed',
      worker: r.worker,
      fraction: 1,
      verdict: r.result.verdict,
      score: r.result.score,
      target: r.result.target,
      seconds: r.result.seconds,
    });
  } else {
    const reason = job.failedReason || 'failed';
    if (got.scan.status !== 'failed') c.session.remote.fail(s.scanId, `${reason} (after ${job.attemptsMade} attempts)`);
    Object.assign(s, { state: 'failed', error: reason });
  }
  await cleanUp(c, job);
}

async function cleanUp(c: Coordinator, job: Job): Promise<void> {
  await job.remove();
  await dropCheckpoint(c.redis, job.id!);
}
