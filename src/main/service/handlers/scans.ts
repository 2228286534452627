/** Starting, cancelling, resuming and reading scans; the job list a reconnecting UI catches up from. */
import type { ParsedArgs } from '../../../shared/api.ts';
import { UmaError } from '../../../shared/errors.ts';
import type { ScanParams } from '../../../shared/scan-params.ts';
import { getEvidence, rehashEvidence } from '../../cases/evidence.ts';
import { getClassFindings, getScanResult } from '../../cases/findings.ts';
import { getScan, listScans, queueScan, resumePlan, type ScanRecord } from '../../cases/scans.ts';
import { dataClassNames } from '../../engine/data/index.ts';
import { calibrationScoring, resolveParams } from '../../../shared/scan-params.ts';
import { TOOL_VERSION } from '../../util/version.ts';
import { calibrateOnScans } from '../calibration.ts';
import { classesToCompute } from '../classes-to-compute.ts';
import type { HandlerGroup, ServiceContext } from '../context.ts';
import { classImages, scanSummary } from '../dto.ts';
import { labelsOf, materializeData } from '../materialize.ts';
import { loadEvidenceModel } from '../models.ts';
import { stampedPredictions } from '../stamped-predictions.ts';
import { uploadsDir } from './evidence.ts';

type Calls =
  | 'scans/start'
  | 'scans/calibrate'
  | 'scans/cancel'
  | 'scans/resume'
  | 'scans/get'
  | 'scans/list'
  | 'scans/artifacts'
  | 'scans/compare'
  | 'scans/stamped-predictions'
  | 'jobs/list';

/**
 * What scans/start checks and records before a scan can run anywhere: the evidence, the data and the
 * model agree, and a queued scans row holds everything a job needs. The batch host (remote-scans.ts)
 * queues its scans through this too, so a scan run on another machine is refused for the same reasons.
 */
export async function prepareScan(
  ctx: ServiceContext,
  a: ParsedArgs<'scans/start'>,
  batch?: string,
): Promise<{ scan: ScanRecord; warnings: string[] }> {
  const { cdb } = ctx;
  const ev = getEvidence(cdb, a.evidenceId);
  if (ev.caseId !== a.caseId)
    throw new UmaError('BAD_INPUT', `evidence ${ev.id} belongs to case ${ev.caseId}, not ${a.caseId}`);
  if (a.referenceEvidenceId !== undefined) getEvidence(cdb, a.referenceEvidenceId);
  if (a.calibration && a.params?.anomalyThreshold !== undefined)
    throw new UmaError(
      'BAD_INPUT',
      'give either a calibration on clean scans or an anomalyThreshold, not both: the calibration sets the threshold',
    );
  const requested = resolveParams(a.params as Partial<ScanParams> | undefined);
  // The per-class rule scores the scan as it was measured (CLASS_CALIBRATION_SCORING): visible in its parameters.
  const profileParams = a.calibration ? calibrationScoring(requested, a.calibration.rule) : requested;
  const data = materializeData(uploadsDir(ctx), a.data);
  const labels = labelsOf(a.data);
  // Refused here at once when the stored copy changed (audited); the job re-hashes again just
  // before it runs, since a queued scan may wait.
  await rehashEvidence(cdb, ev.id, 'before-scan');
  // The model is opened and the data's header read here, so a mismatch is refused now, not in the queue.
  const model = await loadEvidenceModel(cdb, ev);
  const {
    numClasses,
    report: { warnings },
  } = model;
  model.dispose();
  // The data's classes from its folder names or labels alone; the job loads the images once.
  const classNames = dataClassNames(data, { labelsPath: labels, classNames: ev.classNames ?? undefined });
  if (classNames.length !== numClasses) {
    throw new UmaError(
      'BAD_DATA',
      `the data has ${classNames.length} classes (${data}) but the model has ${numClasses}`,
    );
  }
  const calibration =
    a.calibration && calibrateOnScans(cdb, a.calibration, a.method, profileParams, { sha256: ev.sha256, numClasses });
  const params = calibration ? { ...profileParams, anomalyThreshold: calibration.threshold } : profileParams;
  const scan = queueScan(cdb, {
    evidenceId: ev.id,
    examiner: a.examiner ?? (ctx.settings.get().examinerName || undefined),
    method: a.method,
    params,
    seed: a.seed,
    toolVersion: TOOL_VERSION,
    backend: ctx.backend,
    classNames,
    job: { data, labels, workers: a.workers, referenceEvidenceId: a.referenceEvidenceId, batch },
    calibration,
  });
  return { scan, warnings };
}

export function scanHandlers(ctx: ServiceContext): HandlerGroup<Calls> {
  const { cdb, jobs } = ctx;
  return {
    'scans/start': async (a) => {
      const { scan, warnings } = await prepareScan(ctx, a);
      const job = jobs.enqueue(scan.id);
      return { jobId: job.jobId, scanId: scan.id, warnings };
    },
    'scans/calibrate': ({ calibration, method, params, evidenceId }) => {
      const ev = evidenceId === undefined ? undefined : getEvidence(cdb, evidenceId);
      const scoring = calibrationScoring(resolveParams(params as Partial<ScanParams> | undefined), calibration.rule);
      return calibrateOnScans(cdb, calibration, method, scoring, ev);
    },
    'scans/cancel': ({ jobId }) => {
      if (!jobs.cancel(jobId)) throw new UmaError('NOT_FOUND', `no queued or running job ${jobId}`);
      return { cancelled: true };
    },
    'scans/resume': ({ scanId }) => {
      const plan = resumePlan(cdb, scanId);
      const batch = getScan(cdb, scanId).job?.batch;
      if (batch !== undefined && plan.status !== 'completed')
        throw new UmaError(
          'BAD_INPUT',
          `scan ${scanId} runs on the queue of batch ${batch}; follow it with 'uma batch --resume ${batch}'`,
        );
      if (!plan.resumable)
        throw new UmaError(
          'BAD_INPUT',
          `scan ${scanId} is ${plan.status}; only interrupted, cancelled or failed scans resume`,
        );
      const job = jobs.enqueue(scanId);
      return { jobId: job.jobId, scanId, todo: classesToCompute(getScan(cdb, scanId), getClassFindings(cdb, scanId)) };
    },
    'scans/get': ({ scanId }) => {
      const s = getScan(cdb, scanId);
      const plan = resumePlan(cdb, scanId);
      const result = getScanResult(cdb, s);
      // A completed scan's findings are its result's, with their explanations; a running scan's have none yet.
      const findings = result?.classes ?? getClassFindings(cdb, scanId);
      return {
        scan: scanSummary(cdb, jobs, s),
        params: s.params,
        paramsSha256: s.paramsSha256,
        calibration: s.calibration,
        data: s.job?.data ?? null,
        findings,
        result,
        todo: classesToCompute(s, findings),
        resumable: plan.resumable,
      };
    },
    'scans/list': ({ caseId }) => {
      const rows =
        caseId === undefined
          ? (cdb.sql.prepare('SELECT id FROM scans ORDER BY id').all() as { id: number }[]).map((r) =>
              getScan(cdb, r.id),
            )
          : listScans(cdb, caseId);
      return rows.map((s) => scanSummary(cdb, jobs, s));
    },
    'scans/artifacts': ({ scanId, classIndex }) => classImages(cdb, scanId, classIndex),
    'scans/compare': ({ items }) =>
      items.map(({ scanId, classIndex }) => {
        const s = getScan(cdb, scanId);
        const finding = (getScanResult(cdb, s)?.classes ?? getClassFindings(cdb, scanId)).find(
          (f) => f.index === classIndex,
        );
        if (!finding) throw new UmaError('NOT_FOUND', `scan ${scanId} has no result for class ${classIndex}`);
        return {
          scanId,
          caseId: s.caseId,
          evidenceId: s.evidenceId,
          modelName: getEvidence(cdb, s.evidenceId).displayName,
          finding,
          images: classImages(cdb, scanId, classIndex),
        };
      }),
    'scans/stamped-predictions': ({ scanId, classIndex, count }) => stampedPredictions(cdb, scanId, classIndex, count),
    'jobs/list': () => jobs.list(),
  };
}
