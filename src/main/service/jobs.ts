/**
 * The job manager: a queue of scans, one running at a time on this engine host (a scan already
 * fills every core with its worker threads), progress fanned out to every client through `emit`,
 * cancel, and crash safety: each class result is written to the case database the moment it
 * arrives, so a crash loses at most the classes in flight, and a resumed job redoes only the
 * classes without a stored result. What a job needs to be resumed (its data, workers, reference) is
 * on the scans row (ScanJob), so a scan started by any client resumes in any other.
 */
import type { ApiEvent, JobInfo } from '../../shared/api.ts';
import { toErrorInfo, UmaError } from '../../shared/errors.ts';
import { AUTHORS_PROFILE, type ScanParams } from '../../shared/scan-params.ts';
import type { CaseDb } from '../cases/db.ts';
import { getEvidence, rehashEvidence } from '../cases/evidence.ts';
import { getClassFindings, recordClassResult } from '../cases/findings.ts';
import { cancelScan, completeScan, failScan, getScan, interruptScan, startScan } from '../cases/scans.ts';
import { loadDataset } from '../engine/data/index.ts';
import { loadModelSource } from '../engine/model/load.ts';
import type { Classifier } from '../engine/model/types.ts';
import { runScan } from '../engine/scan/pipeline.ts';
import { loadEvidenceModel } from './models.ts';

/**
 * A scan queued before NC's patience/cost/early-stop and the reference momentum became parameters has
 * no value for them; it ran with the constants the authors' profile now holds.
 */
export function withLegacyConstants(params: ScanParams): ScanParams {
  return { ...AUTHORS_PROFILE, ...params };
}

/** A job is what the contract shows of it plus what running it needs. */
interface Job extends JobInfo {
  abort: AbortController;
  /** Set when the host is closing: the scan stays resumable instead of cancelled. */
  stopping: boolean;
}

export class JobManager {
  private readonly queue: Job[] = [];
  private running: Job | null = null;
  private runningDone: Promise<void> = Promise.resolve();
  private counter = 0;

  constructor(
    private readonly cdb: CaseDb,
    private readonly emit: (e: ApiEvent) => void,
    /** Worker threads when a job names none (settings); undefined = the engine's default. */
    private readonly defaultWorkers: () => number | undefined,
  ) {}

  /** Queues a scan (new or resumed); its job spec is on its row, written when it was queued. */
  enqueue(scanId: number): JobInfo {
    if (this.jobOfScan(scanId))
      throw new UmaError('BAD_INPUT', `scan ${scanId} already has a job (${this.jobOfScan(scanId)})`);
    const scan = getScan(this.cdb, scanId);
    if (!scan.job)
      throw new UmaError(
        'BAD_INPUT',
        `scan ${scanId} predates stored job specs and its data is unknown; start a new scan`,
      );
    const job: Job = {
      jobId: `job-${scanId}-${++this.counter}`,
      scanId,
      caseId: scan.caseId,
      state: 'queued',
      progress: null,
      classesDone: getClassFindings(this.cdb, scanId).map((f) => f.index),
      queuedAt: new Date().toISOString(),
      startedAt: null,
      abort: new AbortController(),
      stopping: false,
    };
    this.queue.push(job);
    this.pump();
    return this.info(job);
  }

  cancel(jobId: string): boolean {
    const i = this.queue.findIndex((j) => j.jobId === jobId);
    if (i >= 0) {
      const [job] = this.queue.splice(i, 1);
      cancelScan(this.cdb, job.scanId);
      this.emit({
        type: 'job/failed',
        jobId,
        scanId: job.scanId,
        error: { code: 'CANCELLED', message: 'scan cancelled before it started' },
      });
      return true;
    }
    if (this.running?.jobId === jobId) {
      this.running.abort.abort();
      return true;
    }
    return false;
  }

  list(): JobInfo[] {
    return [...(this.running ? [this.running] : []), ...this.queue].map((j) => this.info(j));
  }

  jobOfScan(scanId: number): string | null {
    return [this.running, ...this.queue].find((j) => j?.scanId === scanId)?.jobId ?? null;
  }

  /** Stops the running scan, leaving it interrupted (the next start resumes it); drops the queue. */
  async close(): Promise<void> {
    this.queue.length = 0;
    if (this.running) {
      this.running.stopping = true;
      this.running.abort.abort();
    }
    await this.runningDone;
  }

  private info(j: Job): JobInfo {
    return {
      jobId: j.jobId,
      scanId: j.scanId,
      caseId: j.caseId,
      state: j.state,
      progress: j.progress,
      classesDone: [...j.classesDone],
      queuedAt: j.queuedAt,
      startedAt: j.startedAt,
    };
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    this.running = job;
    job.state = 'running';
    job.startedAt = new Date().toISOString();
    this.runningDone = this.run(job)
      // run() settles every scan error itself; this is a database that failed while recording the failure.
      .catch((err: unknown) => console.error(`uma: job ${job.jobId} could not be closed in the case database:`, err))
      .finally(() => {
        this.running = null;
        this.pump();
      });
  }

  private async run(job: Job): Promise<void> {
    const { cdb } = this;
    const { scanId } = job;
    const models: Classifier[] = [];
    try {
      const scan = getScan(cdb, scanId);
      const spec = scan.job!;
      const ev = getEvidence(cdb, scan.evidenceId);
      // Integrity first: a changed byte refuses the scan (rehashEvidence audits the mismatch).
      const prescan = await rehashEvidence(cdb, ev.id, 'before-scan');
      const model = await loadEvidenceModel(cdb, ev);
      models.push(model);
      let reference;
      if (spec.referenceEvidenceId !== undefined) {
        const refEv = getEvidence(cdb, spec.referenceEvidenceId);
        await rehashEvidence(cdb, refEv.id, 'before-scan');
        const ref = await loadEvidenceModel(cdb, refEv);
        models.push(ref);
        reference = ref.source;
      }
      const data = loadDataset(spec.data, {
        labelsPath: spec.labels,
        classNames: scan.classNames,
        channels: model.inputSpec.channels === 1 ? 1 : 3,
      });
      const completed = getClassFindings(cdb, scanId);
      if (job.abort.signal.aborted) throw new UmaError('CANCELLED', 'scan cancelled');
      startScan(cdb, scanId, prescan);
      const { result } = await runScan({
        model,
        data,
        method: scan.method,
        params: withLegacyConstants(scan.params),
        ...(scan.calibration && { calibration: scan.calibration }),
        seed: scan.seed,
        completed,
        reference,
        workers: spec.workers ?? this.defaultWorkers(),
        modelName: ev.displayName,
        modelSha256: ev.sha256,
        signal: job.abort.signal,
        loadSource: (s) => loadModelSource(s),
        onEvent: (e) => {
          if (e.type === 'progress') {
            job.progress = e.progress;
            this.emit({ type: 'job/progress', jobId: job.jobId, scanId, progress: e.progress });
          } else if (e.type === 'class-result') {
            // Stored before anyone is told: a client that sees the event can fetch it again.
            recordClassResult(cdb, scanId, e.finding, e.artifacts);
            job.classesDone.push(e.finding.index);
            const { mask, pattern, stamped } = e.artifacts;
            this.emit({
              type: 'job/class-result',
              jobId: job.jobId,
              scanId,
              finding: e.finding,
              images: { scanId, classIndex: e.finding.index, mask, pattern, stamped },
            });
          }
        },
      });
      // The engine's result already holds the scan's calibration record (runScan was given it).
      completeScan(cdb, scanId, result);
      this.emit({ type: 'job/done', jobId: job.jobId, scanId, result });
    } catch (err) {
      const error = toErrorInfo(err);
      this.endAfterError(scanId, job, error.code === 'CANCELLED' && !job.stopping ? 'cancelled' : error.message);
      this.emit({ type: 'job/failed', jobId: job.jobId, scanId, error: { code: error.code, message: error.message } });
    } finally {
      for (const m of models) m.dispose();
    }
  }

  /** outcome: 'cancelled', or the message of the error the scan failed with. */
  private endAfterError(scanId: number, job: Job, outcome: string): void {
    const status = getScan(this.cdb, scanId).status;
    if (status === 'completed' || status === 'cancelled' || status === 'failed') return;
    if (outcome === 'cancelled') cancelScan(this.cdb, scanId);
    else if (job.stopping)
      interruptScan(this.cdb, scanId, 'the service stopped while the scan ran; it resumes at the next start');
    else failScan(this.cdb, scanId, outcome);
  }
}
