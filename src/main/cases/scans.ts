/**
 * Scan rows and their life cycle: queued -> running -> completed | failed | cancelled, and
 * interrupted when the process that ran it died (found at the next open). A running scan records
 * its owner (host and pid), so opening the database from a second process (the CLI while the app
 * scans) does not mistake a live scan for a dead one.
 */
import os from 'node:os';
import type { ScanResult, ThresholdCalibrationRecord } from '../../shared/results.ts';
import { ruleOf } from '../../shared/calibration-record.ts';
import type { ScanMethod, ScanParams } from '../../shared/scan-params.ts';
import { UmaError } from '../../shared/errors.ts';
import { appendAudit } from './audit.ts';
// The engine's definition (sha256 of canonical {method, seed, params}), so the database, findings.json
// and the signed statement all carry the digest `uma scan` prints.
import { paramsSha256 } from '../util/params-digest.ts';
import { nowIso, writeTx, type CaseDb } from './db.ts';
import { getEvidence, type Rehash } from './evidence.ts';
import { ensureExaminer } from './examiners.ts';

export const SCAN_STATUSES = ['queued', 'running', 'cancelled', 'failed', 'completed', 'interrupted'] as const;
export type ScanStatus = (typeof SCAN_STATUSES)[number];

/**
 * What a job needs besides the method, parameters and seed, kept on the scans row (job_json) so any
 * process can resume the scan: the CLI, the app, or `uma serve`, whichever started it.
 */
export interface ScanJob {
  /** A loadDataset spec: 'demo' or an absolute path (uploads are materialised before this). */
  data: string;
  /** An IDX labels file, when it is not beside the images file. */
  labels?: string;
  /** Worker threads; absent = the host's default; 0 = the host's own thread. */
  workers?: number;
  referenceEvidenceId?: number;
  /**
   * The `uma batch` whose queue runs the scan: only that batch's coordinator resumes it (`uma batch
   * --resume`); resuming it here too would scan the model twice, here and on a worker.
   */
  batch?: string;
}

export interface NewScan {
  evidenceId: number;
  examiner?: string;
  method: ScanMethod;
  params: ScanParams;
  seed: number;
  toolVersion: string;
  backend: string;
  classNames: string[];
  job: ScanJob;
  /** Where params.anomalyThreshold came from, when it was calibrated on clean scans. */
  calibration?: ThresholdCalibrationRecord;
}

export interface ScanRecord {
  id: number;
  caseId: number;
  evidenceId: number;
  examiner: string | null;
  method: ScanMethod;
  params: ScanParams;
  paramsSha256: string;
  seed: number;
  toolVersion: string;
  backend: string;
  numClasses: number;
  classNames: string[];
  status: ScanStatus;
  ownerPid: number | null;
  ownerHost: string | null;
  created: string;
  started: string | null;
  finished: string | null;
  error: string | null;
  prescanSha256: string | null;
  prescanAt: string | null;
  verdict: ScanResult['verdict'] | null;
  score: number | null;
  target: number | null;
  /** The ScanResult without its classes (those are class_results rows); set on completion. */
  resultMeta: Omit<ScanResult, 'classes'> | null;
  /** Null only for scans recorded before migration 002 whose sidecar was gone. */
  job: ScanJob | null;
  /** Where params.anomalyThreshold came from, when it was calibrated; null when it is the profile's. */
  calibration: ThresholdCalibrationRecord | null;
}

interface ScanRow {
  id: number;
  case_id: number;
  evidence_id: number;
  examiner: string | null;
  method: ScanMethod;
  params_json: string;
  params_sha256: string;
  seed: number;
  tool_version: string;
  backend: string;
  num_classes: number;
  class_names_json: string;
  status: ScanStatus;
  owner_pid: number | null;
  owner_host: string | null;
  created: string;
  started: string | null;
  finished: string | null;
  error: string | null;
  prescan_sha256: string | null;
  prescan_at: string | null;
  verdict: ScanResult['verdict'] | null;
  score: number | null;
  target: number | null;
  result_json: string | null;
  job_json: string | null;
  calibration_json: string | null;
}

const SELECT = 'SELECT s.*, x.name AS examiner FROM scans s LEFT JOIN examiners x ON x.id = s.examiner_id';

function fromRow(r: ScanRow): ScanRecord {
  return {
    id: r.id,
    caseId: r.case_id,
    evidenceId: r.evidence_id,
    examiner: r.examiner,
    method: r.method,
    params: JSON.parse(r.params_json) as ScanParams,
    paramsSha256: r.params_sha256,
    seed: r.seed,
    toolVersion: r.tool_version,
    backend: r.backend,
    numClasses: r.num_classes,
    classNames: JSON.parse(r.class_names_json) as string[],
    status: r.status,
    ownerPid: r.owner_pid,
    ownerHost: r.owner_host,
    created: r.created,
    started: r.started,
    finished: r.finished,
    error: r.error,
    prescanSha256: r.prescan_sha256,
    prescanAt: r.prescan_at,
    verdict: r.verdict,
    score: r.score,
    target: r.target,
    resultMeta: r.result_json === null ? null : (JSON.parse(r.result_json) as Omit<ScanResult, 'classes'>),
    job: r.job_json === null ? null : (JSON.parse(r.job_json) as ScanJob),
    calibration: r.calibration_json === null ? null : (JSON.parse(r.calibration_json) as ThresholdCalibrationRecord),
  };
}

export function getScan(cdb: CaseDb, id: number): ScanRecord {
  const r = cdb.sql.prepare(`${SELECT} WHERE s.id = ?`).get(id) as ScanRow | undefined;
  if (!r) throw new UmaError('NOT_FOUND', `no scan with id ${id}`);
  return fromRow(r);
}

export function listScans(cdb: CaseDb, caseId: number): ScanRecord[] {
  return (cdb.sql.prepare(`${SELECT} WHERE s.case_id = ? ORDER BY s.id`).all(caseId) as ScanRow[]).map(fromRow);
}

export function queueScan(cdb: CaseDb, input: NewScan): ScanRecord {
  if (input.classNames.length === 0) throw new UmaError('BAD_INPUT', 'a scan needs at least one class');
  return writeTx(cdb, () => {
    const ev = getEvidence(cdb, input.evidenceId);
    const examinerId = input.examiner ? ensureExaminer(cdb, input.examiner).id : null;
    const digest = paramsSha256(input.params, input.method, input.seed);
    const id = Number(
      cdb.sql
        .prepare(
          `INSERT INTO scans (case_id, evidence_id, examiner_id, method, params_json, params_sha256, seed, tool_version, backend,
             num_classes, class_names_json, status, created, job_json, calibration_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
        )
        .run(
          ev.caseId,
          ev.id,
          examinerId,
          input.method,
          JSON.stringify(input.params),
          digest,
          input.seed,
          input.toolVersion,
          input.backend,
          input.classNames.length,
          JSON.stringify(input.classNames),
          nowIso(),
          JSON.stringify(input.job),
          input.calibration ? JSON.stringify(input.calibration) : null,
        ).lastInsertRowid,
    );
    appendAudit(cdb, 'scan.queue', `scan:${id}`, {
      evidenceId: ev.id,
      method: input.method,
      paramsSha256: digest,
      seed: input.seed,
      ...(input.calibration && {
        calibration: {
          rule: ruleOf(input.calibration),
          threshold: input.calibration.threshold,
          ...(input.calibration.classThresholds && { classThresholds: input.calibration.classThresholds }),
          margin: input.calibration.margin,
          cleanScanIds: input.calibration.clean.map((c) => c.scanId),
        },
      }),
    });
    return getScan(cdb, id);
  });
}

/** Marks the scan running in this process; prescan is the re-hash of its evidence just done. */
export function startScan(cdb: CaseDb, id: number, prescan: Rehash): ScanRecord {
  return writeTx(cdb, () => {
    const s = getScan(cdb, id);
    if (!['queued', 'interrupted', 'cancelled', 'failed'].includes(s.status))
      throw new UmaError('BAD_INPUT', `scan ${id} is ${s.status}; it cannot be started`);
    if (prescan.evidenceId !== s.evidenceId || prescan.purpose !== 'before-scan') {
      throw new UmaError('BAD_INPUT', `scan ${id} needs a before-scan re-hash of evidence ${s.evidenceId}`);
    }
    const resumed = s.status !== 'queued';
    cdb.sql
      .prepare(
        `UPDATE scans SET status = 'running', owner_pid = ?, owner_host = ?, started = coalesce(started, ?), error = NULL,
                prescan_sha256 = ?, prescan_at = ? WHERE id = ?`,
      )
      .run(process.pid, os.hostname(), nowIso(), prescan.sha256, prescan.at, id);
    appendAudit(cdb, resumed ? 'scan.resume' : 'scan.start', `scan:${id}`, {
      pid: process.pid,
      host: os.hostname(),
      prescanSha256: prescan.sha256,
    });
    return getScan(cdb, id);
  });
}

function endScan(
  cdb: CaseDb,
  id: number,
  status: 'failed' | 'cancelled' | 'interrupted',
  error: string | null,
  actor?: string,
): void {
  writeTx(cdb, () => {
    const s = getScan(cdb, id);
    if (s.status === 'completed')
      throw new UmaError('BAD_INPUT', `scan ${id} is completed; it cannot become ${status}`);
    cdb.sql
      .prepare('UPDATE scans SET status = ?, error = ?, finished = ?, owner_pid = NULL WHERE id = ?')
      .run(status, error, nowIso(), id);
    appendAudit(
      cdb,
      `scan.${status === 'failed' ? 'fail' : status === 'cancelled' ? 'cancel' : 'interrupt'}`,
      `scan:${id}`,
      { from: s.status, error },
      actor,
    );
  });
}

export function failScan(cdb: CaseDb, id: number, error: string): void {
  endScan(cdb, id, 'failed', error);
}

export function cancelScan(cdb: CaseDb, id: number): void {
  endScan(cdb, id, 'cancelled', null);
}

/** The service stopped cleanly while the scan ran: nothing failed, and the next start resumes it. */
export function interruptScan(cdb: CaseDb, id: number, reason: string): void {
  endScan(cdb, id, 'interrupted', reason, 'system');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Called at open: scans left `running` by a process of this host that no longer exists become
 * `interrupted`. Scans owned by another host (a shared folder) are left alone: we cannot see them.
 */
export function recoverInterruptedScans(cdb: CaseDb): number[] {
  const running = cdb.sql.prepare("SELECT id, owner_pid, owner_host FROM scans WHERE status = 'running'").all() as {
    id: number;
    owner_pid: number | null;
    owner_host: string | null;
  }[];
  const dead = running.filter((r) => r.owner_pid === null || (r.owner_host === os.hostname() && !isAlive(r.owner_pid)));
  return dead
    .filter((r) =>
      writeTx(cdb, () => {
        // Another process opening the database at the same moment may have recovered it already.
        if (getScan(cdb, r.id).status !== 'running') return false;
        endScan(
          cdb,
          r.id,
          'interrupted',
          `process ${r.owner_pid ?? '?'} on ${r.owner_host ?? '?'} stopped while the scan ran`,
          'system',
        );
        return true;
      }),
    )
    .map((r) => r.id);
}

export interface ResumePlan {
  scanId: number;
  status: ScanStatus;
  numClasses: number;
  /** Classes whose results are stored (kept on resume). */
  done: number[];
  /** Classes still to do, in order. */
  todo: number[];
  resumable: boolean;
}

export function resumePlan(cdb: CaseDb, scanId: number): ResumePlan {
  const s = getScan(cdb, scanId);
  const done = (
    cdb.sql.prepare('SELECT class_index FROM class_results WHERE scan_id = ? ORDER BY class_index').all(scanId) as {
      class_index: number;
    }[]
  ).map((r) => r.class_index);
  const have = new Set(done);
  const todo = Array.from({ length: s.numClasses }, (_, k) => k).filter((k) => !have.has(k));
  return {
    scanId,
    status: s.status,
    numClasses: s.numClasses,
    done,
    todo,
    resumable: ['interrupted', 'cancelled', 'failed'].includes(s.status) && s.job?.batch === undefined,
  };
}

/**
 * Completes a running scan: every class must have its row; the scoring (ratio, anomaly index,
 * flag), which needs all classes, is written into those rows, and from then on triggers freeze them.
 */
export function completeScan(cdb: CaseDb, id: number, result: ScanResult): ScanRecord {
  return writeTx(cdb, () => {
    const s = getScan(cdb, id);
    if (s.status !== 'running')
      throw new UmaError('BAD_INPUT', `scan ${id} is ${s.status}, not running; it cannot be completed`);
    const plan = resumePlan(cdb, id);
    if (plan.todo.length > 0)
      throw new UmaError('BAD_INPUT', `scan ${id} cannot complete: classes ${plan.todo.join(', ')} have no results`);
    if (result.classes.length !== s.numClasses)
      throw new UmaError(
        'BAD_INPUT',
        `scan ${id} has ${s.numClasses} classes; the result has ${result.classes.length}`,
      );
    const stored = cdb.sql.prepare('SELECT asr, mask_l1 FROM class_results WHERE scan_id = ? AND class_index = ?');
    const score = cdb.sql.prepare(
      'UPDATE class_results SET ratio = ?, anomaly_index = ?, flagged = ? WHERE scan_id = ? AND class_index = ?',
    );
    for (const c of result.classes) {
      const row = stored.get(id, c.index) as { asr: number; mask_l1: number } | undefined;
      if (!row || row.asr !== c.asr || row.mask_l1 !== c.maskL1) {
        throw new UmaError(
          'INTEGRITY',
          `scan ${id} class ${c.index}: the result's ASR/mask differ from the recorded class result`,
        );
      }
      if (c.anomalyIndex === null || c.flagged === null)
        throw new UmaError(
          'BAD_INPUT',
          `scan ${id} class ${c.index} has no anomaly index; a completed result scores every class`,
        );
      score.run(c.ratio, c.anomalyIndex, c.flagged ? 1 : 0, id, c.index);
    }
    const { classes: _classes, ...rest } = result;
    // The calibration chosen at queue time joins the stored result, and so the signed report.
    const meta = s.calibration ? { ...rest, calibration: s.calibration } : rest;
    cdb.sql
      .prepare(
        `UPDATE scans SET status = 'completed', finished = ?, verdict = ?, score = ?, target = ?, result_json = ?, owner_pid = NULL WHERE id = ?`,
      )
      .run(nowIso(), result.verdict, result.score, result.target, JSON.stringify(meta), id);
    appendAudit(cdb, 'scan.complete', `scan:${id}`, {
      verdict: result.verdict,
      score: result.score,
      target: result.target,
    });
    return getScan(cdb, id);
  });
}
