// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import App from '../../src/renderer/src/App.vue';
import CompareView from '../../src/renderer/src/views/CompareView.vue';
import LiveScanView from '../../src/renderer/src/views/LiveScanView.vue';
import NewScanView from '../../src/renderer/src/views/NewScanView.vue';
import ReportView from '../../src/renderer/src/views/ReportView.vue';
import ResultsView from '../../src/renderer/src/views/ResultsView.vue';
import TriggerGalleryView from '../../src/renderer/src/views/TriggerGalleryView.vue';
import WelcomeView from '../../src/renderer/src/views/WelcomeView.vue';
import { PREVIEW_DELAY_MS } from '../../src/renderer/src/lib/calibration.ts';
import type { CaseSummary } from '../../src/shared/api.ts';
import {
  calibrationRecord,
  caseDetail,
  classCalibrationRecord,
  evidence,
  finding,
  PNG,
  result,
  scanDetail,
  scanSummary,
} from './fixtures.ts';
import { install } from './setup.ts';

function at(hash: string): void {
  window.location.hash = hash;
}

describe('first run', () => {
  it('takes the demo model through case, intake and a small scan, then opens the live page', async () => {
    const fake = install({
      'cases/list': () => [],
      'cases/create': ({ name }) => ({ ...caseDetail().case, name }),
      'cases/get': () => caseDetail(),
      'evidence/add': () => evidence,
      'scans/start': () => ({ jobId: 'j1', scanId: 5, warnings: [] }),
    });
    const w = mount(WelcomeView, { global: { plugins: [fake.pinia] } });
    await w.find('button.primary').trigger('click');
    await flushPromises();
    expect(fake.argsOf('cases/create')[0].name).toBe('Demo: BadNets MNIST');
    expect(fake.argsOf('evidence/add')[0].source).toEqual({ kind: 'demo', which: 'trojaned' });
    const start = fake.argsOf('scans/start')[0];
    expect(start).toMatchObject({ caseId: 1, evidenceId: 3, data: { kind: 'demo' }, method: 'uma' });
    expect(start.params).toMatchObject({ maxPerClass: 100 });
    expect(window.location.hash).toBe('#/scans/5/live');
  });

  it('says what went wrong and stays put when intake fails', async () => {
    const fake = install({
      'cases/list': () => [],
      'cases/create': ({ name }) => ({ ...caseDetail().case, name }),
      'cases/get': () => caseDetail(),
      'evidence/add': () => ({ code: 'BAD_MODEL', message: 'demo model missing from resources/' }),
    });
    const w = mount(WelcomeView, { global: { plugins: [fake.pinia] } });
    await w.find('button.primary').trigger('click');
    await flushPromises();
    expect(w.find('[role=alert]').text()).toContain('demo model missing from resources/');
    expect(fake.argsOf('scans/start')).toHaveLength(0);
  });
});

describe('new scan form', () => {
  it('starts a scan with the chosen method and only the changed parameters', async () => {
    const fake = install({
      'cases/get': () => caseDetail(),
      'scans/start': () => ({ jobId: 'j2', scanId: 6, warnings: [] }),
    });
    at('#/cases/1/new-scan');
    const w = mount(NewScanView, { global: { plugins: [fake.pinia] } });
    await flushPromises();
    await w.find('#scan-method').setValue('uma-nofilter');
    await w.find('#param-inversionSteps').setValue('60');
    await w.find('form').trigger('submit');
    await flushPromises();
    const args = fake.argsOf('scans/start')[0];
    expect(args).toMatchObject({ caseId: 1, evidenceId: 3, method: 'uma-nofilter', seed: 1, data: { kind: 'demo' } });
    // The form starts at the default profile: the one change is the only override.
    expect(args.params).toEqual({ inversionSteps: 60 });
    expect(window.location.hash).toBe('#/scans/6/live');
  });

  it('offers the quick (demo) profile as a visible choice, sent as its differences from the default', async () => {
    const fake = install({
      'cases/get': () => caseDetail(),
      'scans/start': () => ({ jobId: 'j4', scanId: 8, warnings: [] }),
    });
    at('#/cases/1/new-scan');
    const w = mount(NewScanView, { global: { plugins: [fake.pinia] } });
    await flushPromises();
    expect((w.find('#param-inversionSteps').element as HTMLInputElement).value).toBe('250');
    await w
      .findAll('button')
      .find((b) => b.text() === 'Quick (demo) settings')!
      .trigger('click');
    await w.find('form').trigger('submit');
    await flushPromises();
    expect(fake.argsOf('scans/start')[0].params).toEqual({
      maxPerClass: 100,
      inversionSteps: 100,
      referenceEpochs: 2,
      stampedExamples: 2,
    });
  });

  it("offers the authors' constants as a preset, sent as the overrides that differ from the defaults", async () => {
    const fake = install({
      'cases/get': () => caseDetail(),
      'scans/start': () => ({ jobId: 'j3', scanId: 7, warnings: [] }),
    });
    at('#/cases/1/new-scan');
    const w = mount(NewScanView, { global: { plugins: [fake.pinia] } });
    await flushPromises();
    await w
      .findAll('button')
      .find((b) => b.text() === "Authors' constants")!
      .trigger('click');
    expect((w.find('#param-referenceMinSteps').element as HTMLInputElement).value).toBe('0');
    await w.find('form').trigger('submit');
    await flushPromises();
    // The default profile's departures from the paper, undone: the reference minimum and its accuracy
    // floor, the ablation bound and the transfer subsample (src/shared/scan-params.ts, TUNED_PROFILE).
    expect(fake.argsOf('scans/start')[0].params).toEqual({
      referenceMinSteps: 0,
      referenceMinAccuracy: 0,
      ablationMaxEpochs: 5,
      ablationStopAcc: 0,
      ablationPlateauSteps: 0,
      transferMaxSamples: 0,
    });
  });
});

describe('new scan form: threshold calibrated on clean scans', () => {
  // Scans across cases: two clean-model scans of case 2, the suspect's own scan, one of another method, one running.
  const allScans = () => [
    scanSummary(),
    scanSummary({ id: 8, caseId: 2, evidenceId: 4, verdict: 'clean', score: 1.93, target: null }),
    scanSummary({ id: 9, caseId: 2, evidenceId: 5, modelName: 'gtsrb-clean-2.onnx', verdict: 'trojaned', score: 5.8 }),
    scanSummary({ id: 10, caseId: 2, evidenceId: 6, method: 'nc' }),
    scanSummary({ id: 11, caseId: 2, evidenceId: 7, status: 'running', verdict: null, score: null }),
  ];
  const caseList = (): CaseSummary[] => [
    { ...caseDetail().case, evidenceCount: 1, scanCount: 1, lastVerdict: 'trojaned' },
    { ...caseDetail().case, id: 2, name: 'Clean GTSRB CNNs', evidenceCount: 4, scanCount: 4, lastVerdict: 'clean' },
  ];
  // The preview waits PREVIEW_DELAY_MS after the last edit; the tests move the clock instead of waiting.
  afterEach(() => vi.useRealTimers());

  async function calibrating(handlers: Parameters<typeof install>[0]) {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const fake = install({
      'cases/get': () => caseDetail(),
      'cases/list': caseList,
      'scans/list': allScans,
      'scans/start': () => ({ jobId: 'j9', scanId: 12, warnings: [] }),
      ...handlers,
    });
    at('#/cases/1/new-scan');
    const w = mount(NewScanView, { global: { plugins: [fake.pinia] } });
    await flushPromises();
    // A threshold typed before choosing to calibrate must not reach the service, which refuses both.
    await w.find('#param-anomalyThreshold').setValue('4');
    await w.find('input[name=threshold-source][value=calibrated]').setValue(true);
    await flushPromises();
    return { fake, w };
  }
  const settle = async (): Promise<void> => {
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    await flushPromises();
  };
  const pick = async (w: ReturnType<typeof mount>, scanId: number): Promise<void> => {
    await w.find(`.clean-scans input[value="${scanId}"]`).setValue(true);
  };

  it('offers completed scans of the method from every case, previews scores and threshold, and starts with the calibration only', async () => {
    const { fake, w } = await calibrating({ 'scans/calibrate': () => calibrationRecord() });
    expect(fake.argsOf('scans/list')).toEqual([{}]);
    // Not the suspect's own scan (#5), not another method's (#10), not a running one (#11); newest first.
    const offered = w.findAll('.clean-scans label').map((l) => l.text());
    expect(offered).toHaveLength(2);
    expect(offered[0]).toMatch(/^#9 · Clean GTSRB CNNs · gtsrb-clean-2.onnx · 10 classes · trojaned score 5\.80$/);
    expect(offered[1]).toContain('#8 · Clean GTSRB CNNs');
    expect((w.find('#param-anomalyThreshold').element as HTMLInputElement).disabled).toBe(true);
    expect(w.find('#help-anomalyThreshold').text()).toContain('Calibrated on clean scans');
    // Nothing picked yet: nothing to ask, and Start waits.
    await settle();
    expect(fake.argsOf('scans/calibrate')).toHaveLength(0);
    expect(w.find('button[type=submit]').attributes('disabled')).toBeDefined();

    await pick(w, 8);
    await pick(w, 9);
    await settle();
    // Both picks within the preview's delay: one question.
    expect(fake.argsOf('scans/calibrate')).toEqual([
      { calibration: { cleanScanIds: [8, 9], rule: 'task', margin: 3 }, method: 'uma', params: {}, evidenceId: 3 },
    ]);
    const preview = w.find('.calibration .preview');
    expect(preview.find('.threshold').text()).toBe('Threshold = max(base 2.00, margin 3 × largest 5.80) = 17.40');
    const rows = preview.findAll('tbody tr');
    expect(rows.map((r) => r.findAll('td').map((td) => td.text()))).toEqual([
      ['#8', '2', 'clean-cnn-a', `${'a1'.repeat(6)}…`, '1.93'],
      ['#9', '2', 'clean-cnn-b', `${'b2'.repeat(6)}…`, '5.80'],
    ]);
    expect(rows[0].find('td.mono').attributes('title')).toBe('a1'.repeat(32));

    await w.find('#calibration-margin').setValue('2.5');
    await settle();
    expect(fake.argsOf('scans/calibrate').at(-1)?.calibration).toEqual({
      cleanScanIds: [8, 9],
      rule: 'task',
      margin: 2.5,
    });

    await w.find('form').trigger('submit');
    await flushPromises();
    const start = fake.argsOf('scans/start')[0];
    expect(start.calibration).toEqual({ cleanScanIds: [8, 9], rule: 'task', margin: 2.5 });
    expect(start.params).toEqual({});
    expect(window.location.hash).toBe('#/scans/12/live');
  });

  it('asks for and starts with a threshold per class when chosen, at its own default margin, and previews the raised classes', async () => {
    const { fake, w } = await calibrating({
      'scans/calibrate': ({ calibration }) =>
        calibration.rule === 'class' ? classCalibrationRecord() : calibrationRecord(),
    });
    const rule = (r: string) => w.find(`input[name=calibration-rule][value=${r}]`);
    expect((rule('task').element as HTMLInputElement).checked).toBe(true);
    expect(w.find('fieldset.rule').text()).toContain('working classes');
    await pick(w, 8);
    await pick(w, 9);
    await rule('class').setValue(true);
    await settle();
    // The margin field still held the task rule's default: it moves to the per-class rule's.
    expect((w.find('#calibration-margin').element as HTMLInputElement).value).toBe('2');
    expect(w.find('#calibration-margin-help').text()).toContain('Default 2.');
    expect(fake.argsOf('scans/calibrate')).toEqual([
      { calibration: { cleanScanIds: [8, 9], rule: 'class', margin: 2 }, method: 'uma', params: {}, evidenceId: 3 },
    ]);
    // No single number stands for the threshold: the formula counts the raised classes, and a line names them.
    const preview = w.find('.calibration .preview');
    expect(preview.find('.threshold').text()).toBe(
      "Threshold per class: max(base 2.00, margin 2 × the class's largest clean index); 6 of 10 classes above the base",
    );
    expect(preview.find('.threshold strong').exists()).toBe(false);
    expect(preview.find('.raised').text()).toBe(
      'Raised: class 5 (11.60), class 1 (9.20), class 9 (6.00), class 3 (4.50), class 6 (3.10) and 1 more',
    );

    await w.find('form').trigger('submit');
    await flushPromises();
    expect(fake.argsOf('scans/start')[0].calibration).toEqual({ cleanScanIds: [8, 9], rule: 'class', margin: 2 });
  });

  it('keeps a margin the analyst typed when the rule changes', async () => {
    const { fake, w } = await calibrating({ 'scans/calibrate': () => calibrationRecord() });
    await pick(w, 8);
    await w.find('#calibration-margin').setValue('4');
    await w.find('input[name=calibration-rule][value=class]').setValue(true);
    await settle();
    expect((w.find('#calibration-margin').element as HTMLInputElement).value).toBe('4');
    expect(fake.argsOf('scans/calibrate').at(-1)?.calibration).toEqual({ cleanScanIds: [8], rule: 'class', margin: 4 });
    // The task rule's preview has no raised classes to list.
    expect(w.find('.calibration .preview .raised').exists()).toBe(false);
  });

  it("shows the service's refusal inline", async () => {
    const { w } = await calibrating({
      'scans/calibrate': () => ({
        code: 'BAD_INPUT',
        message: "scan 9 is a 'uma' scan with the survival test: calibrate scans without it",
      }),
    });
    await pick(w, 9);
    await settle();
    const alert = w.find('.calibration .preview [role=alert]');
    expect(alert.text()).toBe("Refused: scan 9 is a 'uma' scan with the survival test: calibrate scans without it");
    expect(w.find('.calibration .preview .threshold').exists()).toBe(false);
  });

  it("goes back to the profile's threshold, and sends the field again, when the analyst switches back", async () => {
    const { fake, w } = await calibrating({ 'scans/calibrate': () => calibrationRecord() });
    await pick(w, 8);
    await w.find('input[name=threshold-source][value=profile]').setValue(true);
    await settle();
    // The pending preview was dropped with the choice.
    expect(fake.argsOf('scans/calibrate')).toHaveLength(0);
    expect((w.find('#param-anomalyThreshold').element as HTMLInputElement).disabled).toBe(false);
    await w.find('form').trigger('submit');
    await flushPromises();
    const start = fake.argsOf('scans/start')[0];
    expect(start.calibration).toBeUndefined();
    expect(start.params).toEqual({ anomalyThreshold: 4 });
  });
});

describe('live scan page', () => {
  it('streams progress and class results, cancels, and offers the results when done', async () => {
    const frames: FrameRequestCallback[] = [];
    vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => frames.push(cb));
    const fake = install({
      'scans/get': () => scanDetail({ status: 'running', jobId: 'j1', classesDone: 0, verdict: null }),
      'jobs/list': () => [],
      'scans/cancel': () => ({ cancelled: true }),
    });
    at('#/scans/5/live');
    const w = mount(LiveScanView, { global: { plugins: [fake.pinia] } });
    await flushPromises();
    fake.emit({
      type: 'job/progress',
      jobId: 'j1',
      scanId: 5,
      progress: {
        stage: 'ablation',
        classIndex: 0,
        step: 3,
        steps: 9,
        fraction: 0.25,
        etaSeconds: 30,
        classFractions: [0.5],
        workers: [],
      },
    });
    frames.forEach((f) => f(0));
    fake.emit({
      type: 'job/class-result',
      jobId: 'j1',
      scanId: 5,
      finding: finding(0),
      images: { scanId: 5, classIndex: 0, mask: PNG, pattern: PNG, stamped: [] },
    });
    await flushPromises();
    expect(w.text()).toContain('25%');
    expect(w.text()).toContain('Unlearning (ablation) · class 0');
    expect(w.text()).toContain('Classes finished so far');
    await w.find('button.danger').trigger('click');
    await flushPromises();
    expect(fake.argsOf('scans/cancel')).toEqual([{ jobId: 'j1' }]);
    fake.emit({ type: 'job/done', jobId: 'j1', scanId: 5, result: result() });
    await flushPromises();
    expect(w.find('a.primary').attributes('href')).toBe('#/scans/5');
    expect(w.find('.crumbs').text()).toContain('case 1');
    expect(w.find('h2#so-far').text()).toBe('Findings');
    expect(w.find('button.danger').exists()).toBe(false);
    vi.unstubAllGlobals();
  });
});

describe('live scan page before it has read the scan', () => {
  it('keeps Cancel disabled until the job is known, then cancels that job', async () => {
    let answer: (() => void) | null = null;
    const fake = install({
      'scans/get': () =>
        new Promise((resolve) => {
          answer = () => resolve(scanDetail({ status: 'running', jobId: 'j7', classesDone: 0, verdict: null }));
        }),
      'jobs/list': () => [],
      'scans/cancel': () => ({ cancelled: true }),
    });
    at('#/scans/5/live');
    const w = mount(LiveScanView, { global: { plugins: [fake.pinia] } });
    await flushPromises();
    const button = w.find('button.danger');
    expect(button.text()).toBe('Cancel scan');
    expect(button.attributes('disabled')).toBeDefined();
    await button.trigger('click');
    await flushPromises();
    expect(fake.argsOf('scans/cancel')).toEqual([]);
    answer!();
    await flushPromises();
    expect(w.find('button.danger').attributes('disabled')).toBeUndefined();
    await w.find('button.danger').trigger('click');
    await flushPromises();
    expect(fake.argsOf('scans/cancel')).toEqual([{ jobId: 'j7' }]);
    expect(w.find('[role="alert"]').exists()).toBe(false);
  });
});

describe('report page', () => {
  it('signs, downloads and verifies the archive it downloaded', async () => {
    const zip = new Uint8Array([80, 75, 5, 6]);
    let detail = caseDetail();
    const report = {
      id: 11,
      scanId: 5,
      name: 'case-1-scan-5.zip',
      envelopeSha256: 'c'.repeat(64),
      keyid: 'k'.repeat(64),
      auditHead: { seq: 9, sha256: 'd'.repeat(64) },
      created: '2026-11-24T01:05:00.000Z',
    };
    const fake = install({
      'scans/get': () => scanDetail(),
      'cases/get': () => detail,
      'reports/html': () => ({ html: '<h1>report</h1>' }),
      'settings/set': (s) => ({ examinerName: s.examinerName ?? '', workers: 0, theme: 'system' }),
      'reports/create': () => {
        detail = { ...detail, reports: [report] };
        return { ...report, pdf: false, pdfNote: 'no Chromium on the service machine' };
      },
      'reports/download': () => ({ name: report.name, bytes: zip }),
      'reports/verify': () => ({
        ok: true,
        status: 'verified' as const,
        signer: { keyid: 'k'.repeat(64), trustedAs: 'ana' },
        checks: [
          { name: 'signature', status: 'pass', detail: 'Ed25519 by ana' },
          { name: 'model subject', status: 'skip', detail: 'no model given' },
        ],
      }),
    });
    URL.createObjectURL = () => 'blob:zip';
    at('#/scans/5/report');
    const w = mount(ReportView, { global: { plugins: [fake.pinia] }, attachTo: document.body });
    await flushPromises();
    expect(w.find('iframe').attributes('srcdoc')).toBe('<h1>report</h1>');
    await w.find('input[maxlength="200"]').setValue('ana');
    await w.find('form').trigger('submit');
    await flushPromises();
    expect(fake.argsOf('reports/create')).toEqual([{ scanId: 5, examiner: 'ana' }]);
    expect(w.text()).toContain('no Chromium on the service machine');
    await w.find('tbody button').trigger('click');
    await flushPromises();
    await w
      .findAll('button')
      .find((b) => b.text() === 'Verify this archive')!
      .trigger('click');
    await flushPromises();
    expect(w.text()).toContain('Archive verified');
    expect(w.findAll('tr[data-status]').map((r) => r.attributes('data-status'))).toEqual(['pass', 'skip']);
    w.unmount();
  });
});

describe('app shell', () => {
  it('routes by hash, lists shortcuts on ?, and navigates with g', async () => {
    const list: CaseSummary[] = [{ ...caseDetail().case, evidenceCount: 1, scanCount: 1, lastVerdict: 'trojaned' }];
    const fake = install({
      'cases/list': () => list,
      'settings/get': () => ({ examinerName: '', workers: 0, theme: 'system' }),
      'app/info': () => ({
        version: '0.1.0',
        backend: 'wasm',
        dataDir: '/d',
        dbPath: '/d/c.sqlite',
        demoAvailable: true,
        host: 'serve',
        hostGeneration: 1,
      }),
    });
    at('#/verify');
    const w = mount(App, { global: { plugins: [fake.pinia] }, attachTo: document.body });
    await flushPromises();
    expect(w.find('h1').text()).toBe('Verify a report archive');
    expect(w.text()).toContain('v0.1.0 · wasm');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '?' }));
    await flushPromises();
    expect(w.find('[role=dialog]').text()).toContain('Keyboard shortcuts');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'g' }));
    await flushPromises();
    expect(w.find('[role=dialog]').exists()).toBe(false);
    expect(w.find('h1').text()).toBe('Cases');
    expect(w.find('tbody').text()).toContain('Demo: BadNets MNIST');
    w.unmount();
  });
});

describe('results, gallery and comparison', () => {
  const images = (scanId: number, classIndex: number) => ({
    scanId,
    classIndex,
    mask: PNG,
    pattern: PNG,
    stamped: [PNG, PNG],
  });

  it('shows the verdict, the table and both charts of a completed scan', async () => {
    const fake = install({ 'scans/get': () => scanDetail() });
    at('#/scans/5');
    const w = mount(ResultsView, { global: { plugins: [fake.pinia] }, attachTo: document.body });
    await flushPromises();
    expect(w.find('.banner').text()).toContain('target class 7');
    expect(w.findAll('table.findings tbody tr')).toHaveLength(10);
    expect(w.findAll('.chart')).toHaveLength(2);
    await w.find('table.findings tbody tr').trigger('click');
    expect(window.location.hash).toBe('#/scans/5/triggers?class=7');
    w.unmount();
  });

  it("shows where a calibrated threshold came from in the scan's facts, and nothing when it was not calibrated", async () => {
    const calibrated = { ...scanDetail(), result: { ...result(), calibration: calibrationRecord() } };
    const fake = install({ 'scans/get': () => calibrated });
    at('#/scans/5');
    const w = mount(ResultsView, { global: { plugins: [fake.pinia] }, attachTo: document.body });
    await flushPromises();
    expect(w.find('.facts .calibration').text()).toContain(
      'Threshold 17.40 calibrated on 2 clean scans (margin 3, base 2.00)',
    );
    const rows = w.findAll('.facts .calibration tbody tr');
    expect(rows.map((r) => r.attributes('data-scan'))).toEqual(['8', '9']);
    expect(rows[1].text()).toContain('clean-cnn-b');
    expect(rows[1].find('td.mono').text()).toBe(`${'b2'.repeat(6)}…`);
    expect(rows[1].find('td.mono').attributes('title')).toBe('b2'.repeat(32));
    expect(rows[1].find('td.num').text()).toBe('5.80');
    w.unmount();
    const plain = mount(ResultsView, { global: { plugins: [install({ 'scans/get': () => scanDetail() }).pinia] } });
    await flushPromises();
    expect(plain.find('.facts').exists()).toBe(true);
    expect(plain.find('.facts .calibration').exists()).toBe(false);
    expect(plain.find('.facts').text()).not.toContain('calibrated');
    plain.unmount();
  });

  it("says a per-class calibration's threshold is per class and names the raised classes, not the base as the threshold", async () => {
    const calibrated = { ...scanDetail(), result: { ...result(), calibration: classCalibrationRecord() } };
    const fake = install({ 'scans/get': () => calibrated });
    at('#/scans/5');
    const w = mount(ResultsView, { global: { plugins: [fake.pinia] } });
    await flushPromises();
    const facts = w.find('.facts .calibration');
    expect(facts.text()).toContain(
      'Threshold per class, calibrated on 2 clean scans (margin 2, base 2.00); 6 of 10 classes above the base: ' +
        'class 5 (11.60), class 1 (9.20), class 9 (6.00), class 3 (4.50), class 6 (3.10) and 1 more',
    );
    expect(facts.text()).not.toContain('Threshold 2.00');
    expect(facts.findAll('tbody tr').map((r) => r.attributes('data-scan'))).toEqual(['8', '9']);
    w.unmount();
  });

  it('loads the asked-for class first in the gallery and puts classes in the comparison', async () => {
    const fake = install({ 'scans/get': () => scanDetail(), 'scans/artifacts': (k) => images(k.scanId, k.classIndex) });
    at('#/scans/5/triggers?class=7');
    const w = mount(TriggerGalleryView, { global: { plugins: [fake.pinia] } });
    await flushPromises();
    expect(fake.argsOf('scans/artifacts').map((a) => a.classIndex)).toEqual([7, 0, 1, 2, 3, 4, 5, 6, 8, 9]);
    expect(w.find('#class-7').classes()).toContain('focus');
    expect(w.findAll('#class-7 img')).toHaveLength(4);
    await w.find('#class-7 button[aria-pressed]').trigger('click');
    expect(w.find('#class-7 button[aria-pressed]').attributes('aria-pressed')).toBe('true');
    await w.find('#class-7 button[aria-label="Zoom: Class 7 mask"]').trigger('click');
    expect(w.find('[role=dialog]').attributes('aria-label')).toBe('Zoomed: Class 7: mask');
  });

  it('puts classes of scans of different models and cases side by side', async () => {
    const other = scanSummary({ id: 8, caseId: 2, evidenceId: 4, verdict: 'clean', target: null });
    const fake = install({
      'scans/list': () => [scanSummary(), other, scanSummary({ id: 9, status: 'running' })],
      'scans/compare': ({ items }) =>
        items.map((k) => ({
          scanId: k.scanId,
          caseId: k.scanId === 8 ? 2 : 1,
          evidenceId: k.scanId === 8 ? 4 : 3,
          modelName: k.scanId === 8 ? 'clean twin' : 'demo-model',
          finding: finding(k.classIndex),
          images: images(k.scanId, k.classIndex),
        })),
    });
    sessionStorage.setItem('uma.compare', JSON.stringify([{ scanId: 5, classIndex: 7 }]));
    const w = mount(CompareView, { global: { plugins: [fake.pinia] } });
    await flushPromises();
    // Only completed scans can be compared; the newest is preselected.
    expect(
      w
        .findAll('.adder select')[0]
        .findAll('option')
        .map((o) => o.text()),
    ).toEqual(['#5 (case 1, uma, trojaned)', '#8 (case 2, uma, clean)']);
    const classSelect = w.findAll('.adder select')[1];
    (classSelect.element as HTMLSelectElement).selectedIndex = 7;
    await classSelect.trigger('change');
    await w.find('.adder').trigger('submit');
    await flushPromises();
    expect(fake.argsOf('scans/compare').at(-1)).toEqual({
      items: [
        { scanId: 5, classIndex: 7 },
        { scanId: 8, classIndex: 7 },
      ],
    });
    expect(w.findAll('[role=listitem] .where').map((x) => x.text())).toEqual([
      'demo-model · case 1 · scan #5',
      'clean twin · case 2 · scan #8',
    ]);
  });
});
