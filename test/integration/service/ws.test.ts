/**
 * The contract over the real WebSocket of `uma serve` (in this process): token, Host and Origin
 * refusals, malformed frames answered with typed errors, binary frames for bytes both ways, and a
 * demo scan's events through the renderer's own WebSocket client.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../../src/main/service/index.ts';
import { DEMO_MODELS } from '../../../src/main/service/materialize.ts';
import { decodeFrame, encodeFrame } from '../../../src/shared/wire.ts';
import { startWsServer, type WsServer } from '../../../src/main/transport/ws.ts';
import { demoCase, isPng, isType, ok, record, tempHome, TINY, wsApi, type WsClient } from './helpers.ts';

const TOKEN = 'test-token-0123456789abcdef';
let home: string;
let svc: Service;
let server: WsServer;
let base: string;
let api: WsClient;
beforeAll(async () => {
  home = tempHome();
  fs.mkdirSync(path.join(home, 'ui'));
  fs.writeFileSync(path.join(home, 'ui', 'index.html'), '<!doctype html><title>UMA</title>');
  svc = await startService({ dbPath: path.join(home, 'cases.sqlite'), host: 'serve', pdf: false });
  server = await startWsServer({
    service: svc,
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    staticDir: path.join(home, 'ui'),
  });
  base = `127.0.0.1:${server.port}`;
  api = await wsApi(`ws://${base}/api?token=${TOKEN}`, `http://${base}`);
});
afterAll(async () => {
  api.close();
  await server.close();
  await svc.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/** The status and body a WebSocket upgrade gets, or 101 when it opens. */
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => undefined);
  });
}

/** A raw socket that sends what it is given and collects every frame with its binary flag. */
async function rawSocket() {
  const ws = new WebSocket(`ws://${base}/api?token=${TOKEN}`, { origin: `http://${base}` });
  const frames: { binary: boolean; data: Buffer }[] = [];
  ws.on('message', (data: Buffer, binary: boolean) => frames.push({ binary, data }));
  await new Promise((r) => ws.once('open', r));
  const reply = async (id: number) => {
    for (let i = 0; i < 200; i++) {
      const hit = frames
        .map((f) => ({ f, m: decodeFrame(new Uint8Array(f.data)) as { kind: string; id?: number } }))
        .find((x) => x.m.kind === 'response' && x.m.id === id);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no response ${id}`);
  };
  return { ws, frames, reply };
}

describe('uma serve transport', () => {
  it('refuses HTTP without the token or with a foreign Host, with the reason; serves the UI with a CSP and sets the cookie', async () => {
    const bare = await fetch(`http://${base}/`);
    expect(bare.status).toBe(403);
    expect(await bare.text()).toContain('session token');
    const page = await fetch(`http://${base}/?token=${TOKEN}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>UMA</title>');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const cookie = page.headers.get('set-cookie')!.split(';')[0];
    expect((await fetch(`http://${base}/assets/x.js`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`http://${base}/?token=wrong-token-0123456789abcd`)).status).toBe(403);
    // fetch will not send a Host of its choosing; a DNS-rebound page's request would.
    const rebound = await new Promise<number>((resolve) => {
      http.get(
        { host: '127.0.0.1', port: server.port, path: `/?token=${TOKEN}`, headers: { host: 'evil.example:80' } },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      );
    });
    expect(rebound).toBe(403);
  });

  it('says so when the port is taken', async () => {
    await expect(
      startWsServer({ service: svc, host: '127.0.0.1', port: server.port, token: TOKEN, staticDir: null }),
    ).rejects.toThrow(/port \d+ is in use/);
  });

  it('refuses WebSocket upgrades without the token or from another Origin', async () => {
    const good = `http://${base}`;
    expect(await upgrade(`ws://${base}/api?token=${TOKEN}`, { origin: good })).toEqual({ status: 101, body: '' });
    const noToken = await upgrade(`ws://${base}/api`, { origin: good });
    expect(noToken.status).toBe(403);
    expect(noToken.body).toContain('session token');
    const foreign = await upgrade(`ws://${base}/api?token=${TOKEN}`, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toContain("Origin 'http://evil.example'");
    expect((await upgrade(`ws://${base}/api?token=${TOKEN}`, {})).status).toBe(403);
  });

  it('answers malformed frames and calls with typed errors and keeps serving the connection', async () => {
    const { ws, reply } = await rawSocket();
    ws.send(Buffer.from([1, 2, 3]));
    ws.send('{not json');
    ws.send(JSON.stringify({ kind: 'request', id: 5, method: 'cases/get', args: { caseId: 'one' } }));
    ws.send(JSON.stringify({ kind: 'request', id: 6, method: 'no/such', args: {} }));
    ws.send(encodeFrame({ kind: 'request', id: 7, method: 'app/info', args: {} }));
    const zero = (await reply(0)).m as unknown as { reply: { ok: boolean; error: { code: string; message: string } } };
    expect(zero.reply).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(((await reply(5)).m as unknown as { reply: unknown }).reply).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: expect.stringContaining('caseId') },
    });
    expect(((await reply(6)).m as unknown as { reply: unknown }).reply).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT', message: "unknown call 'no/such'" },
    });
    expect(((await reply(7)).m as unknown as { reply: { ok: boolean } }).reply.ok).toBe(true);
    ws.close();
    expect(ok(await api['app/info']({})).host).toBe('serve');
  });

  it('carries bytes as binary frames both ways: a model uploaded, trigger PNGs returned', async () => {
    const c = ok(await api['cases/create']({ name: 'ws upload' }));
    const dir = path.dirname(DEMO_MODELS.trojaned);
    const files = ['model.json', 'weights.bin'].map((name) => ({
      name,
      bytes: new Uint8Array(fs.readFileSync(path.join(dir, name))),
    }));
    const ev = ok(await api['evidence/add']({ caseId: c.id, source: { kind: 'upload', files } }));
    expect(ev.files.map((f) => f.name)).toEqual(['model.json', 'weights.bin']);
    expect(ev.size).toBe(files.reduce((s, f) => s + f.bytes.byteLength, 0));
  });

  it('runs a demo scan through the renderer WebSocket client: progress, class results with PNG bytes, done', async () => {
    const rec = record(api);
    const { caseId, evidenceId } = await demoCase(api, 'ws scan');
    const { scanId } = ok(
      await api['scans/start']({ caseId, evidenceId, data: { kind: 'demo' }, params: TINY, workers: 2 }),
    );
    const done = await rec.next(isType('job/done', scanId));
    const mine = rec.events.filter((e) => 'scanId' in e && e.scanId === scanId);
    expect(mine[0].type).toBe('job/progress');
    const results = mine.filter(isType('job/class-result'));
    expect(results.map((r) => r.finding.index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(results.every((r) => isPng(r.images.mask) && isPng(r.images.pattern))).toBe(true);
    expect(done.result.target).toBe(7);

    const { ws, frames, reply } = await rawSocket();
    ws.send(encodeFrame({ kind: 'request', id: 1, method: 'scans/artifacts', args: { scanId, classIndex: 7 } }));
    const { f, m } = await reply(1);
    expect(f.binary).toBe(true);
    const header = f.data.subarray(4, 4 + f.data.readUInt32LE(0)).toString();
    expect(header).toContain('{"$bytes":0}');
    expect(header).not.toMatch(/\[137,80,78,71/);
    expect(isPng((m as unknown as { reply: { value: { mask: Uint8Array } } }).reply.value.mask)).toBe(true);
    expect(frames.every((x) => x.binary)).toBe(true);
    ws.close();
    rec.stop();
  });
});
