/**
 * Scans whose classes are computed in another process, for batch scans on a queue (src/main/batch/).
 * Two roles, both in-process only (not calls of the contract: no client of the app runs them):
 *
 * - the coordinator keeps the record: its scans row is queued and checked exactly as scans/start
 *   does, marked running under the coordinator's process, and each class a worker sends is written as
 *   it arrives, so the coordinator's case database stays the single source of truth;
 * - a worker runs the scan with this host's job manager (the one scan code path), after taking in
 *   the classes a previous worker checkpointed: the scan is then an interrupted one, and resuming it
 *   computes only the missing classes.
 */
import fs from 'node:fs';
import type { Args } from '../../shared/api.ts';
import { UmaError } from '../../shared/errors.ts';
import { classThresholdsOf } from '../../shared/calibration-record.ts';
import type { ClassArtifacts, ClassFinding, ScanResult } from '../../shared/results.ts';
import { getEvidence, rehashEvidence, storedFiles } from '../cases/evidence.ts';
import { recordClassResult, recordedPass } from '../cases/findings.ts';
import {
  completeScan,
  failScan,
  getScan,
  interruptScan,
  resumePlan,
  startScan,
  type ResumePlan,
} from '../cases/scans.ts';
import { scoredResult } from '../engine/scan/anomaly.ts';
import type { ServiceContext } from './context.ts';
import { validateArgs } from './dispatch.ts';
import { prepareScan } from './handlers/scans.ts';

export interface CheckpointedClass {
  finding: ClassFinding;
  artifacts: ClassArtifacts;
}

/** A piece of evidence as another machine needs it to take the same bytes in. */
export interface EvidenceCopy {
  displayName: string;
  sha256: string;
  inputSpec: { mean?: number[]; std?: number[] } | null;
  classNames: string[] | null;
  /** The stored read-only copies, in intake order. */
  files: { name: string; bytes: Uint8Array }[];
}

export interface RemoteScans {
  /** Coordinator: a new scan of stored evidence, recorded here and run elsewhere; running from now on. */
  queue(args: Args<'scans/start'>, batch: string): Promise<{ scanId: number; numClasses: number; warnings: string[] }>;
  /** Coordinator: a scan this process recorded before it died (interrupted) is running under it again. */
  reattach(scanId: number): Promise<ResumePlan>;
  /**
   * Coordinator: writes a class a worker finished; false when that class is already recorded at that pass
   * (the ablation backoff's second pass replaces a first).
   */
  record(scanId: number, c: CheckpointedClass): boolean;
  /** Coordinator: scores the scan with the worker's result (every class must be recorded). */
  complete(scanId: number, result: ScanResult): void;
  fail(scanId: number, message: string): void;
  /** A piece of evidence with its stored bytes, re-hashed first (a changed copy is refused, audited). */
  evidenceCopy(evidenceId: number): Promise<EvidenceCopy>;
  /** Worker: starts a scan on this host's job manager that keeps `done` and computes the other classes. */
  startWithCheckpoint(
    args: Args<'scans/start'>,
    done: CheckpointedClass[],
  ): Promise<{ jobId: string; scanId: number; warnings: string[] }>;
}

export function remoteScans(ctx: ServiceContext): RemoteScans {
  const { cdb, jobs } = ctx;
  /** Marks a queued or interrupted scan running in this process, after the before-scan re-hash. */
  const run = async (scanId: number) =>
    startScan(cdb, scanId, await rehashEvidence(cdb, getScan(cdb, scanId).evidenceId, 'before-scan'));
  return {
    async queue(args, batch) {
      const { scan, warnings } = await prepareScan(ctx, validateArgs('scans/start', args), batch);
      await run(scan.id);
      return { scanId: scan.id, numClasses: scan.numClasses, warnings };
    },
    async reattach(scanId) {
      const status = getScan(cdb, scanId).status;
      if (status !== 'running') {
        if (status !== 'interrupted')
          throw new UmaError('BAD_INPUT', `scan ${scanId} is ${status}; only an interrupted scan is reattached`);
        await run(scanId);
      }
      return resumePlan(cdb, scanId);
    },
    record(scanId, c) {
      // Recorded already, in this pass or (for a first pass arriving late) the backoff's second.
      const pass = recordedPass(cdb, scanId, c.finding.index);
      if (pass === 'second' || (pass === 'first' && !c.finding.firstPass)) return false;
      recordClassResult(cdb, scanId, c.finding, c.artifacts);
      return true;
    },
    complete(scanId, result) {
      // The worker was sent the scan's parameters, not its calibration record: a per-class calibration's
      // thresholds are this database's, so its classes are flagged here (the task rule's is in the parameters;
      // explanations are derived when the stored result is read).
      const classThresholds = classThresholdsOf(getScan(cdb, scanId).calibration);
      completeScan(
        cdb,
        scanId,
        classThresholds ? { ...result, ...scoredResult(result, result.params, classThresholds) } : result,
      );
    },
    fail(scanId, message) {
      failScan(cdb, scanId, message);
    },
    async evidenceCopy(evidenceId) {
      const ev = getEvidence(cdb, evidenceId);
      await rehashEvidence(cdb, ev.id, 'before-scan');
      return {
        displayName: ev.displayName,
        sha256: ev.sha256,
        inputSpec: ev.inputSpec as EvidenceCopy['inputSpec'],
        classNames: ev.classNames,
        files: storedFiles(cdb, ev).map((p, i) => ({ name: ev.files[i].name, bytes: fs.readFileSync(p) })),
      };
    },
    async startWithCheckpoint(args, done) {
      const { scan, warnings } = await prepareScan(ctx, validateArgs('scans/start', args));
      if (done.length > 0) {
        await run(scan.id);
        for (const c of done) recordClassResult(cdb, scan.id, c.finding, c.artifacts);
        interruptScan(cdb, scan.id, `${done.length} classes taken from the queue's checkpoint`);
      }
      const job = jobs.enqueue(scan.id);
      return { jobId: job.jobId, scanId: scan.id, warnings };
    },
  };
}
