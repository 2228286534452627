/**
 * The states an analyst must be able to trust, in Debian Chromium against a real `uma serve`:
 * a finished scan whose verdict needs explaining (a borderline target and a class set aside by the
 * transfer filter, recorded straight into the case database, no long scan), every page screenshotted at
 * 1440x900 and 1024x700 into test-results/screenshots/, cancel -> resume -> done on the live page without
 * a reload, and the connection-lost notice when the service stops mid-scan and its recovery when it is
 * back (the cleanly stopped scan resumes; it is not marked failed).
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openCaseDb } from '../../src/main/cases/open.ts';
import { recordBadNetsScan } from '../fixtures/reports/badnets-trigger.ts';
import { recordScanResult } from '../fixtures/reports/record-fixture.ts';
import { paramsSha256 } from '../../src/main/util/params-digest.ts';
import { materializeModel } from '../../src/main/service/materialize.ts';
import { scanFixture } from '../fixtures/reports/scan-fixture.ts';
import { ok, TINY, wsApi, type WsClient } from '../integration/service/helpers.ts';
import {
  browserSkipReason,
  CHROMIUM,
  CHROMIUM_ARGS,
  ensureRenderer,
  ROOT,
  startServe,
  type Served,
} from './serve-harness.ts';

const skip = browserSkipReason();
if (skip) console.log(`e2e workstation states skipped: ${skip}`);

const SHOTS = path.join(ROOT, 'test-results/screenshots');
const TOKEN = 'e2e-states-token-0123456789';
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
];

/** A finished scan of the demo model: class 3 flagged at 2.56 (threshold 2: borderline), class 5 at 3.34 but transferring 37%. */
async function seedExplainedScan(dir: string): Promise<{ caseId: number; scanId: number }> {
  const cdb = openCaseDb({ path: path.join(dir, 'cases.sqlite'), actor: 'e2e' });
  try {
    const { result, artifacts } = scanFixture({ classes: 10, target: 3, modelSha256: '' });
    const classes = result.classes.map((k) => ({
      ...k,
      name: String(k.index),
      ...(k.index === 3 ? { anomalyIndex: 2.56, flagged: true } : {}),
      ...(k.index === 5 ? { anomalyIndex: 3.34, transferAsr: 0.37, flagged: false } : {}),
      ...(k.index !== 3 && k.index !== 5 ? { anomalyIndex: Math.min(k.anomalyIndex ?? 0, 1.5) } : {}),
    }));
    const params = { ...result.params };
    const seeded = { ...result, classes, score: 2.56, params, paramsSha256: paramsSha256(params, 'uma', result.seed) };
    const model = materializeModel({ kind: 'demo', which: 'trojaned' });
    const ids = await recordScanResult(cdb, {
      caseName: 'Vendor model 2026-117',
      examiner: 'E2E Examiner',
      result: seeded,
      artifacts,
      evidence: {
        files: model.files,
        format: 'tfjs-layers',
        displayName: 'vendor-classifier',
        classNames: classes.map((k) => k.name),
      },
    });
    return { caseId: ids.caseId, scanId: ids.scanId };
  } finally {
    cdb.sql.close();
  }
}

/** A completed scan of the demo's clean twin, in a case of known-clean models: what a threshold is calibrated on. */
async function seedCleanReferenceScan(cdb: ReturnType<typeof openCaseDb>): Promise<{ caseId: number; scanId: number }> {
  const { result, artifacts } = scanFixture({ classes: 10, target: 3, modelSha256: '' });
  const classes = result.classes.map((k) => ({ ...k, name: String(k.index) }));
  const ids = await recordScanResult(cdb, {
    caseName: 'Known-clean MNIST models',
    result: { ...result, classes },
    artifacts,
    evidence: {
      files: materializeModel({ kind: 'demo', which: 'clean' }).files,
      format: 'tfjs-layers',
      displayName: 'clean-1',
    },
  });
  return { caseId: ids.caseId, scanId: ids.scanId };
}

/** A keyid as the Keys page shows it: groups of four hex digits. */
const grouped = (keyid: string): string => keyid.match(/.{4}/g)!.join(' ');

/** A seeded Ed25519 public key (PEM) and its keyid, the sha256 of its SPKI DER. */
function ed25519Pem(seed: number): { pem: string; keyid: string } {
  // PKCS#8 prefix of an Ed25519 private key followed by its 32-byte seed.
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, seed)]);
  const pub = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  const keyid = createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  return { pem: pub.export({ type: 'spki', format: 'pem' }).toString(), keyid };
}

describe.skipIf(skip !== null)('workstation states in Chromium against uma serve', () => {
  let served: Served | undefined;
  let browser: Browser | undefined;
  let api: WsClient | undefined;
  let dir = '';
  let seeded = { caseId: 0, scanId: 0 };
  let badnets = { caseId: 0, scanId: 0 };
  let references = { caseId: 0, scanId: 0 };
  const base = () => served!.url.replace(/\/\?token=.*$/, '');
  const open = async (page: Page, hash: string) => {
    await page.goto(`${served!.url}${hash}`);
    await page.locator('main h1').first().waitFor();
  };

  beforeAll(async () => {
    await ensureRenderer();
    // A fresh clone has no test-results/ yet.
    fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    dir = fs.mkdtempSync(path.join(ROOT, 'test-results/.e2e-states-'));
    seeded = await seedExplainedScan(dir);
    const cdb = openCaseDb({ path: path.join(dir, 'cases.sqlite'), actor: 'e2e' });
    try {
      badnets = await recordBadNetsScan(cdb, { caseName: 'Demo pair, known trigger', data: 'demo' });
      references = await seedCleanReferenceScan(cdb);
    } finally {
      cdb.sql.close();
    }
    served = await startServe({ dir, token: TOKEN });
    api = await wsApi(`${base().replace('http', 'ws')}/api?token=${TOKEN}`, base());
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    api?.close();
    await browser?.close();
    await served?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('explains a borderline verdict and a class set aside by the transfer filter', async () => {
    const page = await browser!.newPage({ viewport: SIZES[0] });
    await open(page, `#/scans/${seeded.scanId}`);
    const banner = page.locator('.banner');
    await expect.poll(() => banner.textContent()).toContain('Borderline');
    const why = page.getByRole('list', { name: 'Why these classes' });
    await expect
      .poll(() => why.textContent())
      .toContain('Class 3: Flagged (borderline, below 1.5 × the threshold): anomaly index 2.56 > 2;');
    expect(await why.textContent()).toContain(
      'Class 5: Filtered: anomaly index 3.34 > 2, but the trigger also sends 0.37 of images to this class on the clean reference (>= 0.3)',
    );
    const filtered = page.locator('td[data-outcome="filtered"]');
    expect(await filtered.textContent()).toBe('no, filtered');
    expect(await filtered.getAttribute('title')).toMatch(/^Filtered: anomaly index 3\.34 > 2, /);
    // Column meanings are on the page, not only in tooltips.
    expect(await page.locator('.legend').textContent()).toContain(
      "Ablated model's accuracy on this class's own samples",
    );
    await page.close();
  }, 60_000);

  it("shows the examiner's key to hand out, trusts a pasted key only after showing its fingerprint, untrusts one", async () => {
    const page = await browser!.newPage({ viewport: SIZES[0] });
    await open(page, '#/keys');
    // A fresh service signs as the account's user name, which has no key yet; the analyst names themself.
    await page.getByRole('button', { name: 'Change examiner name' }).click();
    await page.getByLabel('Examiner', { exact: true }).fill('E2E Examiner');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('button', { name: 'Make my signing key' }).click();
    const own = ok(await api!['keys/list']({})).find((k) => k.source === 'examiner')!;
    expect(own.name).toBe('e2e-examiner');
    await expect.poll(() => page.getByTestId('own-fingerprint').textContent()).toBe(grouped(own.keyid));
    expect(await page.getByLabel('Your public key (PEM)').textContent()).toContain('-----BEGIN PUBLIC KEY-----');

    // A key that is not Ed25519 is refused by name, and nothing is trusted.
    await page.getByLabel('Who holds it').fill('Mallory');
    await page
      .getByLabel('Public key (PEM)', { exact: true })
      .fill('-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----');
    await page.getByRole('button', { name: 'Check key…' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('not an Ed25519 public key PEM');
    await page.getByRole('button', { name: 'Dismiss error' }).click();

    for (const [name, key] of [
      ['Dana Reyes, lab 2', ed25519Pem(1)],
      ['Sam Okafor, lab 3', ed25519Pem(2)],
    ] as const) {
      await page.getByLabel('Who holds it').fill(name);
      await page.getByLabel('Public key (PEM)', { exact: true }).fill(key.pem);
      await page.getByRole('button', { name: 'Check key…' }).click();
      const dialog = page.getByRole('dialog', { name: `Trust this key as “${name}”?` });
      expect(await dialog.getByTestId('pending-fingerprint').textContent()).toContain(grouped(key.keyid));
      // Not trusted until confirmed.
      expect(ok(await api!['keys/list']({})).map((k) => k.keyid)).not.toContain(key.keyid);
      await dialog.getByRole('button', { name: 'Trust key' }).click();
      await expect.poll(() => page.getByRole('status').first().textContent()).toContain(`as “${name}”`);
    }
    expect(ok(await api!['keys/list']({})).map((k) => k.name)).toEqual([
      'e2e-examiner',
      'Dana Reyes, lab 2',
      'Sam Okafor, lab 3',
    ]);

    await page.getByRole('button', { name: 'Untrust Sam Okafor, lab 3' }).click();
    expect(await page.locator('.confirm').textContent()).toContain('Stop trusting “Sam Okafor, lab 3”');
    await page.getByRole('button', { name: 'Untrust', exact: true }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    expect(ok(await api!['keys/list']({})).map((k) => k.name)).toEqual(['e2e-examiner', 'Dana Reyes, lab 2']);
    // The examiner's own key has no untrust button: it stays trusted while its file exists.
    expect(await page.getByRole('button', { name: 'Untrust e2e-examiner' }).count()).toBe(0);
    await page.close();
  }, 60_000);

  it('screenshots every page at 1440x900 and 1024x700', async () => {
    for (const f of fs.readdirSync(SHOTS)) if (f.endsWith('.png')) fs.rmSync(path.join(SHOTS, f));
    const { caseId, scanId } = seeded;
    const pages: [string, string][] = [
      ['cases', '#/cases'],
      ['case', `#/cases/${caseId}`],
      ['new-scan', `#/cases/${caseId}/new-scan`],
      ['live-finished', `#/scans/${scanId}/live`],
      ['results', `#/scans/${scanId}`],
      ['triggers', `#/scans/${scanId}/triggers`],
      ['report', `#/scans/${scanId}/report`],
      ['compare', '#/compare'],
      ['verify', '#/verify'],
      ['keys', '#/keys'],
      ['batches', '#/batches'],
    ];
    for (const size of SIZES) {
      const page = await browser!.newPage({ viewport: size });
      // Three triggers in the comparison basket, so the compare page shows its widest state.
      await page.goto(served!.url);
      await page.evaluate(
        `sessionStorage.setItem('uma.compare', JSON.stringify([3, 5, 7].map((k) => ({ scanId: ${scanId}, classIndex: k }))))`,
      );
      for (const [name, hash] of pages) {
        await open(page, hash);
        await page.waitForTimeout(1000); // data arrives over the WebSocket (never 'network idle'), charts animate in
        await page.screenshot({ path: path.join(SHOTS, `${size.width}x${size.height}-${name}.png`), fullPage: true });
      }
      await page.close();
    }
    expect(fs.readdirSync(SHOTS).filter((f) => f.endsWith('.png'))).toHaveLength(pages.length * SIZES.length);
  }, 180_000);

  it("shows the model's answers on stamped images in the gallery, and lays the mask over them", async () => {
    for (const size of SIZES) {
      const page = await browser!.newPage({ viewport: size });
      await open(page, `#/scans/${badnets.scanId}/triggers?class=7`);
      const card = page.getByRole('article', { name: 'Class 7' });
      await card.getByRole('button', { name: 'Run the model on stamped images' }).click();
      const summary = card.getByTestId('prediction-summary');
      // Alone this takes seconds; in the full suite the service's forward passes share 2 cores with other
      // files' scans, and one CI run took 70 s.
      await expect.poll(() => summary.count(), { timeout: 150_000 }).toBe(1);
      // The demo model's real trigger: the suspect answers 7 on (nearly) every stamped digit, the clean twin does not.
      const text = (await summary.textContent())!.replace(/\s+/g, ' ');
      const [, moved, shown] = /Suspect model: (\d+) of (\d+) stamped images answered 7/.exec(text)!;
      expect(Number(shown)).toBe(6);
      expect(Number(moved)).toBeGreaterThanOrEqual(5);
      expect(text).toMatch(/Reference model “clean twin” \(ref\.\): [01] of 6/);
      expect(await card.locator('.examples li').count()).toBe(6);
      expect(await card.getByTestId('mask-overlay').count()).toBe(0);
      await page.getByLabel('Mask overlay on stamped images').check();
      // Every stamped image of the card, the scan's examples and the model's, gets the mask.
      expect(await card.getByTestId('mask-overlay').count()).toBe(6 + 1);
      await card.scrollIntoViewIfNeeded();
      await page.waitForTimeout(300);
      await card.screenshot({ path: path.join(SHOTS, `${size.width}x${size.height}-triggers-predictions.png`) });
      // A class whose stored trigger does not fit the model says so in its own card.
      const other = page.getByRole('article', { name: 'Class 2' });
      await other.getByRole('button', { name: 'Run the model on stamped images' }).click();
      await expect
        .poll(() => other.getByRole('alert').textContent(), { timeout: 30_000 })
        .toContain('the stored trigger mask is 16x16; the model takes 28x28 images');
      await page.close();
    }
  }, 400_000);

  it("screenshots the trust dialog with the pasted key's fingerprint", async () => {
    const key = ed25519Pem(3);
    for (const size of SIZES) {
      const page = await browser!.newPage({ viewport: size });
      await open(page, '#/keys');
      await page.getByLabel('Who holds it').fill('Lee Park, lab 4');
      await page.getByLabel('Public key (PEM)', { exact: true }).fill(key.pem);
      await page.getByRole('button', { name: 'Check key…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Trust this key as “Lee Park, lab 4”?' });
      expect(await dialog.getByTestId('pending-fingerprint').textContent()).toContain(grouped(key.keyid));
      await page.screenshot({ path: path.join(SHOTS, `${size.width}x${size.height}-keys-trust-dialog.png`) });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      expect(await dialog.count()).toBe(0);
      await page.close();
    }
    expect(ok(await api!['keys/list']({})).map((k) => k.keyid)).not.toContain(key.keyid);
  }, 60_000);

  it("draws the model's graph in the model view, input at the top", async () => {
    for (const size of SIZES) {
      const page = await browser!.newPage({ viewport: size });
      await open(page, `#/cases/${badnets.caseId}`);
      const card = page.getByRole('article', { name: 'Evidence suspect' });
      await card.getByRole('button', { name: 'Model view' }).click();
      const view = card.getByRole('region', { name: 'Model view' });
      const summary = view.locator('summary', { hasText: 'Graph:' });
      await summary.click();
      const graph = view.getByRole('img', { name: /^Model graph: \d+ nodes/ });
      await graph.waitFor();
      const nodes = Number(/Graph: (\d+) nodes/.exec((await summary.textContent())!)![1]);
      expect(await graph.locator('g[data-op]').count()).toBe(nodes);
      // The demo CNN is a chain: every node but the input has one edge in.
      expect(await graph.locator('path.edge').count()).toBe(nodes - 1);
      expect(await graph.locator('g[data-op]').first().getAttribute('data-op')).toBe('Input');
      expect(await graph.locator('g[data-op="Conv2D"]').count()).toBeGreaterThan(0);
      // Back to the top first: a full-page shot of a scrolled page paints the sticky header mid-page.
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: path.join(SHOTS, `${size.width}x${size.height}-model-graph.png`), fullPage: true });
      await page.close();
    }
  }, 120_000);

  it('names both workers of a two-worker scan on the live page, each with what it does', async () => {
    const { caseId } = seeded;
    const evidenceId = ok(await api!['cases/get']({ caseId })).evidence[0].id;
    // Long inversions keep the scan running through both screenshots (a TINY one could finish before
    // the second page opens, leaving no workers to show); the cancel below ends it.
    const params = { ...TINY, inversionSteps: 5000 };
    const { scanId, jobId } = ok(
      await api!['scans/start']({ caseId, evidenceId, data: { kind: 'demo' }, params, workers: 2 }),
    );
    const page = await browser!.newPage({ viewport: SIZES[0] });
    try {
      await open(page, `#/scans/${scanId}/live`);
      const workers = page.getByRole('list', { name: 'Workers' }).getByRole('listitem');
      // Both at work at once (the reference model on one, classes on the other, or two classes). The
      // checks below read the same snapshot: a second read can catch a worker between two tasks.
      let lines: string[] = [];
      await expect
        .poll(
          async () => {
            lines = await workers.allTextContents();
            return lines.filter((t) => !t.includes('idle')).length;
          },
          { timeout: 120_000, interval: 250 },
        )
        .toBe(2);
      expect(lines.map((t) => t.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual(['Worker 1', 'Worker 2']);
      for (const t of lines)
        expect(t).toMatch(/Preparing|Training the clean reference model|Unlearning|Reversing|Testing/);
      await page.screenshot({ path: path.join(SHOTS, '1440x900-live-two-workers.png'), fullPage: true });
      const narrow = await browser!.newPage({ viewport: SIZES[1] });
      await open(narrow, `#/scans/${scanId}/live`);
      await expect.poll(() => narrow.getByRole('list', { name: 'Workers' }).getByRole('listitem').count()).toBe(2);
      await narrow.screenshot({ path: path.join(SHOTS, '1024x700-live-two-workers.png'), fullPage: true });
      await narrow.close();
    } finally {
      await api!['scans/cancel']({ jobId });
      await page.close();
    }
    // The cancel must end it (not leave it running or failed) so the next test starts with both workers free.
    await expect
      .poll(async () => ok(await api!['scans/get']({ scanId })).scan.status, { timeout: 60_000 })
      .toBe('cancelled');
  }, 240_000);

  it('cancel, then resume, then done: the live page follows without a reload', async () => {
    const { caseId } = seeded;
    const evidenceId = ok(await api!['cases/get']({ caseId })).evidence[0].id;
    const { scanId } = ok(
      await api!['scans/start']({ caseId, evidenceId, data: { kind: 'demo' }, params: TINY, workers: 1 }),
    );
    const page = await browser!.newPage({ viewport: SIZES[1] });
    await open(page, `#/scans/${scanId}/live`);
    await page.getByRole('button', { name: 'Cancel scan' }).click();
    await expect.poll(() => page.getByTestId('scan-status').textContent(), { timeout: 60_000 }).toBe('cancelled');
    await page.getByRole('button', { name: 'Resume the unfinished classes' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Cancel scan' }).count(), { timeout: 20_000 }).toBe(1);
    expect(await page.getByTestId('scan-status').count()).toBe(0); // no stale 'cancelled' while it runs
    await expect.poll(() => page.getByText('Scan finished.').count(), { timeout: 180_000, interval: 1000 }).toBe(1);
    expect(await page.locator('.banner').count()).toBe(1); // the verdict, not 'Scoring · ETA 0s'
    expect(await page.getByText('ETA').count()).toBe(0);
    await page.close();
  }, 300_000);

  it('says within seconds that the service stopped, recovers when it is back, and the stopped scan resumes, not failed', async () => {
    const { caseId } = seeded;
    const evidenceId = ok(await api!['cases/get']({ caseId })).evidence[0].id;
    const { scanId } = ok(
      await api!['scans/start']({ caseId, evidenceId, data: { kind: 'demo' }, params: TINY, workers: 1 }),
    );
    const page = await browser!.newPage({ viewport: SIZES[0] });
    await open(page, `#/scans/${scanId}/live`);
    await page.getByRole('button', { name: 'Cancel scan' }).waitFor();
    const port = Number(new URL(served!.url).port);
    await served!.stop();
    const notice = page.getByRole('alert').filter({ hasText: 'Connection to the UMA service lost' });
    await expect.poll(() => notice.count(), { timeout: 5_000, interval: 200 }).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, '1440x900-connection-lost.png'), fullPage: true });
    served = await startServe({ dir, port, token: TOKEN });
    // The restarted service resumes the scan at once, which keeps its one thread busy on a loaded two-core machine.
    await expect.poll(() => notice.count(), { timeout: 60_000, interval: 250 }).toBe(0);
    await expect.poll(() => page.getByText('Scan finished.').count(), { timeout: 180_000, interval: 1000 }).toBe(1);
    expect(await page.locator('.error, [role="alert"]').count()).toBe(0);
    const audit = ok(await api!['audit/list']({ target: `scan:${scanId}` })).map((e) => e.action);
    expect(audit).toContain('scan.interrupt');
    expect(audit).not.toContain('scan.fail');
    await page.close();
  }, 300_000);

  it('calibrates the threshold on a clean scan of another case in the new-scan form, with the service preview', async () => {
    for (const size of SIZES) {
      const page = await browser!.newPage({ viewport: size });
      await open(page, `#/cases/${badnets.caseId}/new-scan`);
      await page.getByLabel('Calibrated on scans of known-clean models of the same task').check();
      const clean = page.getByRole('checkbox', {
        name: new RegExp(`^#${references.scanId} · Known-clean MNIST models`),
      });
      await clean.check();
      // The suspect's own scan is not offered as a clean one.
      expect(await page.getByRole('checkbox', { name: new RegExp(`^#${badnets.scanId} `) }).count()).toBe(0);
      const suspect = ok(await api!['cases/get']({ caseId: badnets.caseId })).evidence.find(
        (e) => e.displayName === 'suspect',
      )!;
      const preview = ok(
        await api!['scans/calibrate']({ calibration: { cleanScanIds: [references.scanId] }, evidenceId: suspect.id }),
      );
      await expect
        .poll(() => page.locator('.preview .threshold').textContent())
        .toContain(preview.threshold.toFixed(2));
      expect(await page.locator('.preview').textContent()).toContain('clean-1');
      expect(await page.locator('#param-anomalyThreshold').isDisabled()).toBe(true);
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({
        path: path.join(SHOTS, `${size.width}x${size.height}-new-scan-calibrated.png`),
        fullPage: true,
      });
      // Per class: the margin follows the rule's default, and the preview is the service's per-class record.
      await page.getByLabel('A threshold per class').check();
      expect(await page.locator('#calibration-margin').inputValue()).toBe('2');
      const perClass = ok(
        await api!['scans/calibrate']({
          calibration: { cleanScanIds: [references.scanId], rule: 'class' },
          evidenceId: suspect.id,
        }),
      );
      const raised = perClass.classThresholds!.filter((t) => t > perClass.base).length;
      await expect
        .poll(() => page.locator('.preview .threshold').textContent())
        .toContain(`per class: max(base ${perClass.base.toFixed(2)}, margin 2`);
      expect(await page.locator('.preview .threshold').textContent()).toContain(
        `${raised} of 10 classes above the base`,
      );
      await page.screenshot({
        path: path.join(SHOTS, `${size.width}x${size.height}-new-scan-calibrated-per-class.png`),
        fullPage: true,
      });
      await page.close();
    }
  }, 60_000);
});
