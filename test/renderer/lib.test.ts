// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { caseAuditEntries } from '../../src/renderer/src/lib/audit.ts';
import { classThreshold, classThresholdsOf, raisedClasses } from '../../src/shared/calibration-record.ts';
import {
  calibrationProblem,
  calibrationSpec,
  calibrationSummary,
  cleanCandidates,
  emptyCalibration,
  marginError,
  raisedList,
  thresholdFormula,
  withoutCalibratedKey,
  withRule,
} from '../../src/renderer/src/lib/calibration.ts';
import { demoCaseName, DEMO_CASE } from '../../src/renderer/src/lib/demo.ts';
import { duration, fingerprint, pct, when } from '../../src/renderer/src/lib/format.ts';
import { layoutGraph, NODE_H, NODE_W } from '../../src/renderer/src/lib/graph-layout.ts';
import { defaultValues, paramError, paramOverrides } from '../../src/renderer/src/lib/params.ts';
import { href, parseHash } from '../../src/renderer/src/lib/routes.ts';
import { shortcutFor } from '../../src/renderer/src/lib/shortcuts.ts';
import { nextSort, sortFindings } from '../../src/renderer/src/lib/sort.ts';
import { calibrationRecord, caseDetail, classCalibrationRecord, classes, finding, scanSummary } from './fixtures.ts';

describe('routes', () => {
  it('round-trips every route with params and query through the hash', () => {
    const h = href('triggers', { scanId: 12 }, { class: '7' });
    expect(h).toBe('#/scans/12/triggers?class=7');
    expect(parseHash(h)).toMatchObject({ name: 'triggers', params: { scanId: '12' }, query: { class: '7' } });
    expect(parseHash('#/cases/3/new-scan')).toMatchObject({ name: 'newScan', params: { caseId: '3' } });
    expect(parseHash('#/scans/4')).toMatchObject({ name: 'results', params: { scanId: '4' } });
  });
  it('maps an empty hash to home and unknown paths to not-found', () => {
    expect(parseHash('').name).toBe('home');
    expect(parseHash('#/nope/1/2').name).toBe('not-found');
    expect(() => href('case')).toThrow(/caseId/);
  });
});

describe('findings sort', () => {
  it('sorts by a column in both directions and keeps nulls last', () => {
    const rows = [
      finding(0, { transferAsr: 0.2 }),
      finding(1, { transferAsr: null }),
      finding(2, { transferAsr: 0.9 }),
    ];
    expect(sortFindings(rows, { key: 'transferAsr', dir: 'desc' }).map((f) => f.index)).toEqual([2, 0, 1]);
    expect(sortFindings(rows, { key: 'transferAsr', dir: 'asc' }).map((f) => f.index)).toEqual([0, 2, 1]);
    expect(sortFindings(classes(), { key: 'flagged', dir: 'desc' })[0].index).toBe(7);
  });
  it('flips the sorted column and starts a new one descending', () => {
    expect(nextSort({ key: 'asr', dir: 'desc' }, 'asr')).toEqual({ key: 'asr', dir: 'asc' });
    expect(nextSort({ key: 'asr', dir: 'asc' }, 'maskL1')).toEqual({ key: 'maskL1', dir: 'desc' });
    expect(nextSort({ key: 'asr', dir: 'asc' }, 'index')).toEqual({ key: 'index', dir: 'asc' });
  });
});

describe('scan parameters form model', () => {
  it('sends only what differs from the defaults', () => {
    const v = defaultValues();
    expect(paramOverrides(v)).toEqual({});
    v.inversionSteps = '100';
    v.maxPerClass = '50';
    v.ablationBeta = '';
    expect(paramOverrides(v)).toEqual({ inversionSteps: 100, maxPerClass: 50 });
    expect(paramOverrides(defaultValues({ maxPerClass: 100 }))).toEqual({ maxPerClass: 100 });
  });
  it('accepts empty only for parameters that may be empty', () => {
    expect(paramError('maxPerClass', '')).toBeNull();
    expect(paramError('inversionSteps', '')).toBe('required');
    expect(paramError('ablationLr', '2e-3')).toBeNull();
    expect(paramError('ablationLr', 'fast')).toBe('not a number');
  });
});

describe('small helpers', () => {
  it('numbers the demo case when earlier ones exist', () => {
    expect(demoCaseName([])).toBe(DEMO_CASE);
    expect(demoCaseName([DEMO_CASE, `${DEMO_CASE} (2)`])).toBe(`${DEMO_CASE} (3)`);
  });
  it('formats fractions and durations', () => {
    expect(pct(0.891)).toBe('89.1%');
    expect(pct(null)).toBe('–');
    expect(duration(75)).toBe('1m 15s');
    expect(duration(null)).toBe('–');
  });
  it('shows every date in UTC and says so, whatever the machine zone', () => {
    expect(when('2026-11-24T01:02:03.456Z')).toBe('2026-11-24 01:02:03 UTC');
    expect(when('2026-11-24T01:02:03+02:00')).toBe('2026-11-23 23:02:03 UTC');
    expect(when(null)).toBe('–');
  });
  it('ignores shortcut keys while typing, except Escape', () => {
    const input = document.createElement('input');
    const base = { ctrlKey: false, metaKey: false, altKey: false };
    expect(shortcutFor({ ...base, key: 'g', target: document.body })).toBe('cases');
    expect(shortcutFor({ ...base, key: 'g', target: input })).toBeNull();
    expect(shortcutFor({ ...base, key: 'Escape', target: input })).toBe('close');
    expect(shortcutFor({ ...base, ctrlKey: true, key: 'c', target: document.body })).toBeNull();
  });
  it("keeps a case's audit entries, deleted notes included, and drops other cases'", () => {
    const e = (seq: number, action: string, target: string, details: Record<string, unknown> = {}) => ({
      seq,
      time: '',
      actor: 'a',
      action,
      target,
      details,
      prev_sha256: '',
      sha256: '',
    });
    const entries = [
      e(1, 'case.create', 'case:1'),
      e(2, 'case.create', 'case:2'),
      e(3, 'evidence.intake', 'evidence:3'),
      e(4, 'note.add', 'note:20', { caseId: 1 }),
      e(5, 'note.delete', 'note:20'),
      e(6, 'scan.queue', 'scan:99'),
    ];
    expect(caseAuditEntries(entries, caseDetail()).map((x) => x.seq)).toEqual([1, 3, 4, 5]);
  });
});

describe('graph layout', () => {
  it('puts each node a row below its deepest input, centres the rows, and draws one edge per input', () => {
    // input -> a, b; a -> c; (b, c) -> d: d sits below c, not below b.
    const nodes = [
      { name: 'x', op: 'Input', inputs: [] },
      { name: 'a', op: 'Conv', inputs: [0] },
      { name: 'b', op: 'Conv', inputs: [0] },
      { name: 'c', op: 'Relu', inputs: [1] },
      { name: 'd', op: 'Add', inputs: [2, 3] },
    ];
    const g = layoutGraph(nodes);
    const row = (i: number) => g.nodes[i].y / (NODE_H + 26);
    expect(nodes.map((_, i) => row(i))).toEqual([0, 1, 1, 2, 3]);
    expect(g.width).toBe(2 * NODE_W + 20);
    expect(g.height).toBe(4 * NODE_H + 3 * 26);
    // A lone node is centred over the two of the row below.
    expect(g.nodes[0].x + NODE_W / 2).toBe(g.width / 2);
    expect(g.edges.map((e) => `${e.from}->${e.to}`)).toEqual(['0->1', '0->2', '1->3', '2->4', '3->4']);
    expect(g.edges[0].d).toMatch(new RegExp(`^M${NODE_W / 2 + g.nodes[0].x},${NODE_H} C`));
  });
});

describe('fingerprint', () => {
  it('groups a keyid in fours for reading aloud', () => {
    expect(fingerprint('0123456789abcdef01')).toBe('0123 4567 89ab cdef 01');
  });
});

describe('threshold calibration choice', () => {
  it('starts at one threshold for the task, its default margin and no scans, and is sent only once complete and within bounds', () => {
    const c = emptyCalibration();
    expect(c).toEqual({ cleanScanIds: [], rule: 'task', margin: '3' });
    expect(calibrationProblem(c)).toMatch(/at least one/);
    expect(calibrationSpec(c)).toBeNull();
    expect(calibrationSpec({ cleanScanIds: [8, 9], rule: 'task', margin: ' 2.5 ' })).toEqual({
      cleanScanIds: [8, 9],
      rule: 'task',
      margin: 2.5,
    });
    expect(calibrationSpec({ cleanScanIds: [8], rule: 'class', margin: '2' })).toEqual({
      cleanScanIds: [8],
      rule: 'class',
      margin: 2,
    });
    expect(marginError('')).toBe('required');
    expect(marginError('x')).toBe('not a number');
    expect(marginError('101')).toBe('from 0 to 100');
    expect(calibrationSpec({ cleanScanIds: [8], rule: 'task', margin: '-1' })).toBeNull();
    expect(
      calibrationProblem({ cleanScanIds: Array.from({ length: 65 }, (_, i) => i + 1), rule: 'task', margin: '3' }),
    ).toMatch(/at most 64/);
  });
  it("switches the margin to the new rule's default unless the analyst typed one", () => {
    const perClass = withRule({ ...emptyCalibration(), cleanScanIds: [8] }, 'class');
    expect(perClass).toEqual({ cleanScanIds: [8], rule: 'class', margin: '2' });
    expect(withRule(perClass, 'task')).toEqual({ cleanScanIds: [8], rule: 'task', margin: '3' });
    // Still the old default, however written, or blank: it follows the rule.
    expect(withRule({ cleanScanIds: [], rule: 'task', margin: ' 3.0 ' }, 'class').margin).toBe('2');
    expect(withRule({ cleanScanIds: [], rule: 'class', margin: '' }, 'task').margin).toBe('3');
    // Typed by the analyst, even a value that is the other rule's default, or not yet a number: kept as typed.
    expect(withRule({ cleanScanIds: [], rule: 'task', margin: '4.5' }, 'class').margin).toBe('4.5');
    expect(withRule({ cleanScanIds: [], rule: 'class', margin: '3' }, 'task').margin).toBe('3');
    expect(withRule({ cleanScanIds: [], rule: 'task', margin: '2,5' }, 'class').margin).toBe('2,5');
  });
  it('offers completed scans of the method, not of the suspect evidence, newest first', () => {
    const scans = [
      scanSummary({ id: 5, evidenceId: 3 }),
      scanSummary({ id: 8, evidenceId: 4 }),
      scanSummary({ id: 9, evidenceId: 5 }),
      scanSummary({ id: 10, evidenceId: 6, method: 'nc' }),
      scanSummary({ id: 11, evidenceId: 7, status: 'failed' }),
    ];
    expect(cleanCandidates(scans, 'uma', 3).map((s) => s.id)).toEqual([9, 8]);
    expect(cleanCandidates(scans, 'nc', 3).map((s) => s.id)).toEqual([10]);
  });
  it('drops only the threshold from the overrides, and writes the rule with its numbers', () => {
    expect(withoutCalibratedKey({ anomalyThreshold: 4, inversionSteps: 60 })).toEqual({ inversionSteps: 60 });
    expect(thresholdFormula(calibrationRecord())).toBe('max(base 2.00, margin 3 × largest 5.80)');
    expect(thresholdFormula(classCalibrationRecord())).toBe(
      "per class: max(base 2.00, margin 2 × the class's largest clean index); 6 of 10 classes above the base",
    );
  });
  it('lists the classes raised above the base, highest first, the top few and how many more', () => {
    const r = classCalibrationRecord();
    expect(raisedClasses(r)).toEqual([
      { index: 5, threshold: 11.6 },
      { index: 1, threshold: 9.2 },
      { index: 9, threshold: 6 },
      { index: 3, threshold: 4.5 },
      { index: 6, threshold: 3.1 },
      { index: 8, threshold: 2.5 },
    ]);
    expect(raisedList(r)).toBe(
      'class 5 (11.60), class 1 (9.20), class 9 (6.00), class 3 (4.50), class 6 (3.10) and 1 more',
    );
    expect(raisedList(r, 2)).toBe('class 5 (11.60), class 1 (9.20) and 4 more');
    // A tie is listed by class index; a class at the base is not raised.
    const tie = { ...r, classThresholds: [2, 4, 2, 4] };
    expect(raisedList(tie)).toBe('class 1 (4.00), class 3 (4.00)');
    expect(raisedList({ ...r, classThresholds: [2, 2, 2] })).toBe('');
    expect(raisedList(calibrationRecord())).toBe('');
  });
  it('reads a record as calibrated per class by its rule alone, as the scan scored it', () => {
    const r = classCalibrationRecord();
    expect(classThresholdsOf(r)).toBe(r.classThresholds);
    expect(classThreshold(r, 5, 2)).toBe(11.6);
    // Thresholds listed under the one-threshold rule were never applied: every class is the scan's.
    const task = { ...r, rule: 'task' as const };
    expect(classThresholdsOf(task)).toBeNull();
    expect(classThreshold(task, 5, 2)).toBe(2);
    expect(classThresholdsOf({ ...r, rule: undefined })).toBeNull();
    expect(classThresholdsOf({ ...r, classThresholds: undefined })).toBeNull();
    expect(classThresholdsOf(undefined)).toBeNull();
  });
  it("says where a scan's threshold came from: one number for the task, the raised classes per class", () => {
    expect(calibrationSummary(calibrationRecord())).toBe(
      'Threshold 17.40 calibrated on 2 clean scans (margin 3, base 2.00)',
    );
    expect(calibrationSummary(classCalibrationRecord())).toBe(
      'Threshold per class, calibrated on 2 clean scans (margin 2, base 2.00); 6 of 10 classes above the base: ' +
        'class 5 (11.60), class 1 (9.20), class 9 (6.00), class 3 (4.50), class 6 (3.10) and 1 more',
    );
    const none = { ...classCalibrationRecord(), classThresholds: Array(10).fill(2) };
    expect(calibrationSummary({ ...none, clean: none.clean.slice(0, 1) })).toBe(
      'Threshold per class, calibrated on 1 clean scan (margin 2, base 2.00); 0 of 10 classes above the base',
    );
  });
});
