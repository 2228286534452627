/**
 * A client wired straight to a service in the same process, every message passed through
 * structuredClone as the MessagePort of the Electron app would (so what works here crosses IPC).
 */
import type { UmaApi } from '../../shared/api.ts';
import type { Service } from '../service/index.ts';
import { serveConnection } from './connection.ts';
import { rpcClient } from '../../shared/rpc-client.ts';

export function memoryClient(service: Service): { api: UmaApi; close(): void } {
  let conn: ReturnType<typeof serveConnection> | null = null;
  const client = rpcClient((m) => {
    const copy = structuredClone(m);
    queueMicrotask(() => conn?.receive(copy));
  });
  conn = serveConnection(service, (m) => {
    const copy = structuredClone(m);
    queueMicrotask(() => client.receive(copy));
  });
  return {
    api: client.api,
    close() {
      conn?.close();
      conn = null;
      client.disconnected('closed');
    },
  };
}
