// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { connectWs, type WebSocketLike } from '../../src/renderer/src/api/ws-client.ts';
import { connection, connectionChanged } from '../../src/renderer/src/lib/connection.ts';

/** Sockets the test opens and closes by hand, standing in for the browser's WebSocket. */
function fakeSockets() {
  const made: WebSocketLike[] = [];
  const create = () => {
    const s: WebSocketLike = {
      binaryType: '',
      readyState: 0,
      send: () => undefined,
      close: () => s.onclose?.({}),
      onopen: null,
      onclose: null,
      onerror: null,
      onmessage: null,
    };
    made.push(s);
    return s;
  };
  return { made, create };
}

describe('the connection state the UI shows', () => {
  it('goes down when an open socket drops, and up when a retry opens again', () => {
    vi.useFakeTimers();
    try {
      const { made, create } = fakeSockets();
      const seen: boolean[] = [];
      const client = connectWs({
        url: 'ws://x/api',
        createSocket: create,
        backoffMs: [100],
        onStatus: (up) => seen.push(up),
      });
      made[0].onopen?.({});
      made[0].onclose?.({}); // the service stopped
      expect(seen).toEqual([true, false]);
      made[1].onclose?.({}); // still down: refused
      vi.advanceTimersByTime(100);
      expect(made).toHaveLength(3);
      made[2].onopen?.({});
      expect(seen).toEqual([true, false, true]);
      client.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('records when it was lost and counts reconnections', () => {
    const before = connection.reconnects;
    connectionChanged(false);
    expect(connection.up).toBe(false);
    expect(connection.lostAt).not.toBeNull();
    connectionChanged(true);
    expect([connection.up, connection.lostAt, connection.reconnects]).toEqual([true, null, before + 1]);
  });
});
