/**
 * The service end of one client connection, whatever carries it (MessagePort, WebSocket, memory):
 * greets the client, answers requests, forwards every event. A malformed message is answered with
 * a typed error (id 0 when it has no usable id) and the connection, and the host, carry on.
 */
import type { ApiEvent, WireMessage } from '../../shared/api.ts';
import type { Service } from '../service/index.ts';

export interface Connection {
  receive(message: unknown): void;
  close(): void;
}

export function serveConnection(service: Service, rawSend: (m: WireMessage) => void): Connection {
  const send = (m: WireMessage) => {
    try {
      rawSend(m);
    } catch (err) {
      // A reply that cannot be carried still gets an answer; a closed connection gets nothing.
      if (m.kind !== 'response') return;
      try {
        rawSend({
          kind: 'response',
          id: m.id,
          reply: {
            ok: false,
            error: { code: 'INTERNAL', message: `the reply could not be sent: ${(err as Error).message}` },
          },
        });
      } catch {
        // the connection is gone
      }
    }
  };
  const forward = (event: ApiEvent) => send({ kind: 'event', event });
  const unsubscribe = service.on(forward);
  send({
    kind: 'hello',
    instance: service.instance,
    generation: service.generation,
    resumedScanIds: service.resumedScanIds,
  });
  return {
    receive(message) {
      const m = message as { kind?: unknown; id?: unknown; method?: unknown; args?: unknown } | null;
      const id = typeof m?.id === 'number' && Number.isSafeInteger(m.id) && m.id > 0 ? m.id : 0;
      if (!m || typeof m !== 'object' || m.kind !== 'request' || id === 0 || typeof m.method !== 'string') {
        send({
          kind: 'response',
          id,
          reply: {
            ok: false,
            error: {
              code: 'BAD_INPUT',
              message: 'malformed message: expected {kind: "request", id: positive integer, method: string, args}',
            },
          },
        });
        return;
      }
      void service.call(m.method, m.args).then((reply) => send({ kind: 'response', id, reply }));
    },
    close: unsubscribe,
  };
}
