/**
 * Hostile request paths against a real `uma serve` (issue 15, defect 1): a NUL byte, bad percent-
 * encoding and overlong paths used to throw from the static file handler and kill the process. Each
 * is answered 400 or 404, and the server still serves the UI afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempHome } from './helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const TOKEN = 'hostile-paths-token-0123456789';
const home = tempHome('uma-serve-paths-');
let child: ChildProcess | null = null;

function serve(ui: string): Promise<number> {
  child = spawn(
    process.execPath,
    [
      'bin/uma.mjs',
      'serve',
      '--port',
      '0',
      '--no-pdf',
      '--token',
      TOKEN,
      '--ui',
      ui,
      '--db',
      path.join(home, 'cases.sqlite'),
      '--backend',
      'wasm',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`uma serve did not start:\n${out}`)), 60_000);
    child!.stdout!.on('data', () => {
      const m = /open http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child!.on('exit', (code) => reject(new Error(`uma serve exited (${code}):\n${out}`)));
  });
}

/** The status of GET `target` (sent as given, not normalised), or the socket error's code. */
function get(port: number, target: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: target, headers: { Host: `127.0.0.1:${port}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(home, { recursive: true, force: true });
});

describe('uma serve and hostile static paths', () => {
  it('answers 400/404 to a NUL byte, bad percent-encoding and overlong paths, and keeps serving', async () => {
    const ui = path.join(home, 'ui');
    fs.mkdirSync(ui);
    fs.writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>UMA</title>');
    const port = await serve(ui);
    const q = `?token=${TOKEN}`;
    const hostile = [
      '/%00',
      '/a%00b.js',
      '/%ff',
      '/%',
      '/%e0%80',
      `/${'a'.repeat(5000)}`,
      `/${'a/'.repeat(3000)}x`,
      `/${'%41'.repeat(2000)}`,
    ];
    for (const p of hostile) {
      const status = await get(port, `${p}${q}`);
      expect([400, 404], `GET ${p.slice(0, 40)}`).toContain(status);
    }
    expect(await get(port, `/${q}`)).toBe(200);
    expect(child!.exitCode).toBeNull();
  }, 90_000);
});
