// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CaseSummary, KeyInfo } from '../../src/shared/api.ts';
import type { ScanProgress } from '../../src/shared/events.ts';
import { connectionChanged } from '../../src/renderer/src/lib/connection.ts';
import { useCasesStore } from '../../src/renderer/src/stores/cases.ts';
import { useKeysStore } from '../../src/renderer/src/stores/keys.ts';
import { useReportsStore } from '../../src/renderer/src/stores/reports.ts';
import { useScansStore } from '../../src/renderer/src/stores/scans.ts';
import { useSettingsStore } from '../../src/renderer/src/stores/settings.ts';
import { useTriggersStore } from '../../src/renderer/src/stores/triggers.ts';
import { caseDetail, finding, PNG, result, scanDetail } from './fixtures.ts';
import { install } from './setup.ts';

afterEach(() => vi.unstubAllGlobals());

const summary = (id: number, name: string): CaseSummary => ({
  ...caseDetail().case,
  id,
  name,
  evidenceCount: 0,
  scanCount: 0,
  lastVerdict: null,
});

describe('cases store', () => {
  it('lists with the search query, and a created case appears in the list', async () => {
    const db: CaseSummary[] = [summary(1, 'alpha')];
    const fake = install({
      'cases/list': ({ query }) => db.filter((c) => !query || c.name.includes(query)),
      'cases/create': ({ name }) => {
        db.push(summary(2, name));
        return db[1];
      },
    });
    const cases = useCasesStore();
    cases.query = ' alp ';
    await cases.refresh();
    expect(fake.argsOf('cases/list')).toEqual([{ query: 'alp' }]);
    cases.query = '';
    const c = await cases.create({ name: 'beta' });
    expect(c?.id).toBe(2);
    expect(cases.list.map((x) => x.name)).toEqual(['alpha', 'beta']);
  });

  it('keeps a refused call as the error to show, and clears it on the next success', async () => {
    let fail = true;
    install({
      'cases/create': () =>
        fail ? { code: 'BAD_INPUT', message: "a case named 'x' already exists" } : caseDetail().case,
      'cases/list': () => [],
    });
    const cases = useCasesStore();
    expect(await cases.create({ name: 'x' })).toBeUndefined();
    expect(cases.error).toEqual({ code: 'BAD_INPUT', message: "a case named 'x' already exists" });
    expect(cases.busy).toBe(false);
    fail = false;
    await cases.create({ name: 'y' });
    expect(cases.error).toBeNull();
  });

  it('takes evidence into the open case and reloads it', async () => {
    let detail = caseDetail();
    const fake = install({
      'cases/get': () => detail,
      'evidence/add': (a) => {
        detail = { ...detail, evidence: [...detail.evidence, { ...detail.evidence[0], id: 4 }] };
        expect(a).toEqual({ caseId: 1, source: { kind: 'demo', which: 'clean' } });
        return detail.evidence[1];
      },
    });
    const cases = useCasesStore();
    await cases.open(1);
    const ev = await cases.addEvidence({ kind: 'demo', which: 'clean' });
    expect(ev?.id).toBe(4);
    expect(cases.detail?.evidence).toHaveLength(2);
    expect(fake.argsOf('cases/get')).toHaveLength(2);
  });
});

describe('scans store', () => {
  const progress = (fraction: number): ScanProgress => ({
    stage: 'inversion',
    classIndex: 2,
    step: 1,
    steps: 10,
    fraction,
    etaSeconds: 30,
    classFractions: Array(10).fill(fraction),
    workers: [],
  });

  it('applies a burst of progress events once, on the next animation frame', async () => {
    const frames: FrameRequestCallback[] = [];
    vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => frames.push(cb));
    const fake = install({ 'scans/start': () => ({ jobId: 'j1', scanId: 5, warnings: [] }) });
    const scans = useScansStore();
    await scans.start({ caseId: 1, evidenceId: 3, data: { kind: 'demo' } });
    for (const f of [0.1, 0.2, 0.3]) fake.emit({ type: 'job/progress', jobId: 'j1', scanId: 5, progress: progress(f) });
    expect(frames).toHaveLength(1);
    expect(scans.live.get(5)?.progress).toBeNull();
    frames[0](0);
    expect(scans.live.get(5)?.progress?.fraction).toBe(0.3);
    fake.emit({ type: 'job/progress', jobId: 'j1', scanId: 5, progress: progress(0.4) });
    expect(frames).toHaveLength(2);
  });

  it('collects class results with their images, then the final result', () => {
    const fake = install({});
    const scans = useScansStore();
    const triggers = useTriggersStore();
    fake.emit({
      type: 'job/class-result',
      jobId: 'j1',
      scanId: 5,
      finding: finding(3),
      images: { scanId: 5, classIndex: 3, mask: PNG, pattern: PNG, stamped: [PNG, PNG] },
    });
    expect(scans.live.get(5)).toMatchObject({ finished: [3], state: 'running', jobId: 'j1' });
    expect(triggers.get({ scanId: 5, classIndex: 3 })?.stamped).toHaveLength(2);
    fake.emit({ type: 'job/done', jobId: 'j1', scanId: 5, result: result() });
    expect(scans.live.get(5)).toMatchObject({ state: 'done', jobId: null });
    expect(scans.live.get(5)?.result?.target).toBe(7);
  });

  it('tells a cancellation from a failure', () => {
    const fake = install({});
    const scans = useScansStore();
    fake.emit({ type: 'job/failed', jobId: 'a', scanId: 1, error: { code: 'CANCELLED', message: 'cancelled' } });
    fake.emit({
      type: 'job/failed',
      jobId: 'b',
      scanId: 2,
      error: { code: 'BAD_DATA', message: 'no class 3 samples' },
    });
    expect(scans.live.get(1)?.state).toBe('cancelled');
    expect(scans.live.get(2)?.state).toBe('failed');
  });

  it('cancels through the job of the scan, found again after a reload', async () => {
    const fake = install({
      'scans/get': () => scanDetail({ status: 'running', jobId: 'job-9', classesDone: 2 }),
      'jobs/list': () => [
        {
          jobId: 'job-9',
          scanId: 5,
          caseId: 1,
          state: 'running',
          progress: progress(0.5),
          classesDone: [0, 1],
          queuedAt: '',
          startedAt: '',
        },
      ],
      'scans/cancel': () => ({ cancelled: true }),
    });
    const scans = useScansStore();
    await scans.load(5);
    expect(scans.live.get(5)).toMatchObject({ jobId: 'job-9', finished: [0, 1] });
    expect(scans.live.get(5)?.progress?.fraction).toBe(0.5);
    await scans.cancel(5);
    expect(fake.argsOf('scans/cancel')).toEqual([{ jobId: 'job-9' }]);
  });

  it('re-reads the stored scan when its job ends, so Resume appears; a resumed job is running whatever the row said', async () => {
    let status: 'running' | 'cancelled' = 'running';
    const fake = install({
      'scans/get': () => ({
        ...scanDetail({ status, jobId: status === 'running' ? 'job-1' : null }),
        resumable: status === 'cancelled',
      }),
      'jobs/list': () => [],
      'scans/resume': () => ({ jobId: 'job-2', scanId: 5, todo: [3] }),
    });
    const scans = useScansStore();
    await scans.load(5);
    status = 'cancelled';
    fake.emit({
      type: 'job/failed',
      jobId: 'job-1',
      scanId: 5,
      error: { code: 'CANCELLED', message: 'scan cancelled' },
    });
    await vi.waitFor(() => expect(scans.details.get(5)?.resumable).toBe(true));
    await scans.resume(5);
    expect(scans.live.get(5)).toMatchObject({ state: 'running', jobId: 'job-2' });
  });

  it('after the connection comes back, a scan shown as running is re-read and shown as it is stored', async () => {
    let status: 'running' | 'interrupted' = 'running';
    install({
      'scans/get': () => scanDetail({ status, jobId: status === 'running' ? 'job-1' : null }),
      'jobs/list': () => [],
    });
    const scans = useScansStore();
    await scans.load(5);
    status = 'interrupted';
    connectionChanged(false);
    connectionChanged(true);
    await vi.waitFor(() => expect(scans.details.get(5)?.scan.status).toBe('interrupted'));
    expect(scans.live.get(5)).toMatchObject({ state: 'failed', jobId: null });
  });
});

describe('triggers store', () => {
  it('keeps the comparison basket across reloads and compares what it holds', async () => {
    const fake = install({
      'scans/compare': ({ items }) =>
        items.map((k) => ({
          scanId: k.scanId,
          caseId: 1,
          evidenceId: 3,
          modelName: 'm',
          finding: finding(k.classIndex),
          images: { ...k, mask: PNG, pattern: PNG, stamped: [] },
        })),
    });
    const triggers = useTriggersStore();
    triggers.toggle({ scanId: 5, classIndex: 7 });
    triggers.toggle({ scanId: 6, classIndex: 7 });
    triggers.toggle({ scanId: 5, classIndex: 7 });
    expect(JSON.parse(sessionStorage.getItem('uma.compare')!)).toEqual([{ scanId: 6, classIndex: 7 }]);
    triggers.toggle({ scanId: 5, classIndex: 1 });
    await triggers.loadCompare();
    expect(fake.argsOf('scans/compare')).toEqual([
      {
        items: [
          { scanId: 6, classIndex: 7 },
          { scanId: 5, classIndex: 1 },
        ],
      },
    ]);
    expect(triggers.rows.map((r) => r.urls.mask.startsWith('blob:'))).toEqual([true, true]);
  });

  it("fetches a class's images once and serves them from the cache after", async () => {
    const fake = install({ 'scans/artifacts': (k) => ({ ...k, mask: PNG, pattern: PNG, stamped: [PNG] }) });
    const triggers = useTriggersStore();
    const a = await triggers.fetch({ scanId: 5, classIndex: 2 });
    const b = await triggers.fetch({ scanId: 5, classIndex: 2 });
    expect(b).toEqual(a);
    expect(fake.argsOf('scans/artifacts')).toHaveLength(1);
  });
});

describe('keys store', () => {
  const own: KeyInfo = { name: 'ana', keyid: 'a'.repeat(64), source: 'examiner', file: '/d/keys/ana.pub' };
  const dana: KeyInfo = { name: 'Dana', keyid: 'd'.repeat(64), source: 'trusted', file: '/d/trusted-keys.json' };
  const PEM = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n';

  it("says an examiner has no key yet (export NOT_FOUND), and shows the key's PEM once there is one", async () => {
    let made = false;
    install({
      'keys/list': () => (made ? [own] : []),
      'keys/export': () =>
        made ? { name: 'ana.pub', bytes: new TextEncoder().encode(PEM) } : { code: 'NOT_FOUND', message: 'no key' },
      'keys/inspect': () => ({ keyid: own.keyid, known: own }),
      'keys/create': () => ((made = true), own),
    });
    const keys = useKeysStore();
    await keys.load('Ana');
    expect(keys.own).toEqual({ examiner: 'Ana', key: null, pem: null });
    expect(keys.error).toBeNull();
    await keys.createOwn('Ana');
    expect(keys.own).toEqual({ examiner: 'Ana', key: own, pem: PEM });
    expect(keys.list).toEqual([own]);
  });

  it('trusts a pasted key only on confirmation, and untrusts by keyid', async () => {
    let trusted: KeyInfo[] = [];
    const fake = install({
      'keys/list': () => trusted,
      'keys/inspect': () => ({ keyid: dana.keyid, known: null }),
      'keys/trust': () => ((trusted = [dana]), dana),
      'keys/untrust': () => ((trusted = []), dana),
    });
    const keys = useKeysStore();
    await keys.inspect(PEM, '  Dana ');
    expect(keys.pending).toEqual({ pem: PEM, name: 'Dana', inspected: { keyid: dana.keyid, known: null } });
    expect(fake.argsOf('keys/trust')).toEqual([]);
    await keys.confirmTrust();
    expect(fake.argsOf('keys/trust')).toEqual([{ publicKeyPem: PEM, name: 'Dana' }]);
    expect(keys.pending).toBeNull();
    expect(keys.list).toEqual([dana]);
    expect(keys.done).toContain('as “Dana”');
    await keys.untrust(dana.keyid);
    expect(fake.argsOf('keys/untrust')).toEqual([{ keyid: dana.keyid }]);
    expect(keys.list).toEqual([]);
  });

  it('names a refused key and trusts nothing', async () => {
    install({ 'keys/inspect': () => ({ code: 'BAD_INPUT', message: 'not an Ed25519 public key PEM: a rsa key' }) });
    const keys = useKeysStore();
    await keys.inspect('junk', 'Mallory');
    expect(keys.pending).toBeNull();
    expect(keys.error).toEqual({ code: 'BAD_INPUT', message: 'not an Ed25519 public key PEM: a rsa key' });
  });
});

describe('reports store', () => {
  it('downloads an archive and verifies those very bytes', async () => {
    const zip = new Uint8Array([80, 75, 3, 4, 9]);
    const fake = install({
      'reports/download': () => ({ name: 'case-1-scan-5.zip', bytes: zip }),
      'reports/verify': () => ({
        ok: true,
        status: 'verified' as const,
        signer: { keyid: 'k'.repeat(64), trustedAs: 'ana' },
        checks: [{ name: 'signature', status: 'pass', detail: 'Ed25519' }],
      }),
    });
    const reports = useReportsStore();
    await reports.download(11);
    expect(reports.archive?.name).toBe('case-1-scan-5.zip');
    await reports.verify(reports.archive!.name, reports.archive!.bytes);
    const sent = fake.argsOf('reports/verify')[0].archive as { bytes: Uint8Array };
    expect([...sent.bytes]).toEqual([...zip]);
    expect(reports.verification).toMatchObject({ ok: true, source: 'case-1-scan-5.zip' });
  });
});

describe('reports store, PDF', () => {
  it('saves the PDF, or says why the service could not print one', async () => {
    let printer = true;
    install({
      'reports/pdf': () =>
        printer
          ? { name: 'scan-5.pdf', bytes: new Uint8Array([37, 80, 68, 70]) }
          : { code: 'BAD_INPUT', message: 'no Chromium on the service machine to print the PDF' },
    });
    const reports = useReportsStore();
    const saved: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(this.download);
    });
    expect((await reports.downloadPdf(5))?.name).toBe('scan-5.pdf');
    printer = false;
    expect(await reports.downloadPdf(5)).toBeUndefined();
    expect(reports.error?.message).toContain('no Chromium');
    expect(saved).toEqual(['scan-5.pdf']);
    click.mockRestore();
  });
});

describe('settings store', () => {
  it('follows the system theme until one is chosen, and remembers the choice', () => {
    install({});
    const settings = useSettingsStore();
    expect(settings.theme).toBe('system');
    const system = settings.effectiveTheme;
    const other = system === 'dark' ? 'light' : 'dark';
    const seen = [1, 2, 3].map(() => (settings.cycleTheme(), settings.theme));
    expect(seen).toEqual([other, system, 'system']);
    expect(settings.theme).toBe('system');
    settings.theme = 'light';
    return Promise.resolve().then(() => {
      expect(document.documentElement.getAttribute('data-theme')).toBe('light');
      expect(localStorage.getItem('uma.theme')).toBe('light');
    });
  });

  it('keeps the recent cases most recent first, without repeats', () => {
    install({});
    const settings = useSettingsStore();
    [1, 2, 3, 1].forEach((id) => settings.touchCase(id));
    expect(settings.recentCases).toEqual([1, 3, 2]);
  });
});

describe('scans store after an engine host restart', () => {
  it('re-reads the scans it showed as running', async () => {
    const fake = install({
      'scans/get': () => scanDetail({ status: 'running', jobId: 'j-new' }),
      'jobs/list': () => [],
    });
    const scans = useScansStore();
    fake.emit({
      type: 'job/progress',
      jobId: 'j-old',
      scanId: 5,
      progress: {
        stage: 'prepare',
        classIndex: null,
        step: 0,
        steps: 1,
        fraction: 0,
        etaSeconds: null,
        classFractions: [],
        workers: [],
      },
    });
    fake.emit({ type: 'job/failed', jobId: 'x', scanId: 6, error: { code: 'BAD_DATA', message: 'no' } });
    fake.emit({ type: 'host/restarted', generation: 2, reason: 'crashed', resumedScanIds: [5] });
    await new Promise((r) => setTimeout(r, 0));
    expect(fake.argsOf('scans/get')).toEqual([{ scanId: 5 }]);
    expect(scans.live.get(5)?.jobId).toBe('j-new');
  });
});
