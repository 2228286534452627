// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import * as echarts from 'echarts/core';
import { describe, expect, it } from 'vitest';
import { reactive } from 'vue';
import AddEvidenceForm from '../../src/renderer/src/components/AddEvidenceForm.vue';
import AnomalyChart from '../../src/renderer/src/components/AnomalyChart.vue';
import FindingsTable from '../../src/renderer/src/components/FindingsTable.vue';
import ParamGroup from '../../src/renderer/src/components/ParamGroup.vue';
import PathInput from '../../src/renderer/src/components/PathInput.vue';
import ScanProgressPanel from '../../src/renderer/src/components/ScanProgressPanel.vue';
import TriggerCard from '../../src/renderer/src/components/TriggerCard.vue';
import VerdictBanner from '../../src/renderer/src/components/VerdictBanner.vue';
import VerifyChecks from '../../src/renderer/src/components/VerifyChecks.vue';
import ZoomDialog from '../../src/renderer/src/components/ZoomDialog.vue';
import { defaultValues } from '../../src/renderer/src/lib/params.ts';
import { useCasesStore } from '../../src/renderer/src/stores/cases.ts';
import { useSettingsStore } from '../../src/renderer/src/stores/settings.ts';
import { withExplanations } from '../../src/shared/class-explanation.ts';
import { caseDetail, classes, evidence, finding, result } from './fixtures.ts';
import { install } from './setup.ts';

const firstColumn = (w: ReturnType<typeof mount>): string[] =>
  w.findAll('tbody tr').map((r) => r.find('td').text().trim());

describe('FindingsTable', () => {
  it('starts with the most anomalous class and re-sorts on header clicks', async () => {
    const w = mount(FindingsTable, { props: { classes: classes(), target: 7 } });
    expect(firstColumn(w)[0]).toBe('7');
    expect(w.find('tbody tr').classes()).toEqual(expect.arrayContaining(['flagged', 'target']));
    await w.find('button[data-key="maskL1"]').trigger('click');
    expect(firstColumn(w).slice(0, 2)).toEqual(['0', '1']);
    expect(w.find('th[aria-sort="descending"]').text()).toContain('Mask L1');
    await w.find('button[data-key="maskL1"]').trigger('click');
    expect(firstColumn(w)[0]).toBe('7');
  });
  it('opens a class from a row by click or Enter', async () => {
    const w = mount(FindingsTable, { props: { classes: classes(), target: 7 } });
    await w.findAll('tbody tr')[1].trigger('keydown', { key: 'Enter' });
    await w.findAll('tbody tr')[0].trigger('click');
    expect(w.emitted('select')).toEqual([[9], [7]]);
  });
  it("shows each class's outcome with its sentence as the tooltip, and says why under the table", () => {
    const r = result();
    const explained = withExplanations({
      ...r,
      classes: r.classes.map((k) => (k.index === 5 ? { ...k, anomalyIndex: 2.6, transferAsr: 0.47 } : k)),
    });
    const w = mount(FindingsTable, { props: { classes: explained.classes, target: 7 } });
    const cell = (k: number) => w.findAll('tbody tr')[firstColumn(w).indexOf(String(k))].findAll('td').at(-1)!;
    expect(cell(7).text()).toBe('yes');
    expect(cell(7).attributes('title')).toMatch(/^Flagged: anomaly index 45\.90 > 2; /);
    expect(cell(5).text()).toBe('no, filtered');
    expect(cell(5).attributes('data-outcome')).toBe('filtered');
    const why = w.findAll('.why li').map((li) => li.text());
    expect(why).toHaveLength(2);
    expect(why[0]).toMatch(/^Class 5: Filtered: anomaly index 2\.60 > 2, but the trigger also sends 0\.47/);
    expect(why[1]).toMatch(/^Class 7: Flagged: /);
    expect(cell(0).text()).toBe('no');
  });
  it('marks a class passed only by its raised per-class threshold and says why under the table', () => {
    const r = result();
    const classThresholds = r.classes.map((k) => (k.index === 7 ? 50 : 2));
    const explained = withExplanations({
      ...r,
      verdict: 'clean',
      target: null,
      calibration: { rule: 'class', base: 2, margin: 2, threshold: 2, classThresholds, clean: [] },
      classes: r.classes.map((k) => (k.index === 7 ? { ...k, flagged: false } : k)),
    });
    const w = mount(FindingsTable, { props: { classes: explained.classes, target: null } });
    const cell = (k: number) => w.findAll('tbody tr')[firstColumn(w).indexOf(String(k))].findAll('td').at(-1)!;
    expect(cell(7).text()).toBe('no, by its raised threshold');
    expect(cell(7).attributes('data-raised')).toBe('true');
    expect(cell(0).attributes('data-raised')).toBeUndefined();
    expect(w.findAll('.why li').map((li) => li.text())).toEqual([
      "Class 7: Passed: anomaly index 45.90 <= 50 (this class's calibrated threshold); above the base threshold 2, so only the raised one passes it.",
    ]);
  });
  it('shows the survival column only for a scan that ran the survival test, and sorts by it', async () => {
    expect(
      mount(FindingsTable, { props: { classes: classes(), target: 7 } })
        .find('[data-key="survival"]')
        .exists(),
    ).toBe(false);
    const withTest = classes().map((k) => ({
      ...k,
      survival: { maskL1: 40, asrModel: 0.9, asrAblated: k.index === 4 ? 0.97 : 0.01 * k.index },
    }));
    const w = mount(FindingsTable, { props: { classes: withTest, target: 7 } });
    await w.find('button[data-key="survival"]').trigger('click');
    expect(firstColumn(w)[0]).toBe('4');
    expect(w.find('tbody td[data-key="survival"]').text()).toBe('97.0%');
  });
  it('shows a dash, and no sentence, for a class still pending', () => {
    const w = mount(FindingsTable, {
      props: { classes: [finding(0, { anomalyIndex: null, flagged: null })], target: null },
    });
    expect(w.find('tbody td:last-child').text()).toBe('–');
    expect(w.find('.why').exists()).toBe(false);
  });
});

describe('TriggerCard', () => {
  it("names the class's outcome and says why", () => {
    const k = withExplanations(result()).classes[7];
    const w = mount(TriggerCard, { props: { finding: k, urls: undefined, title: 'Class 7', inBasket: false } });
    expect(w.find('.outcome').text()).toBe('flagged');
    expect(w.find('.why').text()).toBe(k.explanation.text);
    const plain = mount(TriggerCard, {
      props: { finding: finding(2), urls: undefined, title: 'Class 2', inBasket: false },
    });
    expect(plain.find('.outcome').exists()).toBe(false);
  });
});

describe('VerdictBanner', () => {
  it('names the suspected target of a trojaned model', () => {
    expect(mount(VerdictBanner, { props: { result: result() } }).text()).toContain(
      'Backdoor suspected — target class 7',
    );
    expect(
      mount(VerdictBanner, { props: { result: { ...result(), verdict: 'clean', target: null } } }).text(),
    ).toContain('No backdoor found');
  });
  it('calls a target just above the threshold borderline, in words', () => {
    const r = result();
    const text = mount(VerdictBanner, {
      props: { result: { ...r, classes: r.classes.map((k) => (k.index === 7 ? { ...k, anomalyIndex: 2.5 } : k)) } },
    }).text();
    expect(text).toContain('Borderline: backdoor possible — target class 7');
    expect(text).toContain('The evidence is borderline');
  });
});

describe('ScanProgressPanel', () => {
  it('shows overall and per-class progress, finished classes full', () => {
    const w = mount(ScanProgressPanel, {
      props: {
        progress: {
          stage: 'inversion',
          classIndex: 2,
          step: 5,
          steps: 10,
          fraction: 0.42,
          etaSeconds: 75,
          classFractions: [1, 1, 0.5, 0, 0],
          workers: [],
        },
        classNames: ['0', '1', '2', '3', '4'],
        finished: [0, 1],
      },
    });
    expect(w.text()).toContain('42%');
    expect(w.text()).toContain('Reversing the trigger · class 2');
    expect(w.text()).toContain('ETA 1m 15s');
    const bars = w.findAll('[role=progressbar]').map((b) => b.attributes('aria-valuenow'));
    expect(bars).toEqual(['42', '100', '100', '50', '0', '0']);
    expect(w.find('li.active .name').text()).toBe('2');
  });

  it("in the ablation backoff's second pass says why, and a class is full only once its second result is in", () => {
    const w = mount(ScanProgressPanel, {
      props: {
        progress: {
          stage: 'ablation',
          classIndex: 1,
          step: 2,
          steps: 10,
          fraction: 0.3,
          etaSeconds: 75,
          classFractions: [1, 0.1, 0, 0],
          workers: [],
          rescan: { failedClasses: [1, 2, 3], ablationLr: 5e-4 },
        },
        classNames: ['zero', 'one', 'two', 'three'],
        finished: [0, 1, 2, 3],
      },
    });
    expect(w.find('[data-testid=rescan]').text()).toBe(
      'Second pass, every class at the gentler ablation rate 0.0005: after the first ablation, 3 classes ' +
        '(one, two, three) reversed no trigger, a sign the ablation erased more than their own features.',
    );
    const bars = w.findAll('[role=progressbar]').map((b) => b.attributes('aria-valuenow'));
    expect(bars).toEqual(['30', '100', '10', '0', '0']);
    expect(w.find('li.active .name').text()).toBe('one');
  });

  it('names every class a worker is on, and the reference model has its own bar while it trains', () => {
    const w = mount(ScanProgressPanel, {
      props: {
        progress: {
          stage: 'inversion',
          classIndex: 3,
          step: 5,
          steps: 10,
          fraction: 0.4,
          etaSeconds: 75,
          classFractions: [1, 0.6, 0, 0.2, 0],
          workers: [],
        },
        classNames: ['0', '1', '2', '3', '4'],
        finished: [0],
      },
    });
    expect(w.text()).toContain('Reversing the trigger · classes 1, 3');
    expect(w.findAll('li.active .name').map((n) => n.text())).toEqual(['1', '3']);
    const training = mount(ScanProgressPanel, {
      props: {
        progress: {
          stage: 'reference',
          classIndex: null,
          step: 30,
          steps: 120,
          fraction: 0.1,
          etaSeconds: null,
          classFractions: [0, 0],
          workers: [],
        },
        classNames: ['0', '1'],
        finished: [],
      },
    });
    expect(training.find('[aria-label="Reference model training"]').attributes('aria-valuenow')).toBe('25');
  });

  it('names every worker by its id with what it does, idle ones too', () => {
    const at = { step: 0, steps: 0 };
    const w = mount(ScanProgressPanel, {
      props: {
        progress: {
          stage: 'inversion',
          classIndex: 3,
          step: 5,
          steps: 10,
          fraction: 0.4,
          etaSeconds: 75,
          classFractions: [1, 0, 0, 0.6],
          workers: [
            { worker: 1, stage: 'inversion', classIndex: 3, step: 5, steps: 10 },
            { worker: 2, stage: 'reference', classIndex: null, step: 30, steps: 120 },
            { worker: 3, stage: 'transfer', classIndex: 0, ...at },
            { worker: 4, stage: null, classIndex: null, ...at },
          ],
        },
        classNames: ['zero', 'one', 'two', 'three'],
        finished: [0],
      },
    });
    expect(w.findAll('[aria-label=Workers] li').map((li) => li.text())).toEqual([
      'Worker 1 Reversing the trigger · class three · step 5 of 10',
      'Worker 2 Training the clean reference model · step 30 of 120',
      'Worker 3 Testing transfer to the reference model · class zero',
      'Worker 4 idle, waiting for a task',
    ]);
    const inline = mount(ScanProgressPanel, {
      props: {
        progress: {
          stage: 'prepare',
          classIndex: null,
          step: 1,
          steps: 2,
          fraction: 0,
          etaSeconds: null,
          classFractions: [0, 0],
          workers: [{ worker: 0, stage: 'prepare', classIndex: null, step: 1, steps: 2 }],
        },
        classNames: ['0', '1'],
        finished: [],
      },
    });
    expect(inline.find('[aria-label=Workers] li').text()).toBe('Service thread Preparing data and model · step 1 of 2');
  });
});

describe('ParamGroup', () => {
  it('shows each parameter with its default and help, marks and resets changes', async () => {
    // The form hands its reactive values object down; edits land in it.
    const values = reactive(defaultValues());
    const w = mount(ParamGroup, {
      props: {
        group: 'inversion',
        keys: ['inversionSteps', 'maskStep'],
        used: true,
        modelValue: values,
        'onUpdate:modelValue': () => undefined,
      },
    });
    expect(w.text()).toContain('Signed-gradient steps of trigger inversion per class. Default 250.');
    await w.find('#param-inversionSteps').setValue('100');
    expect(values.inversionSteps).toBe('100');
    expect(w.find('.param.changed label').text()).toBe('Inversion steps inversionSteps'); // in words, with the exact name beside
    expect(w.text()).toContain('1 changed');
    await w.find('button[aria-label^="Reset inversionSteps"]').trigger('click');
    expect(values.inversionSteps).toBe('250');
    await w.find('#param-maskStep').setValue('x');
    expect(w.find('#param-maskStep').attributes('aria-invalid')).toBe('true');
  });

  it('disables a parameter another part of the form sets, says why, and neither marks nor checks it', () => {
    const values = reactive({ ...defaultValues(), anomalyThreshold: 'x' });
    const w = mount(ParamGroup, {
      props: {
        group: 'scoring',
        keys: ['anomalyThreshold'],
        used: true,
        locked: { anomalyThreshold: 'Calibrated on clean scans.' },
        modelValue: values,
        'onUpdate:modelValue': () => undefined,
      },
    });
    const input = w.find('#param-anomalyThreshold');
    expect((input.element as HTMLInputElement).disabled).toBe(true);
    expect(input.attributes('aria-invalid')).toBe('false');
    expect(w.find('#help-anomalyThreshold').text()).toMatch(/^Calibrated on clean scans\. /);
    expect(w.find('.param.changed').exists()).toBe(false);
  });
});

describe('VerifyChecks', () => {
  it('shows each check with its status and the overall outcome', () => {
    const w = mount(VerifyChecks, {
      props: {
        status: 'failed',
        checks: [
          { name: 'signature', status: 'pass', detail: 'ok' },
          { name: 'model subject', status: 'skip', detail: 'no model given' },
          { name: 'manifest', status: 'fail', detail: 'triggers/7-mask.png differs' },
        ],
      },
    });
    expect(w.text()).toContain('Verification FAILED');
    expect(w.findAll('tbody tr').map((r) => r.attributes('data-status'))).toEqual(['pass', 'skip', 'fail']);
  });

  it('tells an intact archive from an untrusted signer apart from an altered one', async () => {
    const checks = [{ name: 'trusted key', status: 'fail' as const, detail: 'signer not in the trust store' }];
    const w = mount(VerifyChecks, { props: { status: 'untrusted', checks } });
    expect(w.text()).toContain('UNTRUSTED SIGNER');
    expect(w.text()).not.toContain('Verification FAILED');
    await w.setProps({ status: 'verified', checks: [] });
    expect(w.text()).toContain('Archive verified');
  });
});

describe('AnomalyChart', () => {
  it('draws the threshold line and disposes its chart on unmount', () => {
    const w = mount(AnomalyChart, { props: { classes: classes(), threshold: 2 }, attachTo: document.body });
    const el = w.find('.chart').element as HTMLElement;
    const chart = echarts.getInstanceByDom(el);
    expect(chart).toBeDefined();
    const option = chart!.getOption() as { series: { markLine: { data: { yAxis: number }[] } }[] };
    expect(option.series[0].markLine.data[0].yAxis).toBe(2);
    w.unmount();
    expect(echarts.getInstanceByDom(el)).toBeUndefined();
  });

  it("marks each class's own threshold where a per-class calibration raised it above the line", () => {
    const cs = classes();
    const classThresholds = cs.map((k) => (k.index === 1 ? 9.5 : 2));
    const w = mount(AnomalyChart, { props: { classes: cs, threshold: 2, classThresholds }, attachTo: document.body });
    const chart = echarts.getInstanceByDom(w.find('.chart').element as HTMLElement)!;
    const option = chart.getOption() as { series: { type: string; data: unknown[] }[] };
    expect(option.series[1].type).toBe('scatter');
    expect(option.series[1].data).toEqual(cs.map((k) => (k.index === 1 ? 9.5 : null)));
    expect(w.text()).toContain("its class's threshold, at least 2");
    w.unmount();
  });
});

describe('ZoomDialog', () => {
  it('zooms with + and - and closes on Escape', async () => {
    const w = mount(ZoomDialog, { props: { src: 'blob:x', alt: 'Class 7: mask' }, attachTo: document.body });
    const img = () => w.find('img').attributes('style');
    expect(img()).toContain('zoom: 12');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '+' }));
    await w.vm.$nextTick();
    expect(img()).toContain('zoom: 16');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    expect(w.emitted('close')).toHaveLength(1);
    w.unmount();
  });
});

describe('PathInput', () => {
  it('offers the native dialog only in the desktop app and takes the picked path', async () => {
    const fake = install({ 'shell/pick': () => ({ paths: ['/evidence/model.onnx'] }) });
    let value = '';
    const w = mount(PathInput, {
      props: {
        kind: 'model',
        label: 'Model path',
        placeholder: '',
        modelValue: value,
        'onUpdate:modelValue': (v: string) => (value = v),
      },
      global: { plugins: [fake.pinia] },
    });
    expect(w.find('button').exists()).toBe(false);
    useSettingsStore().info = {
      version: '0.1.0',
      backend: 'wasm',
      dataDir: '',
      dbPath: '',
      demoAvailable: true,
      host: 'electron',
      hostGeneration: 1,
    };
    await w.vm.$nextTick();
    await w.find('button').trigger('click');
    await new Promise((r) => setTimeout(r, 0));
    expect(fake.argsOf('shell/pick')).toEqual([{ kind: 'model' }]);
    expect(value).toBe('/evidence/model.onnx');
  });
});

describe('AddEvidenceForm', () => {
  it('sends a Keras weights-only model with its architecture file, and no architecture when none is given', async () => {
    const fake = install({ 'cases/get': () => caseDetail(), 'evidence/add': () => evidence });
    await useCasesStore().open(1);
    const w = mount(AddEvidenceForm, { global: { plugins: [fake.pinia] } });
    await w.find('input[type=radio][value=path]').setValue();
    await w.find('input[aria-label="Model path"]').setValue('/evidence/w.h5');
    const arch = w.find('input[placeholder^="optional: /evidence/model-architecture"]');
    await arch.setValue('/evidence/w-architecture.json');
    await w.find('form').trigger('submit');
    await flushPromises();
    await arch.setValue('');
    await w.find('form').trigger('submit');
    await flushPromises();
    const [withArch, without] = fake.argsOf('evidence/add');
    expect(withArch).toMatchObject({
      source: { kind: 'path', path: '/evidence/w.h5' },
      architecture: { kind: 'path', path: '/evidence/w-architecture.json' },
    });
    expect(without.source).toEqual({ kind: 'path', path: '/evidence/w.h5' });
    expect(without).not.toHaveProperty('architecture');
  });
});
