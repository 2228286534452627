/**
 * The contract end to end over the in-memory transport, which structured-clones every message as the
 * Electron MessagePort does: a scan with progress, class results and done; cancel and resume (only
 * the unfinished classes redone); the integrity refusal; uploads as bytes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UmaApi } from '../../../src/shared/api.ts';
import { getEvidence, storedFiles } from '../../../src/main/cases/evidence.ts';
import { getClassFindings } from '../../../src/main/cases/findings.ts';
import { startService, type Service } from '../../../src/main/service/index.ts';
import { DEMO_MODELS } from '../../../src/main/service/materialize.ts';
import { memoryClient } from '../../../src/main/transport/memory.ts';
import { demoCase, isPng, isType, ok, record, tempHome, TINY } from './helpers.ts';

let home: string;
let svc: Service;
let api: UmaApi;
beforeAll(async () => {
  home = tempHome();
  svc = await startService({ dbPath: path.join(home, 'cases.sqlite'), host: 'memory', pdf: false });
  ({ api } = memoryClient(svc));
});
afterAll(async () => {
  await svc.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('service over the in-memory transport', () => {
  it('runs a demo scan: progress, every class result (stored before it is announced, PNGs as bytes), then done', async () => {
    const rec = record(api);
    // At the moment the service emits a class result (synchronously), its row must already be stored.
    const storedWhenAnnounced: boolean[] = [];
    const off = svc.on((e) => {
      if (e.type === 'job/class-result')
        storedWhenAnnounced.push(getClassFindings(svc.cdb, e.scanId).some((f) => f.index === e.finding.index));
    });
    const { caseId, evidenceId } = await demoCase(api, 'full scan');
    const { jobId, scanId } = ok(
      await api['scans/start']({ caseId, evidenceId, data: { kind: 'demo' }, params: TINY, workers: 2 }),
    );
    const firstProgress = await rec.next(isType('job/progress', scanId));
    const jobs = ok(await api['jobs/list']({}));
    expect(jobs).toEqual([expect.objectContaining({ jobId, scanId, caseId, state: 'running' })]);
    expect(jobs[0].progress).not.toBeNull();
    expect(firstProgress.jobId).toBe(jobId);

    const done = await rec.next(isType('job/done', scanId));
    const mine = rec.events.filter((e) => 'jobId' in e && e.jobId === jobId);
    expect(mine[0].type).toBe('job/progress');
    expect(mine.at(-1)).toBe(done);
    const results = mine.filter(isType('job/class-result'));
    expect(sorted(results.map((e) => e.finding.index))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const r of results) {
      expect(isPng(r.images.mask) && isPng(r.images.pattern)).toBe(true);
      expect(r.images.stamped.length).toBeGreaterThan(0);
      expect(r.images.stamped.every(isPng)).toBe(true);
    }
    expect(done.result.verdict).toBe('trojaned');
    expect(done.result.target).toBe(7);
    off();
    expect(storedWhenAnnounced).toEqual(Array(10).fill(true));

    const detail = ok(await api['scans/get']({ scanId }));
    expect(detail.scan.status).toBe('completed');
    expect(detail.scan.classesDone).toBe(10);
    expect(detail.result?.classes.every((c) => c.anomalyIndex !== null)).toBe(true);
    const seven = results.find((r) => r.finding.index === 7)!;
    const stored = ok(await api['scans/artifacts']({ scanId, classIndex: 7 }));
    expect(Buffer.from(stored.mask).equals(Buffer.from(seven.images.mask))).toBe(true);
    const compare = ok(
      await api['scans/compare']({
        items: [
          { scanId, classIndex: 7 },
          { scanId, classIndex: 3 },
        ],
      }),
    );
    expect(compare.map((c) => [c.finding.index, c.finding.flagged])).toEqual([
      [7, true],
      [3, false],
    ]);
    expect(ok(await api['jobs/list']({}))).toEqual([]);
    expect(ok(await api['audit/verify']({})).ok).toBe(true);
    rec.stop();
  });

  // Two tiny scans back to back: about 25 s alone, over a minute on two cores shared with other jobs.
  it('cancels a running scan, then resumes it redoing only the classes without a stored result', async () => {
    const rec = record(api);
    const { caseId, evidenceId } = await demoCase(api, 'cancel and resume');
    const first = ok(
      await api['scans/start']({ caseId, evidenceId, data: { kind: 'demo' }, params: TINY, workers: 2 }),
    );
    await rec.next(isType('job/class-result', first.scanId));
    expect(ok(await api['scans/cancel']({ jobId: first.jobId }))).toEqual({ cancelled: true });
    const failed = await rec.next(isType('job/failed', first.scanId));
    expect(failed.error.code).toBe('CANCELLED');

    const stopped = ok(await api['scans/get']({ scanId: first.scanId }));
    expect(stopped.scan.status).toBe('cancelled');
    expect(stopped.resumable).toBe(true);
    const kept = stopped.findings.map((f) => f.index);
    expect(kept.length).toBeGreaterThan(0);
    expect(sorted([...kept, ...stopped.todo])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const resumed = ok(await api['scans/resume']({ scanId: first.scanId }));
    expect(resumed.todo).toEqual(stopped.todo);
    expect(resumed.jobId).not.toBe(first.jobId);
    const done = await rec.next(
      (e): e is Extract<typeof e, { type: 'job/done' }> => e.type === 'job/done' && e.jobId === resumed.jobId,
    );
    const redone = rec.events
      .filter(isType('job/class-result'))
      .filter((e) => e.jobId === resumed.jobId)
      .map((e) => e.finding.index);
    expect(sorted(redone)).toEqual(stopped.todo);
    expect(done.result.classes).toHaveLength(10);
    expect(ok(await api['scans/get']({ scanId: first.scanId })).scan.status).toBe('completed');
    const actions = ok(await api['audit/list']({ target: `scan:${first.scanId}` })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['scan.start', 'scan.cancel', 'scan.resume', 'scan.complete']));
    rec.stop();
  }, 180_000);

  it('refuses to scan evidence whose stored copy changed, and audits the mismatch', async () => {
    const c = ok(await api['cases/create']({ name: 'tampered' }));
    const ev = ok(await api['evidence/add']({ caseId: c.id, source: { kind: 'demo', which: 'clean' } }));
    const file = storedFiles(svc.cdb, getEvidence(svc.cdb, ev.id))[1];
    fs.chmodSync(file, 0o644);
    fs.appendFileSync(file, Buffer.from([0]));
    const scansBefore = ok(await api['scans/list']({})).length;
    const refused = await api['scans/start']({ caseId: c.id, evidenceId: ev.id, data: { kind: 'demo' }, params: TINY });
    expect(refused).toMatchObject({ ok: false, error: { code: 'INTEGRITY' } });
    expect(ok(await api['scans/list']({}))).toHaveLength(scansBefore);
    const audit = ok(await api['audit/list']({ target: `evidence:${ev.id}` })).map((a) => a.action);
    expect(audit).toContain('evidence.integrity-failure');
    expect(ok(await api['jobs/list']({}))).toEqual([]);
  });

  it('takes models and image data uploaded as bytes, and refuses paths that climb out', async () => {
    const c = ok(await api['cases/create']({ name: 'uploads' }));
    const dir = path.dirname(DEMO_MODELS.trojaned);
    const files = ['model.json', 'weights.bin'].map((name) => ({
      name,
      bytes: new Uint8Array(fs.readFileSync(path.join(dir, name))),
    }));
    const uploaded = ok(
      await api['evidence/add']({
        caseId: c.id,
        source: { kind: 'upload', files },
        inputSpec: { classNames: 'abcdefghij'.split('') },
      }),
    );
    const fromDemo = ok(await api['evidence/add']({ caseId: c.id, source: { kind: 'demo', which: 'trojaned' } }));
    expect(uploaded.sha256).toBe(fromDemo.sha256);
    expect(uploaded.classNames).toEqual('abcdefghij'.split(''));
    const inspection = ok(await api['evidence/inspect']({ evidenceId: uploaded.id }));
    expect(inspection.inputSpec.classNames?.[9]).toBe('j');
    expect(inspection.weightLayers.map((l) => l.frozenAtHalf)).toEqual([true, true, false, false]);
    // The model view: weight shapes that add up to each layer's parameter count; accuracy on clean data on request.
    for (const l of inspection.weightLayers)
      expect(l.shapes.reduce((n, sh) => n + sh.reduce((a, b) => a * b, 1), 0)).toBe(l.params);
    expect(inspection.accuracy).toBeUndefined();
    const measured = ok(await api['evidence/inspect']({ evidenceId: uploaded.id, data: { kind: 'demo' } })).accuracy!;
    expect(measured.count).toBeGreaterThan(0);
    expect(measured.correct / measured.count).toBe(measured.accuracy);
    // An upload records the name it came as, never the service's temporary folder.
    expect(uploaded.originalPath).toBe('uploaded as model.json');
    // The case list finds a case by (part of) a model's sha256 or file name.
    expect(ok(await api['cases/list']({ query: uploaded.sha256.slice(0, 16) })).map((k) => k.id)).toContain(c.id);
    expect(ok(await api['cases/list']({ query: 'weights.bin' })).map((k) => k.id)).toContain(c.id);

    const png = (v: number) => {
      const p = new PNG({ width: 4, height: 4 });
      p.data.fill(v);
      return new Uint8Array(PNG.sync.write(p));
    };
    const zip = zipSync({
      'set/cat/1.png': png(10),
      'set/cat/2.png': png(20),
      'set/dog/1.png': png(200),
      '__MACOSX/x': new Uint8Array(1),
    });
    const fromZip = ok(await api['data/inspect']({ data: { kind: 'zip', bytes: zip } }));
    expect([fromZip.count, fromZip.classNames, fromZip.perClass, fromZip.shape[0]]).toEqual([
      3,
      ['cat', 'dog'],
      [2, 1],
      4,
    ]);
    const fromFiles = ok(
      await api['data/inspect']({
        data: {
          kind: 'upload',
          files: [
            { path: 'cat/1.png', bytes: png(10) },
            { path: 'dog/1.png', bytes: png(9) },
          ],
        },
      }),
    );
    expect(fromFiles.classNames).toEqual(['cat', 'dog']);
    // Colour data for a 1-channel model is converted, and the inspection says so (issue 15).
    const colour = new PNG({ width: 4, height: 4 });
    colour.data.fill(255);
    colour.data[0] = 0;
    const colourFile = { path: 'cat/1.png', bytes: new Uint8Array(PNG.sync.write(colour)) };
    const grayed = ok(await api['data/inspect']({ data: { kind: 'upload', files: [colourFile] }, channels: 1 }));
    expect(grayed.warnings?.[0]).toMatch(/^1 of 1 images are in colour; converted to grayscale/);

    const climb = await api['data/inspect']({
      data: { kind: 'upload', files: [{ path: '../../etc/x.png', bytes: png(1) }] },
    });
    expect(climb).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    // A pickle is evidence too: taken in and hashed, never opened.
    const pickle = ok(
      await api['evidence/add']({
        caseId: c.id,
        source: {
          kind: 'upload',
          files: [{ name: 'model.pt', bytes: new Uint8Array([0x80, 2, 0x7d, 0x71, 0, 0x2e]) }],
        },
      }),
    );
    expect(pickle.format).toBeNull();
    expect(await api['evidence/inspect']({ evidenceId: pickle.id })).toMatchObject({
      ok: false,
      error: { code: 'UNSUPPORTED_MODEL', message: expect.stringContaining('ONNX') },
    });
    const badName = await api['evidence/add']({
      caseId: c.id,
      source: { kind: 'upload', files: [{ name: '..', bytes: new Uint8Array(4) }] },
    });
    expect(badName).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });
});

describe('a service stopped cleanly mid-scan', () => {
  it('leaves the scan interrupted, not failed, and the next start resumes it', async () => {
    const dir = tempHome('uma-stop-');
    const dbPath = path.join(dir, 'cases.sqlite');
    try {
      const first = await startService({ dbPath, host: 'memory', pdf: false });
      const firstApi = memoryClient(first).api;
      const rec = record(firstApi);
      const { caseId, evidenceId } = await demoCase(firstApi, 'stopped');
      const { scanId } = ok(
        await firstApi['scans/start']({ caseId, evidenceId, data: { kind: 'demo' }, params: TINY, workers: 1 }),
      );
      await rec.next(isType('job/progress', scanId));
      await first.close();

      const second = await startService({ dbPath, host: 'memory', pdf: false, resumeInterrupted: false });
      try {
        const secondApi = memoryClient(second).api;
        const detail = ok(await secondApi['scans/get']({ scanId }));
        expect(detail.scan.status).toBe('interrupted');
        const actions = ok(await secondApi['audit/list']({ target: `scan:${scanId}` })).map((e) => e.action);
        expect(actions).toContain('scan.interrupt');
        expect(actions).not.toContain('scan.fail');
      } finally {
        await second.close();
      }
      const third = await startService({ dbPath, host: 'memory', pdf: false });
      try {
        expect(third.resumedScanIds).toEqual([scanId]);
      } finally {
        await third.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
