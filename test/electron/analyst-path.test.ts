/**
 * The analyst's path (test/e2e/analyst-steps.ts) in the packaged-app shape: Playwright's _electron
 * starts out/main/index.js, the renderer talks to the engine host through the preload's window.uma.
 * Reports itself skipped where no Electron binary is installed (npm ci without the Electron download)
 * or better-sqlite3 is not built for Electron's ABI.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ElectronApplication } from 'playwright-core';
import { walkAnalystPath } from '../e2e/analyst-steps.ts';
import { ensureRenderer, ROOT, SHOTS } from '../e2e/serve-harness.ts';

/** The Electron binary, or null: `electron`'s index resolves it and throws when it was never downloaded. */
function electronBinary(): string | null {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
const skip = !binary
  ? 'no Electron binary (node_modules/electron has no dist/; run `node node_modules/electron/install.js` where the network allows)'
  : !fs.existsSync(path.join(ROOT, 'src/main/index.ts'))
    ? 'no Electron main process (src/main/index.ts)'
    : null;
if (skip) console.log(`electron analyst path skipped: ${skip}`);

describe.skipIf(skip !== null)('analyst path in the Electron app', () => {
  let app: ElectronApplication | undefined;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-electron-'));

  beforeAll(async () => {
    await ensureRenderer();
    const { _electron } = await import('playwright-core');
    app = await _electron.launch({ executablePath: binary!, args: [path.join(ROOT, 'out/main/index.js')], cwd: ROOT, env: { ...process.env, UMA_HOME: home } });
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
