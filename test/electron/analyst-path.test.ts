/**
 * The analyst's path (test/e2e/analyst-steps.ts) in the packaged-app shape: Playwright's _electron
 * starts out/main/index.js, the renderer talks to the engine host through the preload's window.uma.
 * Reports itself skipped where no Electron binary is installed (npm ci without the Electron download)
 * or better-sqlite3 is not built for Electron's ABI.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ElectronApplication } from 'playwright-core';
import { walkAnalystPath } from '../e2e/analyst-steps.ts';
import { ELECTRON_BINARY, NO_ELECTRON } from './binary.ts';
import { ensureRenderer, ROOT, SHOTS } from '../e2e/serve-harness.ts';

const skip =
  NO_ELECTRON ??
  (!fs.existsSync(path.join(ROOT, 'src/main/index.ts')) ? 'no Electron main process (src/main/index.ts)' : null);
if (skip) console.log(`electron analyst path skipped: ${skip}`);

describe.skipIf(skip !== null)('analyst path in the Electron app', () => {
  let app: ElectronApplication | undefined;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-electron-'));

  beforeAll(async () => {
    await ensureRenderer();
    const { _electron } = await import('playwright-core');
    app = await _electron.launch({
      executablePath: ELECTRON_BINARY,
      args: [path.join(ROOT, 'out/main/index.js')],
      cwd: ROOT,
      env: { ...process.env, UMA_HOME: home },
    });
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  it('goes from an empty database to a verified signed report', async () => {
    const page = await app!.firstWindow();
    await page.setViewportSize({ width: 1280, height: 860 });
    await walkAnalystPath(page, SHOTS, 'electron-');
  }, 240_000);
});
