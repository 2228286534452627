/**
 * `uma serve`'s transport: HTTP serves the built renderer and the WebSocket at /api carries the
 * contract (binary frames, wire.ts). Every request needs the session token (in ?token= or in the
 * cookie the first tokened page load sets); the Host header must name this server (no DNS
 * rebinding) and a WebSocket upgrade must come from this server's own Origin (no other web page
 * can drive the service from the analyst's browser). Refusals are 403 with the reason.
 */
import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { UmaError } from '../../shared/errors.ts';
import type { Service } from '../service/index.ts';
import { serveConnection } from './connection.ts';
import { decodeFrame, encodeFrame } from '../../shared/wire.ts';

export interface WsServerOptions {
  service: Service;
  host: string;
  /** 0 picks a free port. */
  port: number;
  token: string;
  /** The built renderer (out/renderer); null serves a page saying how to build it. */
  staticDir: string | null;
}

export interface WsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const COOKIE = 'uma_token';
/** Uploads of models and image sets travel in one frame. */
const MAX_FRAME = 1024 ** 3;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

function securityHeaders(host: string): Record<string, string> {
  // The Host header is the client's to write: only a plain host[:port] goes into the policy.
  const ws = /^[\w.-]+(:\d+)?$|^\[[\da-f:]+\](:\d+)?$/i.test(host) ? ` ws://${host}` : '';
  return {
    // Styles inline are for Vue/ECharts style bindings; scripts only from this origin.
    'Content-Security-Policy': `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'${ws}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'`,
    'X-Content-Type-Options': 'nosniff',
    // The token is in the page's URL: never send it onwards.
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

const sameToken = (given: string | null | undefined, token: string): boolean =>
  typeof given === 'string' && given.length === token.length && timingSafeEqual(Buffer.from(given), Buffer.from(token));

function cookieToken(header: string | undefined): string | null {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return null;
}

const isLoopback = (host: string) => host === '127.0.0.1' || host === 'localhost' || host === '::1';

export async function startWsServer(opts: WsServerOptions): Promise<WsServer> {
  const { service, token } = opts;
  // Bound to loopback, only loopback names may appear in Host (a page whose DNS name was rebound to
  // 127.0.0.1 is refused); bound to a network address, the token is the guard.
  let allowedHosts: Set<string> | null = null;

  /** Why this request may not proceed, or null when it may. */
  const refusal = (req: http.IncomingMessage, url: URL): string | null => {
    if (!req.headers.host || (allowedHosts && !allowedHosts.has(req.headers.host)))
      return `Host '${req.headers.host ?? ''}' is not this server`;
    if (!sameToken(url.searchParams.get('token'), token) && !sameToken(cookieToken(req.headers.cookie), token)) {
      return 'missing or wrong session token: open the URL `uma serve` printed (it carries ?token=...)';
    }
    return null;
  };

  const server = http.createServer((req, res) => {
    // A request target the URL parser refuses (an absolute-form 'http://[' target) is the client's fault.
    const url = URL.parse(req.url ?? '/', 'http://x');
    if (!url) {
      res.writeHead(400).end();
      return;
    }
    const why = refusal(req, url);
    const headers = securityHeaders(req.headers.host ?? '');
    if (why) {
      res.writeHead(403, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end(`403 Forbidden: ${why}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.searchParams.has('token')) headers['Set-Cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    serveStatic(opts.staticDir, url.pathname, req.method === 'HEAD', res, headers);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const why =
      url.pathname !== '/api'
        ? `no WebSocket at ${url.pathname} (use /api)`
        : (refusal(req, url) ??
          // Same origin as the page the token was given to: another site's page cannot drive the service.
          (req.headers.origin !== `http://${req.headers.host}`
            ? `Origin '${req.headers.origin ?? '(none)'}' is not http://${req.headers.host}`
            : null));
    if (why) {
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n403 Forbidden: ${why}\n`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = serveConnection(service, (m) => {
        if (ws.readyState === ws.OPEN) ws.send(encodeFrame(m));
      });
      ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        const raw = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        let message: unknown;
        try {
          message = decodeFrame(
            isBinary ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) : raw.toString('utf8'),
          );
        } catch (err) {
          ws.send(
            encodeFrame({
              kind: 'response',
              id: 0,
              reply: { ok: false, error: { code: 'BAD_INPUT', message: `malformed frame: ${(err as Error).message}` } },
            }),
          );
          return;
        }
        conn.receive(message);
      });
      ws.on('close', () => conn.close());
      ws.on('error', () => conn.close());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? `port ${opts.port} is in use (choose another with --port, or 0 for any free one)`
          : err.code === 'EADDRNOTAVAIL'
            ? `${opts.host} is not an address of this machine`
            : err.message;
      reject(new UmaError('BAD_INPUT', `cannot listen on ${opts.host}:${opts.port}: ${why}`));
    });
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const hostPart = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  if (isLoopback(opts.host)) allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  return {
    url: `http://${hostPart}:${port}/?token=${token}`,
    port,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Longest request path served; the UI's own paths are far shorter, and the file system has its limits too. */
const MAX_STATIC_PATH = 1024;

/**
 * The decoded path of a static request, or null when it cannot name a file: bad percent-encoding
 * ('/%ff', '/%'), a NUL byte (fs calls throw on it) or an overlong path.
 */
function staticPath(pathname: string): string | null {
  if (pathname.length > MAX_STATIC_PATH) return null;
  try {
    const rel = decodeURIComponent(pathname);
    return rel.includes('\0') ? null : rel;
  } catch {
    return null;
  }
}

/** Whether `file` is a regular file; any error (a component too long, not a folder) means it is not. */
function isFile(file: string): boolean {
  try {
    return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

function serveStatic(
  dir: string | null,
  pathname: string,
  headOnly: boolean,
  res: http.ServerResponse,
  headers: Record<string, string>,
): void {
  if (!dir) {
    res
      .writeHead(503, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' })
      .end(
        'The UI is not built. Run `npx electron-vite build` in the project folder, then restart `uma serve`.\nThe API is up at /api.\n',
      );
    return;
  }
  const rel = staticPath(pathname);
  if (rel === null) {
    res.writeHead(400, headers).end();
    return;
  }
  const root = path.resolve(dir);
  let file = path.resolve(root, `.${rel}`);
  // Outside the root, or not a file: the single-page app's index answers (client-side routes).
  if (!file.startsWith(root + path.sep) || !isFile(file)) file = path.join(root, 'index.html');
  const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  const body = fs.readFileSync(file);
  res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': String(body.byteLength) });
  res.end(headOnly ? undefined : body);
}
