/**
 * HTML -> PDF through the system's Chromium (Debian's /usr/bin/chromium) driven by playwright-core.
 * No browser is downloaded; without one the archive simply has no PDF and says why.
 */
import fs from 'node:fs';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Numbers every page; Chromium fills the pageNumber and totalPages classes of print footer templates. */
export const PAGE_FOOTER =
  '<div style="font-size:8px;width:100%;text-align:center;color:#555">' +
  'page <span class="pageNumber"></span> of <span class="totalPages"></span></div>';

export type PdfOutcome = { pdf: Uint8Array; note: string } | { pdf: null; note: string };

export async function renderPdf(html: string, executablePath = CHROMIUM_PATH): Promise<PdfOutcome> {
  if (!fs.existsSync(executablePath)) return { pdf: null, note: `omitted: no Chromium at ${executablePath}` };
  // Loaded on demand: playwright-core is large and only this step needs it.
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage();
    // The report is self-contained; anything that tries the network is a bug, so block it.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    const pdf = await page.pdf({
      format: 'A4',
      printBackground: true,
      margin: { top: '14mm', bottom: '16mm', left: '12mm', right: '12mm' },
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate: PAGE_FOOTER,
    });
    return { pdf: new Uint8Array(pdf), note: `rendered by ${browser.version()}` };
  } finally {
    await browser.close();
  }
}
