/**
 * The client end of the protocol, shared by the preload (MessagePort), the renderer's WebSocket
 * client and the tests: correlates responses with requests, fans events out to listeners, and turns
 * a lost connection into `{ok:false}` replies. When a connection greets it from a different service
 * instance than before, the host restarted: listeners get a `host/restarted` event. Dependency-free
 * apart from the contract, so the renderer bundles it.
 */
import { namedCalls, type ApiEvent, type Method, type Reply, type RequestMessage, type UmaApi } from './api.ts';

export interface RpcClient {
  api: UmaApi;
  /** Feed every message that arrives from the service. */
  receive(message: unknown): void;
  /** The connection dropped: every request still waiting fails with this reason. */
  disconnected(reason: string): void;
}

export function rpcClient(send: (m: RequestMessage) => void | Promise<void>): RpcClient {
  const pending = new Map<number, (r: Reply<unknown>) => void>();
  const listeners = new Set<(e: ApiEvent) => void>();
  let nextId = 1;
  let instance: string | null = null;
  const fail = (message: string): Reply<unknown> => ({ ok: false, error: { code: 'INTERNAL', message } });
  const emit = (e: ApiEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        console.error('uma: an event listener threw', err);
      }
    }
  };

  const request = (method: Method, args: unknown) =>
    new Promise<Reply<unknown>>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      Promise.resolve()
        .then(() => send({ kind: 'request', id, method, args }))
        .catch((err: unknown) => {
          pending.delete(id);
          resolve(fail(`not sent: ${err instanceof Error ? err.message : String(err)}`));
        });
    });

  return {
    api: {
      ...namedCalls(request),
      on(listener) {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
    },
    receive(message) {
      const m = message as {
        kind?: string;
        id?: number;
        reply?: Reply<unknown>;
        event?: ApiEvent;
        instance?: string;
        generation?: number;
        resumedScanIds?: number[];
      };
      if (m?.kind === 'response' && typeof m.id === 'number') {
        const resolve = pending.get(m.id);
        pending.delete(m.id);
        if (resolve && m.reply) resolve(m.reply);
        else if (m.id === 0 && m.reply && !m.reply.ok)
          console.error('uma: the service refused a message:', m.reply.error.message);
      } else if (m?.kind === 'event' && m.event) {
        emit(m.event);
      } else if (m?.kind === 'hello' && typeof m.instance === 'string') {
        const restarted = instance !== null && instance !== m.instance;
        instance = m.instance;
        if (restarted)
          emit({
            type: 'host/restarted',
            generation: m.generation ?? 0,
            reason: 'the engine host restarted',
            resumedScanIds: m.resumedScanIds ?? [],
          });
      }
    },
    disconnected(reason) {
      for (const resolve of pending.values()) resolve(fail(`connection lost: ${reason}`));
      pending.clear();
    },
  };
}
