/**
 * The protocol ends without the engine: the service end answers malformed messages with typed errors
 * and forwards events; the client end correlates replies, fails requests when the connection drops,
 * and reports a restarted host when a new instance greets it.
 */
import { describe, expect, it } from 'vitest';
import type { ApiEvent, WireMessage } from '../../../src/shared/api.ts';
import type { Service } from '../../../src/main/service/index.ts';
import { serveConnection } from '../../../src/main/transport/connection.ts';
import { rpcClient } from '../../../src/shared/rpc-client.ts';

function fakeService(instance = 'a') {
  const listeners = new Set<(e: ApiEvent) => void>();
  const service = {
    instance,
    generation: 0,
    resumedScanIds: [],
    call: (method: unknown, args: unknown) => Promise.resolve({ ok: true as const, value: { method, args } }),
    on: (l: (e: ApiEvent) => void) => {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
  } as unknown as Service;
  return { service, listeners };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('service end of a connection', () => {
  it('greets, answers malformed messages with BAD_INPUT (id 0 when it has none) and keeps answering', async () => {
    const { service } = fakeService();
    const sent: WireMessage[] = [];
    const conn = serveConnection(service, (m) => sent.push(m));
    expect(sent[0]).toMatchObject({ kind: 'hello', instance: 'a' });
    for (const bad of [
      null,
      42,
      'x',
      { kind: 'request' },
      { kind: 'request', id: 1.5, method: 'app/info' },
      { kind: 'request', id: 2, method: 7 },
    ])
      conn.receive(bad);
    conn.receive({ kind: 'request', id: 3, method: 'app/info', args: {} });
    await flush();
    const replies = sent.filter((m) => m.kind === 'response');
    expect(replies.slice(0, 6).map((m) => [m.id, m.reply.ok])).toEqual([
      [0, false],
      [0, false],
      [0, false],
      [0, false],
      [0, false],
      [2, false],
    ]);
    expect(replies.slice(0, 6).every((m) => !m.reply.ok && m.reply.error.code === 'BAD_INPUT')).toBe(true);
    expect(replies[6]).toEqual({
      kind: 'response',
      id: 3,
      reply: { ok: true, value: { method: 'app/info', args: {} } },
    });
  });

  it('forwards events until closed, and survives a send that throws', () => {
    const { service, listeners } = fakeService();
    const sent: WireMessage[] = [];
    let broken = false;
    const conn = serveConnection(service, (m) => {
      if (broken) throw new Error('socket gone');
      sent.push(m);
    });
    const ev: ApiEvent = { type: 'job/failed', jobId: 'j', scanId: 1, error: { code: 'CANCELLED', message: 'x' } };
    for (const l of listeners) l(ev);
    expect(sent.at(-1)).toEqual({ kind: 'event', event: ev });
    broken = true;
    expect(() => {
      for (const l of listeners) l(ev);
    }).not.toThrow();
    conn.close();
    expect(listeners.size).toBe(0);
  });
});

describe('client end', () => {
  it('correlates replies by id, fails waiting requests on disconnect, and reports a new instance as host/restarted', async () => {
    const out: { id: number; method: string }[] = [];
    const client = rpcClient((m) => void out.push(m));
    const events: ApiEvent[] = [];
    client.api.on((e) => events.push(e));
    const a = client.api['app/info']({});
    const b = client.api['jobs/list']({});
    await flush();
    expect(out.map((m) => m.method)).toEqual(['app/info', 'jobs/list']);
    client.receive({ kind: 'response', id: out[1].id, reply: { ok: true, value: [] } });
    expect(await b).toEqual({ ok: true, value: [] });
    client.disconnected('socket closed');
    expect(await a).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL', message: 'connection lost: socket closed' },
    });

    client.receive({ kind: 'hello', instance: 'one', generation: 0, resumedScanIds: [] });
    expect(events).toEqual([]);
    client.receive({ kind: 'hello', instance: 'one', generation: 0, resumedScanIds: [] });
    client.receive({ kind: 'hello', instance: 'two', generation: 1, resumedScanIds: [4] });
    expect(events).toEqual([
      { type: 'host/restarted', generation: 1, reason: 'the engine host restarted', resumedScanIds: [4] },
    ]);
  });

  it('answers {ok:false} when the request cannot be sent', async () => {
    const client = rpcClient(() => {
      throw new Error('not connected');
    });
    expect(await client.api['app/info']({})).toMatchObject({
      ok: false,
      error: { message: 'not sent: not connected' },
    });
  });
});
