/**
 * End to end in Debian Chromium against a real `uma serve`: the analyst's whole path on the demo
 * model (analyst-steps.ts). Skips itself, saying why, where Chromium or `uma serve` is missing.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { walkAnalystPath } from './analyst-steps.ts';
import {
  browserSkipReason,
  CHROMIUM,
  CHROMIUM_ARGS,
  ensureRenderer,
  SHOTS,
  startServe,
  type Served,
} from './serve-harness.ts';

const skip = browserSkipReason();
if (skip) console.log(`e2e analyst path skipped: ${skip}`);

describe.skipIf(skip !== null)('analyst path in Chromium against uma serve', () => {
  let served: Served | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    await ensureRenderer();
    served = await startServe();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('goes from an empty database to a verified signed report', async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(served!.url);
    try {
      await walkAnalystPath(page, SHOTS, 'browser-');
    } finally {
      if (errors.length) console.log(`page errors:\n${errors.join('\n')}`);
    }
  }, 240_000);
});
