/**
 * Shared by the browser and Electron end-to-end specs: why a run must be skipped, building the
 * renderer when it is missing, and a real `uma serve` on a throwaway database.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const SHOTS = path.join(ROOT, 'test-results/e2e');
const RENDERER_INDEX = path.join(ROOT, 'out/renderer/index.html');
const SERVE_COMMAND = path.join(ROOT, 'src/main/cli/commands/serve.ts');

/** The reason the browser path cannot run here, or null. */
export function browserSkipReason(): string | null {
  if (!fs.existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;
  if (!fs.existsSync(SERVE_COMMAND)) return 'uma serve is not implemented yet (src/main/cli/commands/serve.ts)';
  return null;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/** Whether out/renderer is missing or older than the renderer's or the shared sources. */
function rendererStale(): boolean {
  if (!fs.existsSync(RENDERER_INDEX)) return true;
  const built = fs.statSync(RENDERER_INDEX).mtimeMs;
  return ['src/renderer', 'src/shared'].some((d) => newestMtime(path.join(ROOT, d)) > built);
}

/**
 * Builds out/renderer when it is absent or stale (a stale build would test yesterday's UI):
 * `electron-vite build` builds all three bundles; while the Electron main entry does not exist yet
 * that fails, so then the renderer alone is built with Vite and electron.vite.config.ts's renderer section.
 */
export async function ensureRenderer(): Promise<void> {
  if (!rendererStale()) return;
  if (fs.existsSync(path.join(ROOT, 'src/main/index.ts'))) {
    execFileSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit', timeout: 180_000 });
  } else {
    const { loadConfigFromFile } = await import('electron-vite');
    const { build } = await import('vite');
    const loaded = await loadConfigFromFile({ command: 'build', mode: 'production' }, undefined, ROOT, 'warn');
    const renderer = loaded.config.renderer as Record<string, unknown> & { build?: object };
    await build({
      ...renderer,
      configFile: false,
      base: './',
      logLevel: 'warn',
      build: { ...renderer.build, outDir: path.join(ROOT, 'out/renderer'), emptyOutDir: true },
    });
  }
  if (!fs.existsSync(RENDERER_INDEX)) throw new Error(`the renderer build did not produce ${RENDERER_INDEX}`);
}

export interface Served {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** An existing throwaway folder (a database prepared in it, or a restart); default: a fresh one. */
  dir?: string;
  /** Default 0 (any free port); a restart passes the old one so open pages reconnect. */
  port?: number;
  token?: string;
}

/** Starts `uma serve` on a throwaway database (fresh unless told) and resolves with the URL it prints. */
export async function startServe(opts: ServeOptions = {}): Promise<Served> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'uma-e2e-'));
  const args = [
    'serve',
    '--port',
    String(opts.port ?? 0),
    '--db',
    path.join(dir, 'cases.sqlite'),
    '--no-pdf',
    ...(opts.token ? ['--token', opts.token] : []),
  ];
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'bin/uma.mjs'), ...args], {
    cwd: ROOT,
    // Keys and any default paths land in the throwaway folder, not the analyst's home.
    env: { ...process.env, UMA_HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`uma serve printed no URL within 60 s:\n${log}`)), 60_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`uma serve exited with ${code}:\n${log}`));
    });
  });
  return {
    url,
    dir,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
