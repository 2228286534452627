/**
 * The service's side of batch scans, without a queue: the coordinator's record of a scan another
 * process runs, and the worker's scan that starts from checkpointed classes. A batch's scan left
 * interrupted is its coordinator's to reattach: neither the service's start-up resume nor scans/resume
 * runs it locally (that would scan the model twice, here and on a worker). batches/list shows it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiEvent, BatchInfo } from '../../../src/shared/api.ts';
import type { ClassFinding, ScanResult, ThresholdCalibrationRecord } from '../../../src/shared/results.ts';
import type { ScanParams } from '../../../src/shared/scan-params.ts';
import { writeManifest } from '../../../src/main/cases/batches.ts';
import { interruptScan } from '../../../src/main/cases/scans.ts';
import { startService, type Service } from '../../../src/main/service/index.ts';
import { scoredResult } from '../../../src/main/engine/scan/anomaly.ts';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-remote-scans-'));
const dbPath = path.join(home, 'cases.sqlite');
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

const open = () => startService({ dbPath, host: 'cli', pdf: false, backend: 'wasm' });

async function call<T>(svc: Service, method: string, args: unknown): Promise<T> {
  const reply = await svc.call(method, args);
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.value as T;
}

/** A scan of the bundled demo model in a fresh case: the arguments scans/start would get. */
async function demoScanArgs(svc: Service, caseName: string) {
  const kase = await call<{ id: number }>(svc, 'cases/create', { name: caseName });
  const ev = await call<{ id: number }>(svc, 'evidence/add', {
    caseId: kase.id,
    source: { kind: 'demo', which: 'trojaned' },
  });
  return {
    caseId: kase.id,
    evidenceId: ev.id,
    data: { kind: 'demo' as const },
    params: { maxPerClass: 10, inversionSteps: 4, ablationMaxEpochs: 0.05, referenceEpochs: 1, referenceMinSteps: 0 },
    workers: 0,
  };
}

/** The job's done or failed event, once it has come. */
function ended(events: ApiEvent[], jobId: string): Promise<ApiEvent> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const end = events.find((e) => (e.type === 'job/done' || e.type === 'job/failed') && e.jobId === jobId);
      if (end) {
        clearInterval(timer);
        resolve(end);
      }
    }, 50);
  });
}

/** A job's streamed classes as a worker's checkpoint holds them: each finding with its images. */
const classResults = (events: ApiEvent[], jobId: string) =>
  events.flatMap((e) =>
    e.type === 'job/class-result' && e.jobId === jobId ? [{ finding: e.finding, artifacts: e.images }] : [],
  );

describe('remote scans in the service', () => {
  it("keeps a batch's interrupted scan for its coordinator", async () => {
    let svc = await open();
    const { scanId } = await svc.remote.queue(await demoScanArgs(svc, 'Batch'), 'batch-test-1');
    interruptScan(svc.cdb, scanId, 'the coordinator stopped');
    await svc.close();

    svc = await open();
    try {
      expect(svc.resumedScanIds).toEqual([]);
      const got = await call<{ resumable: boolean; scan: { status: string } }>(svc, 'scans/get', { scanId });
      expect(got).toMatchObject({ resumable: false, scan: { status: 'interrupted' } });
      expect(await svc.call('scans/resume', { scanId })).toMatchObject({
        ok: false,
        error: { code: 'BAD_INPUT', message: expect.stringContaining("'uma batch --resume batch-test-1'") },
      });
      const plan = await svc.remote.reattach(scanId);
      expect(plan.status).toBe('running');

      // The Batches page's calls: the batch from its manifest, each scan as the database has it.
      writeManifest(svc.cdb.paths.dataDir, {
        batchId: 'batch-test-1',
        created: '2026-12-01T04:00:00.000Z',
        queue: 'redis://127.0.0.1:6379',
        caseId: 1,
        caseName: 'Batch',
        data: { kind: 'demo' },
        items: [{ scanId, jobId: `batch-test-1-scan-${scanId}`, model: 'demo' }],
      });
      const [listed] = await call<BatchInfo[]>(svc, 'batches/list', {});
      expect(listed).toMatchObject({ batchId: 'batch-test-1', caseName: 'Batch' });
      expect(listed.scans).toEqual([
        expect.objectContaining({ scanId, model: 'demo', status: 'running', classesDone: 0, numClasses: 10 }),
      ]);
      // No queue given to this host: the page says so instead of failing.
      expect(await call(svc, 'batches/queue', {})).toEqual({
        queue: null,
        connected: false,
        error: null,
        counts: null,
        workers: [],
      });
    } finally {
      await svc.close();
    }
  });

  it('a worker scan keeps the checkpointed classes and computes only the others', { timeout: 120_000 }, async () => {
    const svc = await open();
    try {
      const args = await demoScanArgs(svc, 'Worker');
      // Three classes of an earlier run of the same scan, as the queue's checkpoint would hand them over
      // after the worker that ran it died (the run here is finished whole: workers 0 leaves no moment to stop it).
      const events: ApiEvent[] = [];
      const off = svc.on((e) => events.push(e));
      const first = await svc.remote.startWithCheckpoint(args, []);
      expect((await ended(events, first.jobId)).type).toBe('job/done');
      const done = classResults(events, first.jobId).filter((c) => c.finding.index < 3);
      expect(done.map((c) => c.finding.index)).toEqual([0, 1, 2]);
      events.length = 0;

      const second = await svc.remote.startWithCheckpoint(args, done);
      const result = await ended(events, second.jobId);
      off();
      expect(result.type).toBe('job/done');
      const computed = events.flatMap((e) =>
        e.type === 'job/class-result' && e.jobId === second.jobId ? [e.finding.index] : [],
      );
      const kept = done.map((c) => c.finding.index);
      expect([...kept, ...computed].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, k) => k));
      const got = await call<{ scan: { status: string }; findings: { index: number; asr: number }[] }>(
        svc,
        'scans/get',
        { scanId: second.scanId },
      );
      expect(got.scan.status).toBe('completed');
      for (const c of done) expect(got.findings[c.finding.index].asr).toBe(c.finding.asr);
    } finally {
      await svc.close();
    }
  });

  it(
    "a per-class calibrated batch scan is flagged by the coordinator's class thresholds, not the worker's base",
    { timeout: 120_000 },
    async () => {
      const svc = await open();
      try {
        // One real worker run gives the findings, artifacts and result a worker sends.
        const events: ApiEvent[] = [];
        const off = svc.on((e) => events.push(e));
        const args = await demoScanArgs(svc, 'Per-class batch');
        const run = await svc.remote.startWithCheckpoint(args, []);
        const done = await ended(events, run.jobId);
        off();
        if (done.type !== 'job/done') throw new Error('the worker scan did not finish');
        const sent = classResults(events, run.jobId);
        // Measures set so that class 3 has a natural trigger in the clean model and the suspect alike
        // (index far above 2, the same in both), every other class none.
        const measures = (f: ClassFinding): ClassFinding => ({
          ...f,
          asr: f.index === 3 ? 1 : 0.05,
          maskL1: f.index === 3 ? 10 : 300,
          transferAsr: 0,
        });
        /** What a worker hands its coordinator: these measures, scored against the parameters it was sent. */
        const fromWorker = (params: ScanParams): ScanResult => {
          const r = { ...done.result, params, classes: done.result.classes.map(measures) };
          return { ...r, ...scoredResult(r, params, null) };
        };
        const complete = (scanId: number, params: ScanParams) => {
          for (const c of sent) svc.remote.record(scanId, { ...c, finding: measures(c.finding) });
          svc.remote.complete(scanId, fromWorker(params));
        };
        const paramsOf = async (scanId: number) =>
          await call<{ params: ScanParams; calibration: ThresholdCalibrationRecord | null }>(svc, 'scans/get', {
            scanId,
          });

        // The clean reference, recorded as a batch scan too, then the suspect calibrated per class on it.
        const cleanEv = await call<{ id: number }>(svc, 'evidence/add', {
          caseId: args.caseId,
          source: { kind: 'demo', which: 'clean' },
        });
        const clean = await svc.remote.queue({ ...args, evidenceId: cleanEv.id }, 'batch-test-per-class');
        complete(clean.scanId, (await paramsOf(clean.scanId)).params);
        const calibration = { cleanScanIds: [clean.scanId], rule: 'class' as const };
        const suspect = await svc.remote.queue({ ...args, calibration }, 'batch-test-per-class');
        const record = await paramsOf(suspect.scanId);
        const worker = fromWorker(record.params);
        // The fixture bites: against the base the worker flags class 3; its own threshold is twice its index.
        expect(worker.classes[3].flagged).toBe(true);
        expect(record.calibration!.classThresholds![3]).toBeGreaterThan(worker.classes[3].anomalyIndex!);
        complete(suspect.scanId, record.params);

        const got = await call<{ result: ScanResult }>(svc, 'scans/get', { scanId: suspect.scanId });
        expect(got.result.classes.map((k) => k.flagged)).toEqual(new Array(10).fill(false));
        expect(got.result).toMatchObject({ verdict: 'clean', target: null, calibration: record.calibration });
        for (const k of got.result.classes) expect(k.explanation?.agreesWithScan).toBe(true);
      } finally {
        await svc.close();
      }
    },
  );

  it(
    "a worker scan that backed off keeps both passes of the checkpoint and computes only the second pass's rest",
    { timeout: 120_000 },
    async () => {
      const svc = await open();
      try {
        const base = await demoScanArgs(svc, 'Backoff');
        // ASR threshold 1: every class short of a perfect trigger counts as failed, so one such class backs off.
        const args = { ...base, params: { ...base.params, ablationBackoffClasses: 1, ablationBackoffAsr: 1 } };
        const events: ApiEvent[] = [];
        const off = svc.on((e) => events.push(e));
        const first = await svc.remote.startWithCheckpoint(args, []);
        expect((await ended(events, first.jobId)).type).toBe('job/done');
        const results = classResults(events, first.jobId);
        expect(results).toHaveLength(20);
        // The checkpoint a worker would load: every first pass and the second pass of classes 0-2, in class order.
        const firstPasses = results.filter((c) => !c.finding.firstPass);
        const secondPasses = results.filter((c) => c.finding.firstPass && c.finding.index < 3);
        const done = [...firstPasses, ...secondPasses].sort(
          (a, b) => a.finding.index - b.finding.index || Number(!!a.finding.firstPass) - Number(!!b.finding.firstPass),
        );
        events.length = 0;

        const second = await svc.remote.startWithCheckpoint(args, done);
        expect((await ended(events, second.jobId)).type).toBe('job/done');
        off();
        const computed = events.flatMap((e) =>
          e.type === 'job/class-result' && e.jobId === second.jobId ? [[e.finding.index, !!e.finding.firstPass]] : [],
        );
        expect(computed).toEqual([3, 4, 5, 6, 7, 8, 9].map((k) => [k, true]));
        const got = await call<{ scan: { status: string }; findings: ClassFinding[] }>(svc, 'scans/get', {
          scanId: second.scanId,
        });
        expect(got.scan.status).toBe('completed');
        for (const c of secondPasses)
          expect(got.findings[c.finding.index]).toMatchObject({ asr: c.finding.asr, firstPass: c.finding.firstPass });
        expect(got.findings.every((f) => f.firstPass)).toBe(true);
        // The coordinator's record: a class already at its second pass takes neither pass again.
        expect(svc.remote.record(second.scanId, firstPasses[0])).toBe(false);
        expect(svc.remote.record(second.scanId, secondPasses[0])).toBe(false);
      } finally {
        await svc.close();
      }
    },
  );
});
