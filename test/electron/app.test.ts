/**
 * The Electron shell, end to end with Playwright's _electron: runs only where an Electron binary
 * exists (ELECTRON_OVERRIDE_DIST_PATH, or node_modules/electron/dist after its postinstall download)
 * and better-sqlite3 is built for Electron's ABI (docs/service.md); otherwise it reports itself
 * skipped with the reason. It builds the app (npx electron-vite build) when out/main is missing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ElectronApplication, Page } from 'playwright-core';
import { METHODS } from '../../src/shared/api.ts';
import { ELECTRON_BINARY, NO_ELECTRON } from './binary.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BINARY = ELECTRON_BINARY;
const missing = NO_ELECTRON;
/** The renderer's globals as these specs see them (this project compiles without the DOM library). */
type Win = {
  uma: Record<string, (a: object) => Promise<unknown>> & { on(l: (e: { type: string }) => void): void };
  require?: unknown;
  process?: unknown;
  location: { href: string };
  Notification: { requestPermission(): Promise<string> };
};
if (missing) console.log(`test/electron: skipped: ${missing}`);

describe.skipIf(missing !== null)('Electron app', () => {
  let app: ElectronApplication;
  let page: Page;
  let home: string;
  beforeAll(async () => {
    if (!fs.existsSync(path.join(ROOT, 'out/main/index.js')))
      execFileSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-electron-'));
    const { _electron } = await import('playwright-core');
    app = await _electron.launch({
      executablePath: BINARY,
      args: [ROOT],
      env: { ...process.env, UMA_DB: path.join(home, 'cases.sqlite') },
    });
    page = await app.firstWindow();
    await page.waitForFunction(() => typeof (globalThis as unknown as Partial<Win>).uma === 'object');
  });
  afterAll(async () => {
    await app?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('serves the UI from app:// with a sandboxed renderer that has no Node', async () => {
    expect(page.url()).toMatch(/^app:\/\/ui\//);
    expect(
      await page.evaluate(() => [
        typeof (globalThis as unknown as Win).require,
        typeof (globalThis as unknown as Win).process,
      ]),
    ).toEqual(['undefined', 'undefined']);
    const csp = await page.evaluate(async () =>
      (await fetch((globalThis as unknown as Win).location.href)).headers.get('content-security-policy'),
    );
    expect(csp).toContain("script-src 'self'");
  });

  it('exposes exactly the contract as window.uma and answers over the MessagePort', async () => {
    const keys = await page.evaluate(() => Object.keys((globalThis as unknown as Win).uma).sort());
    expect(keys).toEqual([...METHODS, 'on'].sort());
    const info = await page.evaluate(() => (globalThis as unknown as Win).uma['app/info']({}));
    expect(info).toMatchObject({ ok: true, value: { host: 'electron', demoAvailable: true } });
  });

  it('denies every permission request', async () => {
    expect(await page.evaluate(() => (globalThis as unknown as Win).Notification.requestPermission())).toBe('denied');
  });

  it('restarts a killed engine host and tells the renderer', async () => {
    const restarted = page.evaluate(
      () =>
        new Promise((resolve) => {
          (globalThis as unknown as Win).uma.on((e) => e.type === 'host/restarted' && resolve(e));
        }),
    );
    const pid = await app.evaluate(
      ({ app: a }) => a.getAppMetrics().find((m) => m.type === 'Utility' && m.name === 'UMA engine host')?.pid,
    );
    expect(pid).toBeTypeOf('number');
    process.kill(pid!, 'SIGKILL');
    expect(await restarted).toMatchObject({ type: 'host/restarted', generation: 1 });
    const info = await page.evaluate(() => (globalThis as unknown as Win).uma['app/info']({}));
    expect(info).toMatchObject({ ok: true, value: { hostGeneration: 1 } });
  });
});
