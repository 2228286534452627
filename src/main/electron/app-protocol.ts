/**
 * app://ui/... serves the built renderer to the window (never file://, whose origin is too broad),
 * with the strict Content-Security-Policy on every response. Paths cannot leave the renderer folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { net, protocol } from 'electron';
import { pathToFileURL } from 'node:url';
import { CSP } from './shell-policy.ts';

/** Before app ready: app:// behaves as a standard, secure origin (fetch, relative URLs). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

export function serveApp(rendererDir: string): void {
  const root = path.resolve(rendererDir);
  protocol.handle('app', async (req) => {
    const url = new URL(req.url);
    let file = path.resolve(root, `.${decodeURIComponent(url.pathname)}`);
    if (
      url.host !== 'ui' ||
      !file.startsWith(root + path.sep) ||
      !fs.statSync(file, { throwIfNoEntry: false })?.isFile()
    ) {
      file = path.join(root, 'index.html');
    }
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', CSP);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });
}
