/**
 * Picks the transport at start-up: the Electron preload's window.uma when present, else the
 * WebSocket client to the `uma serve` that served this page (its ?token=, or the cookie the first
 * tokened load set). The first call proves the connection, so a dead service or a missing token
 * is reported instead of an app that silently waits.
 */
import type { UmaApi } from '../../../shared/api.ts';
import { connectIpc, hasIpc } from '../api/ipc-client.ts';
import { connectWs } from '../api/ws-client.ts';
import { connectionChanged } from './connection.ts';

const FIRST_REPLY_MS = 10_000;

export async function connectTransport(): Promise<UmaApi> {
  if (hasIpc()) return connectIpc();
  const client = connectWs({ onStatus: connectionChanged });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`no answer from the service at ${window.location.host} within ${FIRST_REPLY_MS / 1000} s`)),
      FIRST_REPLY_MS,
    );
  });
  try {
    const reply = await Promise.race([client['app/info']({}), timeout]);
    if (!reply.ok) throw new Error(reply.error.message);
    return client;
  } catch (err) {
    client.close();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
