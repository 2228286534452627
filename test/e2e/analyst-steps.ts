/**
 * The analyst's whole path on the bundled demo model, as a browser user drives it: create a case, take
 * the demo model in, run a small scan and watch it, review results and triggers, compare two triggers,
 * sign and export the report, verify the archive (and see a tampered copy fail). Every page is
 * screenshotted under test-results/e2e/ for a person to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';

// The page's own code runs in the browser; the strings passed to evaluate keep DOM names out of this Node project.

/** Small but real: enough for the demo backdoor to stand out, well under a minute on two cores. */
export const SMALL_PARAMS: Record<string, string> = {
  maxPerClass: '50',
  inversionSteps: '60',
  referenceEpochs: '1',
  referenceMinSteps: '0',
  ablationMaxEpochs: '2',
  stampedExamples: '2',
};

export async function walkAnalystPath(page: Page, shotsDir: string, prefix: string): Promise<void> {
  fs.mkdirSync(shotsDir, { recursive: true });
  // Shots of an earlier run would pass for this run's.
  for (const f of fs.readdirSync(shotsDir)) if (f.startsWith(prefix)) fs.rmSync(path.join(shotsDir, f));
  let n = 0;
  // Full-page shots from the top, or the sticky header lands mid-page; dialogs only as the viewport shows them.
  const shot = async (name: string, fullPage = true) => {
    n++;
    if (fullPage) await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({
      path: path.join(shotsDir, `${prefix}${String(n).padStart(2, '0')}-${name}.png`),
      fullPage,
    });
  };
  const heading = page.locator('main h1');

  // First run on an empty database: the welcome page.
  await expect.poll(() => heading.textContent()).toBe('Welcome to UMA Workstation');
  await shot('welcome');

  // Case list and a new case.
  await page.getByRole('link', { name: 'Start with an empty case list' }).click();
  await page.getByLabel('Name').fill('E2E: vendor model');
  await page.getByLabel('Case number').fill('2026-042');
  await page.getByLabel('Examiner').fill('E2E Examiner');
  await page.getByRole('button', { name: 'Create case' }).click();
  await expect.poll(() => heading.textContent()).toBe('E2E: vendor model');

  // Evidence: the bundled trojaned demo model (the default choice).
  await page.getByRole('button', { name: 'Add evidence', exact: true }).click();
  await page.locator('article.evidence').first().waitFor();
  expect(await page.locator('article.evidence .hash').first().textContent()).toMatch(/^[0-9a-f]{64}$/);
  await shot('case-with-evidence');

  // New scan with small parameters.
  await page.getByRole('link', { name: 'New scan' }).click();
  await page.locator('#param-maxPerClass').waitFor();
  // Past the basic parameters, the rest sit under Advanced, closed by default.
  await page.locator('details.advanced > summary').click();
  for (const [k, v] of Object.entries(SMALL_PARAMS)) await page.locator(`#param-${k}`).fill(v);
  await shot('new-scan');
  await page.getByRole('button', { name: 'Start scan' }).click();

  // Live progress: some classes move, then the scan finishes.
  await expect.poll(() => heading.textContent(), { timeout: 10_000 }).toMatch(/^Scan #\d+$/);
  const overall = page.getByRole('progressbar', { name: 'Overall progress' });
  await expect
    .poll(async () => Number(await overall.getAttribute('aria-valuenow')), { timeout: 60_000 })
    .toBeGreaterThan(0);
  await page.locator('.classes li .fill.ok').first().waitFor({ timeout: 90_000 });
  await shot('live-scan');
  await page.getByText('Scan finished.').waitFor({ timeout: 120_000 });
  await shot('scan-finished');

  // Results: verdict, table, charts.
  await page.getByRole('link', { name: 'Open results' }).click();
  const banner = page.locator('.banner');
  await banner.waitFor();
  expect(await banner.textContent()).toContain('Backdoor suspected — target class 7');
  await page.locator('.chart svg').nth(1).waitFor();
  expect(await page.locator('table.findings tbody tr').count()).toBe(10);
  await shot('results');

  // Trigger gallery: add class 7 and class 3 to the comparison, zoom a mask.
  await page.getByRole('link', { name: 'Trigger gallery' }).click();
  await page.locator('#class-7 img').first().waitFor();
  await page.locator('#class-7').getByRole('button', { name: '+ Compare' }).click();
  await page.locator('#class-3').getByRole('button', { name: '+ Compare' }).click();
  await page.locator('#class-9 img').first().waitFor();
  await shot('trigger-gallery');
  await page.getByRole('button', { name: 'Zoom: Class 7 mask' }).click();
  await page.getByRole('dialog').waitFor();
  await shot('trigger-zoom', false);
  await page.keyboard.press('Escape');

  // Side-by-side comparison.
  await page.getByRole('link', { name: /^Compare selected/ }).click();
  await page.locator('.side-by-side [role=listitem]').nth(1).waitFor();
  expect(await page.locator('.side-by-side [role=listitem]').count()).toBe(2);
  await page.locator('.side-by-side img').last().waitFor();
  await shot('compare');

  // Report: sign, download the archive, verify it.
  await page
    .getByRole('link', { name: /^scan #\d+$/ })
    .first()
    .click();
  await page.getByRole('link', { name: 'Report' }).click();
  await page.getByLabel('Examiner').fill('E2E Examiner');
  await page.getByRole('button', { name: 'Sign and archive' }).click();
  await page.getByText(/^\s*Signed report #\d+/).waitFor({ timeout: 60_000 });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download archive' }).first().click(),
  ]);
  const archive = path.join(shotsDir, `${prefix}report.zip`);
  await download.saveAs(archive);
  await page.getByRole('button', { name: 'Verify this archive' }).click();
  await page.getByText('Archive verified').waitFor({ timeout: 30_000 });
  expect(await page.locator('tr[data-status=fail]').count()).toBe(0);
  expect(await page.locator('tr[data-status=pass]').count()).toBeGreaterThan(2);
  await page.frameLocator('iframe[title="Report preview"]').getByText('Backdoor scan report').waitFor();
  await shot('report-verified');
  // Full-page captures leave the sandboxed preview frame blank; an element capture shows what the analyst sees.
  await page
    .locator('iframe[title="Report preview"]')
    .screenshot({ path: path.join(shotsDir, `${prefix}${String(n).padStart(2, '0')}b-report-preview.png`) });

  // The report on its own as a PDF (the service prints it with Chromium).
  const [pdf] = await Promise.all([
    page.waitForEvent('download', { timeout: 60_000 }),
    page.getByRole('button', { name: 'Download as PDF' }).click(),
  ]);
  const pdfPath = path.join(shotsDir, `${prefix}report.pdf`);
  await pdf.saveAs(pdfPath);
  expect(fs.readFileSync(pdfPath).subarray(0, 5).toString()).toBe('%PDF-');

  // A copy with one flipped byte fails verification on the Verify page.
  const bytes = fs.readFileSync(archive);
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  const tampered = path.join(shotsDir, `${prefix}report-tampered.zip`);
  fs.writeFileSync(tampered, bytes);
  await page.getByRole('link', { name: 'Verify', exact: true }).click();
  await page.getByLabel('Archive (.zip)').setInputFiles(tampered);
  await page.getByRole('button', { name: 'Verify archive' }).click();
  await page.getByText('Verification FAILED: do not rely on this archive.').waitFor({ timeout: 30_000 });
  await shot('verify-tampered');

  // The case page after all that: scans, notes, the audit log and its chain check; in the dark theme.
  await page.getByRole('link', { name: 'Cases', exact: true }).click();
  await page.getByLabel('Search cases').fill('vendor');
  // The row can render before its last verdict arrives: wait for the verdict, not just the row.
  await expect.poll(() => page.locator('table.cases tbody').textContent()).toContain('trojaned');
  await shot('case-list');
  await page.getByRole('link', { name: 'E2E: vendor model' }).first().click();
  await page.getByLabel('Add a note').fill('Class 7 trigger: 3x3 patch bottom-left, as in BadNets.');
  await page.getByRole('button', { name: 'Add note' }).click();
  await page.getByText('Class 7 trigger: 3x3 patch').first().waitFor();
  await page.getByText(/Chain intact/).waitFor();
  await page.evaluate("localStorage.setItem('uma.theme', 'dark')");
  await page.reload();
  await page.getByText(/Chain intact/).waitFor();
  expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
  await shot('case-audit-dark');
}
