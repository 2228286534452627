/**
 * The states an analyst must be able to trust, in Debian Chromium against a real `uma serve`:
 * a finished scan whose verdict needs explaining (a borderline target and a class set aside by the
 * transfer filter, recorded straight into the case database, no long scan), every page screenshotted at
 * 1440x900 and 1024x700 into test-results/screenshots/, cancel -> resume -> done on the live page without
 * a reload, and the connection-lost notice when the service stops mid-scan and its recovery when it is
 * back (the cleanly stopped scan resumes; it is not marked failed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openCaseDb } from '../../src/main/cases/open.ts';
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

describe.skipIf(skip !== null)('workstation states in Chromium against uma serve', () => {
  let served: Served | undefined;
  let browser: Browser | undefined;
  let api: WsClient | undefined;
  let dir = '';
  let seeded = { caseId: 0, scanId: 0 };
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
      .toContain('Class 3: Borderline: anomaly index 2.56 is only just above the threshold 2');
    expect(await why.textContent()).toContain(
      'Class 5: Not flagged although its anomaly index 3.34 is above the threshold 2: its trigger also fools the clean reference model (transfer 37% ≥ 30%)',
    );
    expect(await page.locator('td[data-outcome="filtered"]').textContent()).toBe('no, filtered');
    // Column meanings are on the page, not only in tooltips.
    expect(await page.locator('.legend').textContent()).toContain(
      "Ablated model's accuracy on this class's own samples",
    );
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
});
