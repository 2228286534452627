/**
 * The UI's client when it runs in a browser against `uma serve`: the contract over a WebSocket at
 * /api, binary frames (wire.ts), reconnecting with a fixed back-off when the connection drops.
 * Requests in flight when it drops answer {ok:false}; after a reconnect to a restarted service,
 * listeners get `host/restarted` and should re-read what they show (jobs/list catches up on scans).
 */
import type { UmaApi } from '../../../shared/api.ts';
import { rpcClient } from '../../../shared/rpc-client.ts';
import { decodeFrame, encodeFrame } from '../../../shared/wire.ts';

/** The part of the WebSocket interface used here (the browser's, or the `ws` package's in tests). */
export interface WebSocketLike {
  binaryType: string;
  readyState: number;
  send(data: Uint8Array): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export interface WsClientOptions {
  /** Default: ws(s)://<this page's host>/api, with the page's ?token= when it has one (else the cookie). */
  url?: string;
  createSocket?: (url: string) => WebSocketLike;
  /** Delays between reconnection attempts, ms; the last repeats. */
  backoffMs?: number[];
  /** Told false when an open connection drops, true when a connection opens again after that. */
  onStatus?: (connected: boolean) => void;
}

export interface WsClient extends UmaApi {
  /** Stops reconnecting and closes the socket. */
  close(): void;
}

function defaultUrl(): string {
  const loc = window.location;
  const token = new URLSearchParams(loc.search).get('token');
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

export function connectWs(opts: WsClientOptions = {}): WsClient {
  const url = opts.url ?? defaultUrl();
  const create = opts.createSocket ?? ((u: string) => new WebSocket(u) as unknown as WebSocketLike);
  // Short enough that a restarted service is noticed within a few seconds.
  const backoff = opts.backoffMs ?? [250, 500, 1000, 2000];
  let socket: WebSocketLike | null = null;
  let opened: Promise<WebSocketLike> | null = null;
  let attempt = 0;
  let closed = false;

  const connect = (): Promise<WebSocketLike> => {
    opened ??= new Promise((resolve) => {
      const open = () => {
        if (closed) return;
        const s = create(url);
        s.binaryType = 'arraybuffer';
        s.onopen = () => {
          attempt = 0;
          socket = s;
          resolve(s);
          opts.onStatus?.(true);
        };
        s.onmessage = (ev) => {
          try {
            client.receive(decodeFrame(ev.data as ArrayBuffer | string));
          } catch (err) {
            console.error('uma: unreadable frame from the service', err);
          }
        };
        s.onerror = () => undefined; // onclose follows and decides
        s.onclose = () => {
          const wasOpen = socket === s;
          socket = null;
          if (wasOpen) {
            opened = null;
            client.disconnected('the WebSocket closed');
            opts.onStatus?.(false);
            if (!closed) void connect();
          } else if (!closed) {
            setTimeout(open, backoff[Math.min(attempt++, backoff.length - 1)]);
          }
        };
      };
      open();
    });
    return opened;
  };

  const client = rpcClient(async (m) => {
    if (closed) throw new Error('the client is closed');
    (await connect()).send(encodeFrame(m));
  });
  void connect();
  return {
    ...client.api,
    close() {
      closed = true;
      socket?.close();
      client.disconnected('the client closed');
    },
  };
}
