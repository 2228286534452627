/**
 * The anomaly threshold calibrated on recorded scans of known-clean models (docs/algorithm.md, step 5):
 * scans/calibrate previews it from a completed clean scan, scans/start sets it and records where it came
 * from (scan row, audit entry, result, signed report), and every ill-posed calibration is refused by name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UmaApi } from '../../../src/shared/api.ts';
import { CLASS_CALIBRATION_MARGIN, CLASS_CALIBRATION_SCORING, resolveParams } from '../../../src/shared/scan-params.ts';
import { main } from '../../../src/main/cli/index.ts';
import { unzipBag } from '../../../src/main/reports/bagit.ts';
import { roundThresholdUp } from '../../../src/main/engine/scan/calibration.ts';
import { startService, type Service } from '../../../src/main/service/index.ts';
import { memoryClient } from '../../../src/main/transport/memory.ts';
import { isType, ok, record, tempHome, TINY } from './helpers.ts';

let home: string;
let svc: Service;
let api: UmaApi;
/** A completed scan of the bundled clean demo model, and its model's evidence. */
let clean: { caseId: number; evidenceId: number; scanId: number; score: number; sha256: string };
beforeAll(async () => {
  home = tempHome();
  svc = await startService({ dbPath: path.join(home, 'cases.sqlite'), host: 'memory', pdf: false });
  ({ api } = memoryClient(svc));
  const rec = record(api);
  const c = ok(await api['cases/create']({ name: 'reference models' }));
  const ev = ok(await api['evidence/add']({ caseId: c.id, source: { kind: 'demo', which: 'clean' } }));
  const { scanId } = ok(
    await api['scans/start']({ caseId: c.id, evidenceId: ev.id, data: { kind: 'demo' }, params: TINY, workers: 2 }),
  );
  const done = await rec.next(isType('job/done', scanId));
  rec.stop();
  clean = { caseId: c.id, evidenceId: ev.id, scanId, score: done.result.score, sha256: ev.sha256 };
}, 120_000);
afterAll(async () => {
  await svc.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function suspectCase(name: string): Promise<{ caseId: number; evidenceId: number }> {
  const c = ok(await api['cases/create']({ name }));
  const ev = ok(await api['evidence/add']({ caseId: c.id, source: { kind: 'demo', which: 'trojaned' } }));
  return { caseId: c.id, evidenceId: ev.id };
}

function refusal(r: { ok: boolean; error?: { code: string; message: string } }): { code: string; message: string } {
  if (r.ok || !r.error) throw new Error('expected a refusal, got ok');
  return r.error;
}

describe('threshold calibration on recorded clean scans', () => {
  it('previews max(profile threshold, margin x the clean score), re-scored under the suspect scan constants', async () => {
    const { evidenceId } = await suspectCase('preview');
    const base = resolveParams(TINY).anomalyThreshold;
    const preview = ok(
      await api['scans/calibrate']({ calibration: { cleanScanIds: [clean.scanId] }, params: TINY, evidenceId }),
    );
    // Same scoring constants as the clean scan ran with: its re-score is its own score.
    expect(preview.clean).toEqual([
      expect.objectContaining({ scanId: clean.scanId, caseId: clean.caseId, sha256: clean.sha256 }),
    ]);
    expect(preview.clean[0].score).toBeCloseTo(clean.score, 10);
    expect(preview).toMatchObject({ base, margin: 3 });
    expect(preview.threshold).toBe(roundThresholdUp(Math.max(base, 3 * clean.score)));
    const wider = ok(
      await api['scans/calibrate']({ calibration: { cleanScanIds: [clean.scanId], margin: 50 }, params: TINY }),
    );
    expect(wider.threshold).toBe(roundThresholdUp(Math.max(base, 50 * clean.score)));
    // A stricter base is never lowered by the calibration.
    const high = ok(
      await api['scans/calibrate']({
        calibration: { cleanScanIds: [clean.scanId], margin: 0 },
        params: { ...TINY, anomalyThreshold: 7 },
      }),
    );
    expect(high.threshold).toBe(7);
  });

  it('sets the threshold of the scan it starts, and records where it came from in the row, audit, result and report', async () => {
    const { caseId, evidenceId } = await suspectCase('calibrated suspect');
    // A margin that lifts the threshold above the profile's (the demo's clean twin scores about 0.16 here).
    const calibration = { cleanScanIds: [clean.scanId], margin: 40 };
    const preview = ok(await api['scans/calibrate']({ calibration, params: TINY, evidenceId }));
    expect(preview.threshold).toBeGreaterThan(preview.base);
    const rec = record(api);
    const { scanId } = ok(
      await api['scans/start']({ caseId, evidenceId, data: { kind: 'demo' }, params: TINY, workers: 2, calibration }),
    );
    const queued = ok(await api['scans/get']({ scanId }));
    expect(queued.calibration).toEqual(preview);
    expect(queued.params.anomalyThreshold).toBe(preview.threshold);
    const done = await rec.next(isType('job/done', scanId));
    rec.stop();
    expect(done.result.calibration).toEqual(preview);
    expect(done.result.params.anomalyThreshold).toBe(preview.threshold);
    expect(done.result.verdict).toBe(done.result.score > preview.threshold ? 'trojaned' : 'clean');
    const stored = ok(await api['scans/get']({ scanId }));
    expect(stored.result?.calibration).toEqual(preview);

    const audit = ok(await api['audit/list']({ target: `scan:${scanId}` }));
    expect(audit.find((a) => a.action === 'scan.queue')?.details).toMatchObject({
      calibration: { threshold: preview.threshold, margin: 40, cleanScanIds: [clean.scanId] },
    });
    // `uma cases` names it beside the scan, for whoever reads the case from the command line.
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: () => undefined, isTTY: false };
    expect(await main(['cases', '--db', path.join(home, 'cases.sqlite')], io)).toBe(0);
    expect(out.find((l) => l.startsWith(`  scan ${scanId} `))).toContain(
      `threshold ${preview.threshold} calibrated on scans ${clean.scanId}`,
    );
    const report = ok(await api['reports/create']({ scanId, examiner: 'Alice Example' }));
    const archive = ok(await api['reports/download']({ reportId: report.id }));
    const verified = ok(await api['reports/verify']({ archive: { bytes: new Uint8Array(archive.bytes) } }));
    expect(verified.status).toBe('verified');
    expect(verified.checks.find((c) => c.name === 'calibration')).toMatchObject({ status: 'pass' });
    expect(verified.checks.find((c) => c.name === 'calibration')!.detail).toContain(clean.sha256.slice(0, 12));
    // The report says so where the threshold is stated, and lists the clean models by sha256.
    const html = Buffer.from(unzipBag(archive.bytes).get('data/report.html')!).toString('utf8');
    expect(html).toMatch(/threshold [\d.]+, calibrated on clean models|\(calibrated on clean models\)/);
    expect(html).toContain('<h2>Threshold calibration</h2>');
    expect(html).toContain(clean.sha256);
  }, 120_000);

  it('per class: scores each class against its own threshold under the working-class baseline, and records it', async () => {
    const { caseId, evidenceId } = await suspectCase('per-class suspect');
    const calibration = { cleanScanIds: [clean.scanId], rule: 'class' as const };
    const preview = ok(await api['scans/calibrate']({ calibration, params: TINY, evidenceId }));
    const base = resolveParams(TINY).anomalyThreshold;
    // The rule's own margin, the base as the scan's anomalyThreshold, one threshold per class.
    expect(preview).toMatchObject({ rule: 'class', base, margin: CLASS_CALIBRATION_MARGIN, threshold: base });
    const indices = preview.clean[0].classScores!;
    expect(preview.classThresholds).toEqual(
      indices.map((a) => roundThresholdUp(Math.max(base, CLASS_CALIBRATION_MARGIN * (a ?? -Infinity)))),
    );
    const rec = record(api);
    const { scanId } = ok(
      await api['scans/start']({ caseId, evidenceId, data: { kind: 'demo' }, params: TINY, workers: 2, calibration }),
    );
    const queued = ok(await api['scans/get']({ scanId }));
    expect(queued.calibration).toEqual(preview);
    // The rule's scoring is the scan's, in its parameters (and so its parameter digest).
    expect(queued.params).toMatchObject({ anomalyThreshold: base, ...CLASS_CALIBRATION_SCORING });
    const done = await rec.next(isType('job/done', scanId));
    rec.stop();
    const stored = ok(await api['scans/get']({ scanId })).result!;
    expect(stored.calibration).toEqual(preview);
    for (const k of stored.classes) {
      const own = preview.classThresholds![k.index];
      expect(k.explanation?.anomaly).toMatchObject({ threshold: own, perClass: true });
      expect(k.flagged).toBe(k.anomalyIndex! > own && !k.explanation?.transfer?.transfers);
      expect(k.explanation?.agreesWithScan).toBe(true);
    }
    expect(done.result.verdict).toBe(stored.classes.some((k) => k.flagged) ? 'trojaned' : 'clean');
    const audit = ok(await api['audit/list']({ target: `scan:${scanId}` }));
    expect(audit.find((a) => a.action === 'scan.queue')?.details).toMatchObject({
      calibration: { rule: 'class', classThresholds: preview.classThresholds, cleanScanIds: [clean.scanId] },
    });
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: () => undefined, isTTY: false };
    expect(await main(['cases', '--db', path.join(home, 'cases.sqlite')], io)).toBe(0);
    const raised = preview.classThresholds!.filter((t) => t > base).length;
    expect(out.find((l) => l.startsWith(`  scan ${scanId} `))).toContain(
      `threshold per class (${raised} above ${base}) calibrated on scans ${clean.scanId}`,
    );
    const report = ok(await api['reports/create']({ scanId, examiner: 'Alice Example' }));
    const archive = ok(await api['reports/download']({ reportId: report.id }));
    const verified = ok(await api['reports/verify']({ archive: { bytes: new Uint8Array(archive.bytes) } }));
    expect(verified.status).toBe('verified');
    expect(verified.checks.find((c) => c.name === 'calibration')).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/^per class: threshold_k = max\(/),
    });
    const html = Buffer.from(unzipBag(archive.bytes).get('data/report.html')!).toString('utf8');
    expect(html).toContain('<h2>Threshold calibration, per class</h2>');
    expect(html).toContain(clean.sha256);
  }, 120_000);

  it('refuses, by name, what cannot calibrate a threshold', async () => {
    const { caseId, evidenceId } = await suspectCase('refusals');
    const start = (extra: object) =>
      api['scans/start']({ caseId, evidenceId, data: { kind: 'demo' }, params: TINY, workers: 2, ...extra });
    const calibration = { cleanScanIds: [clean.scanId] };

    const both = refusal(await start({ calibration, params: { ...TINY, anomalyThreshold: 4 } }));
    expect(both).toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/either a calibration on clean scans or an anomalyThreshold/),
    });
    // The clean model's own scan, as the suspect's calibration.
    const itself = refusal(await api['scans/calibrate']({ calibration, params: TINY, evidenceId: clean.evidenceId }));
    expect(itself.message).toMatch(new RegExp(`scan ${clean.scanId} is a scan of the suspect model itself`));
    const survival = refusal(await api['scans/calibrate']({ calibration, params: { ...TINY, survivalTest: 1 } }));
    expect(survival.message).toMatch(/survival test flags surviving triggers whatever the threshold/);
    const method = refusal(await api['scans/calibrate']({ calibration, method: 'nc', params: TINY }));
    expect(method.message).toMatch(/'nc' scan is calibrated on 'nc' scans/);
    expect(refusal(await api['scans/calibrate']({ calibration: { cleanScanIds: [9999] } })).code).toBe('NOT_FOUND');
    expect(
      refusal(await api['scans/calibrate']({ calibration: { cleanScanIds: [clean.scanId, clean.scanId] } })).message,
    ).toMatch(/listed twice/);
    expect(
      refusal(await api['scans/calibrate']({ calibration: { cleanScanIds: [clean.scanId], margin: -1 } })).code,
    ).toBe('BAD_INPUT');

    // A scan that did not complete has no score to calibrate on; nothing is queued by a refused start.
    const { jobId, scanId: unfinished } = ok(await start({}));
    ok(await api['scans/cancel']({ jobId }));
    await expect.poll(async () => ok(await api['scans/get']({ scanId: unfinished })).scan.status).toBe('cancelled');
    const before = ok(await api['scans/list']({ caseId })).length;
    const notDone = refusal(await start({ calibration: { cleanScanIds: [clean.scanId, unfinished] } }));
    expect(notDone.message).toMatch(new RegExp(`scan ${unfinished} is cancelled: calibrate on completed scans`));
    expect(ok(await api['scans/list']({ caseId })).length).toBe(before);
    // Set when a scan is queued, never after, even on a scan that is not completed: the database refuses.
    expect(() => svc.cdb.sql.prepare("UPDATE scans SET calibration_json = '{}' WHERE id = ?").run(unfinished)).toThrow(
      /fixed when it is queued/,
    );
  }, 120_000);
});
