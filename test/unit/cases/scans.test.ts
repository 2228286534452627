import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCase, listCases } from '../../../src/main/cases/cases.ts';
import { intakeEvidence, rehashEvidence } from '../../../src/main/cases/evidence.ts';
import { recordClassResult, getArtifacts, getClassFindings } from '../../../src/main/cases/findings.ts';
import {
  completeScan,
  getScan,
  listScans,
  queueScan,
  resumePlan,
  startScan,
  cancelScan,
} from '../../../src/main/cases/scans.ts';
import { recordScanResult } from '../../fixtures/reports/record-fixture.ts';
import { addNote, deleteNote, editNote, listNotes } from '../../../src/main/cases/notes.ts';
import { listAudit, verifyAuditLog } from '../../../src/main/cases/audit.ts';
import { sha256Hex } from '../../../src/main/util/digest.ts';
import { paramsSha256 } from '../../../src/main/util/params-digest.ts';
import { scanFixture, writeModel, classArtifacts, classFinding } from '../../fixtures/reports/scan-fixture.ts';
import { useTempDb } from './helpers.ts';
import type { ClassFinding } from '../../../src/shared/results.ts';

const db = useTempDb();

/** The 6-class fixture scan recorded in a new database, its classes first changed by `edit`. */
async function recorded(edit: (classes: ClassFinding[]) => void = () => undefined) {
  const { cdb, dir } = db();
  const model = writeModel(dir);
  const { result, artifacts } = scanFixture({ classes: 6, target: 3, modelSha256: sha256Hex(fs.readFileSync(model)) });
  edit(result.classes);
  const ids = await recordScanResult(cdb, {
    caseName: 'Case 1',
    evidence: { files: [model], format: 'onnx' },
    result,
    artifacts,
    examiner: 'alice',
  });
  return { cdb, dir, model, result, artifacts, ...ids };
}

describe('scans, findings and their immutability', () => {
  it('recordScanResult stores the scan, every class and its PNGs, and the audit trail', async () => {
    const { cdb, result, artifacts, scanId, caseId } = await recorded();
    const scan = getScan(cdb, scanId);
    expect(scan).toMatchObject({
      status: 'completed',
      verdict: 'trojaned',
      score: 7.25,
      target: 3,
      method: 'uma',
      seed: 1234,
      examiner: 'alice',
      numClasses: 6,
    });
    expect(scan.paramsSha256).toBe(paramsSha256(result.params, 'uma', 1234));
    expect(scan.paramsSha256).toBe(result.paramsSha256);
    expect(scan.params).toEqual(result.params);
    expect(scan.prescanSha256).toBe(result.model.sha256);
    expect(getClassFindings(cdb, scanId)).toEqual(result.classes);
    const arts = getArtifacts(cdb, scanId);
    expect(arts).toHaveLength(6 * 4);
    expect(Buffer.from(arts[0].png).equals(Buffer.from(artifacts[0].mask))).toBe(true);
    expect(arts.every((a) => a.sha256 === sha256Hex(a.png))).toBe(true);
    expect(listScans(cdb, caseId).map((s) => s.id)).toEqual([scanId]);
    expect(listCases(cdb).map((c) => c.examiner)).toEqual(['alice']);
    const actions = listAudit(cdb, `scan:${scanId}`).map((e) => e.action);
    expect(actions).toEqual(['scan.queue', 'scan.start', ...Array(6).fill('scan.class-result'), 'scan.complete']);
    expect(verifyAuditLog(cdb).ok).toBe(true);
  });

  it("stores a class's survival test and reads it back; classes without one read back without it", async () => {
    const survival = { maskL1: 129.5, asrModel: 1, asrAblated: 0.96 };
    const { cdb, scanId, result } = await recorded((classes) => {
      classes[3] = { ...classes[3], survival };
    });
    const stored = getClassFindings(cdb, scanId);
    expect(stored).toEqual(result.classes);
    expect(stored[3].survival).toEqual(survival);
    expect('survival' in stored[0]).toBe(false);
    const audit = listAudit(cdb, `scan:${scanId}`).filter((e) => e.action === 'scan.class-result');
    expect(audit.map((e) => (e.details as { survival?: unknown }).survival ?? null)).toEqual([
      null,
      null,
      null,
      survival,
      null,
      null,
    ]);
  });

  it("stores the rate each class's ablation ran at and reads it back; classes without one read back without it", async () => {
    const { cdb, scanId } = await recorded((classes) => {
      classes[2] = { ...classes[2], ablationLr: 5e-4 };
      classes[4] = { ...classes[4], ablationLr: null };
    });
    const stored = getClassFindings(cdb, scanId);
    expect(stored[2].ablationLr).toBe(5e-4);
    expect('ablationLr' in stored[4]).toBe(false);
    expect('ablationLr' in stored[0]).toBe(false);
  });

  it('findings of a completed scan cannot be updated, deleted or added to; the audit log neither', async () => {
    const { cdb, scanId } = await recorded();
    const attempts = [
      'UPDATE class_results SET asr = 0.1 WHERE class_index = 3',
      'UPDATE class_results SET flagged = 0',
      'DELETE FROM class_results WHERE class_index = 0',
      "UPDATE artifacts SET sha256 = 'x'",
      'DELETE FROM artifacts',
      `INSERT INTO class_results (scan_id, class_index, name, asr, mask_l1, seconds, created) VALUES (${scanId}, 99, 'x', 1, 1, 1, 'x')`,
      "UPDATE scans SET verdict = 'clean'",
      'DELETE FROM scans',
    ];
    for (const q of attempts) expect(() => cdb.sql.prepare(q).run(), q).toThrow(/never change/);
    expect(() => cdb.sql.prepare("UPDATE audit_log SET actor = 'mallory'").run()).toThrow(/append-only/);
    expect(() => cdb.sql.prepare('DELETE FROM audit_log WHERE seq = 1').run()).toThrow(/append-only/);
    expect(getClassFindings(cdb, scanId)[3].asr).toBe(0.99);
  });

  it('a running scan takes class rows one at a time; resumePlan lists the rest; completion needs all', async () => {
    const { cdb, dir } = db();
    const kase = createCase(cdb, { name: 'C' });
    const ev = await intakeEvidence(cdb, { caseId: kase.id, files: [writeModel(dir)] });
    const { result } = scanFixture({ classes: 5, modelSha256: ev.sha256 });
    const s = queueScan(cdb, {
      evidenceId: ev.id,
      method: 'uma',
      params: result.params,
      seed: 7,
      toolVersion: '0.1.0',
      backend: 'wasm',
      classNames: result.classes.map((c) => c.name),
      job: { data: 'demo' },
    });
    expect(() => recordClassResult(cdb, s.id, result.classes[0], classArtifacts(0))).toThrow(/queued/);
    expect(() => startScan(cdb, s.id, { evidenceId: ev.id, purpose: 'manual', sha256: ev.sha256, at: '' })).toThrow(
      /before-scan/,
    );
    startScan(cdb, s.id, await rehashEvidence(cdb, ev.id, 'before-scan'));
    for (const k of [0, 2]) recordClassResult(cdb, s.id, classFinding(k, classArtifacts(k)), classArtifacts(k));
    expect(resumePlan(cdb, s.id)).toMatchObject({ status: 'running', done: [0, 2], todo: [1, 3, 4], resumable: false });
    expect(() => recordClassResult(cdb, s.id, classFinding(2, classArtifacts(2)), classArtifacts(2))).toThrow(
      /class 2 of scan \d+ is already recorded \(first pass\)/,
    );
    expect(() => recordClassResult(cdb, s.id, classFinding(7, classArtifacts(7)), classArtifacts(7))).toThrow(
      /outside/,
    );
    const wrong = {
      ...classFinding(1, classArtifacts(1)),
      artifactDigests: [{ kind: 'mask' as const, sha256: '0'.repeat(64) }],
    };
    expect(() => recordClassResult(cdb, s.id, wrong, classArtifacts(1))).toThrow(/do not match/);
    expect(() => completeScan(cdb, s.id, result)).toThrow(/classes 1, 3, 4 have no results/);
    const unscored = { ...classFinding(1, classArtifacts(1)), anomalyIndex: null, flagged: null };
    recordClassResult(cdb, s.id, unscored, classArtifacts(1));
    expect(getClassFindings(cdb, s.id)[1]).toMatchObject({ index: 1, anomalyIndex: null, flagged: null });
    for (const k of [3, 4]) recordClassResult(cdb, s.id, result.classes[k], classArtifacts(k));
    expect(() =>
      completeScan(cdb, s.id, {
        ...result,
        classes: result.classes.map((c) => (c.index === 4 ? { ...c, anomalyIndex: null } : c)),
      }),
    ).toThrow(/class 4 has no anomaly index/);
    expect(() =>
      completeScan(cdb, s.id, {
        ...result,
        classes: result.classes.map((c) => (c.index === 3 ? { ...c, asr: 0.5 } : c)),
      }),
    ).toThrow(/differ from the recorded/);
    cdb.sql.prepare('DELETE FROM artifacts WHERE scan_id = ? AND class_index IN (1, 3, 4)').run(s.id);
    cdb.sql.prepare('DELETE FROM class_results WHERE scan_id = ? AND class_index IN (1, 3, 4)').run(s.id);
    cancelScan(cdb, s.id);
    expect(resumePlan(cdb, s.id)).toMatchObject({ status: 'cancelled', todo: [1, 3, 4], resumable: true });
    startScan(cdb, s.id, await rehashEvidence(cdb, ev.id, 'before-scan'));
    for (const k of [1, 3, 4]) recordClassResult(cdb, s.id, result.classes[k], classArtifacts(k));
    // Until completion the scoring of stored rows may still be written; afterwards it is frozen.
    completeScan(cdb, s.id, result);
    expect(getClassFindings(cdb, s.id).map((c) => c.flagged)).toEqual(result.classes.map((c) => c.flagged));
    expect(listAudit(cdb, `scan:${s.id}`).map((e) => e.action)).toContain('scan.resume');
  });

  it("the ablation backoff's second pass replaces a class's row and PNGs, keeping its first pass's measures", async () => {
    const { cdb, dir } = db();
    const kase = createCase(cdb, { name: 'C' });
    const ev = await intakeEvidence(cdb, { caseId: kase.id, files: [writeModel(dir)] });
    const { result } = scanFixture({ classes: 3, modelSha256: ev.sha256 });
    const s = queueScan(cdb, {
      evidenceId: ev.id,
      method: 'uma',
      params: { ...result.params, ablationBackoffClasses: 2, ablationBackoffLr: 5e-4 },
      seed: 7,
      toolVersion: '0.1.0',
      backend: 'wasm',
      classNames: result.classes.map((c) => c.name),
      job: { data: 'demo' },
    });
    startScan(cdb, s.id, await rehashEvidence(cdb, ev.id, 'before-scan'));
    const first = classFinding(1, classArtifacts(1));
    recordClassResult(cdb, s.id, first, classArtifacts(1));
    const firstDigests = getArtifacts(cdb, s.id).map((a) => a.sha256);
    // The second pass: other measures, other PNGs (three stamped examples, not two).
    const art = classArtifacts(1, 3, 12);
    const firstPass = {
      asr: first.asr,
      maskL1: first.maskL1,
      ablationSteps: first.ablationSteps,
      ablatedAccTarget: first.ablatedAccTarget,
    };
    const second = { ...classFinding(1, art), asr: 0.97, maskL1: 8, firstPass };
    // Its first pass must be the recorded one.
    expect(() => recordClassResult(cdb, s.id, { ...second, firstPass: { ...firstPass, asr: 0.1 } }, art)).toThrow(
      /first-pass measures .* are not the recorded ones/,
    );
    recordClassResult(cdb, s.id, second, art);
    const [row] = getClassFindings(cdb, s.id);
    expect(row).toMatchObject({ index: 1, asr: 0.97, maskL1: 8, firstPass });
    expect(getArtifacts(cdb, s.id).map((a) => a.sha256)).toEqual(second.artifactDigests.map((d) => d.sha256));
    // Neither pass again.
    expect(() => recordClassResult(cdb, s.id, second, art)).toThrow(/already recorded \(second pass\)/);
    expect(() => recordClassResult(cdb, s.id, first, classArtifacts(1))).toThrow(/already recorded \(second pass\)/);
    const audit = listAudit(cdb, `scan:${s.id}`).filter((e) => e.action.startsWith('scan.class-'));
    expect(audit.map((e) => e.action)).toEqual(['scan.class-result', 'scan.class-rescan']);
    expect(audit[1].details).toMatchObject({
      classIndex: 1,
      ablationLr: 5e-4,
      replaced: { asr: first.asr, maskL1: first.maskL1, artifacts: firstDigests },
      firstPass,
    });
    expect(verifyAuditLog(cdb).ok).toBe(true);
    // A second pass with no row (seeded from a batch checkpoint after its first pass was replaced) is taken as it is.
    const art2 = classArtifacts(2);
    recordClassResult(cdb, s.id, { ...classFinding(2, art2), firstPass }, art2);
    expect(getClassFindings(cdb, s.id)[1].firstPass).toEqual(firstPass);
  });

  it('notes are editable and every version is in the audit log', async () => {
    const { cdb, caseId, scanId } = await recorded();
    const n = addNote(cdb, { caseId, scanId, classIndex: 3, text: 'target looks like a yellow square' });
    editNote(cdb, n.id, 'target: yellow square, bottom right');
    expect(listNotes(cdb, caseId).map((x) => x.text)).toEqual(['target: yellow square, bottom right']);
    deleteNote(cdb, n.id);
    expect(listNotes(cdb, caseId)).toEqual([]);
    expect(listAudit(cdb, `note:${n.id}`).map((e) => [e.action, e.details.text ?? e.details.after])).toEqual([
      ['note.add', 'target looks like a yellow square'],
      ['note.edit', 'target: yellow square, bottom right'],
      ['note.delete', 'target: yellow square, bottom right'],
    ]);
  });
});
