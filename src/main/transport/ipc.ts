/**
 * The engine host's end of a MessagePort from the Electron main process (one per renderer, one for the
 * main process itself): the same connection logic as the WebSocket, with structured clone carrying
 * Uint8Arrays as they are.
 */
import type { MessagePortMain } from 'electron';
import type { Service } from '../service/index.ts';
import { serveConnection } from './connection.ts';

export function serveMessagePort(service: Service, port: MessagePortMain): void {
  const conn = serveConnection(service, (m) => port.postMessage(m));
  port.on('message', (e) => conn.receive(e.data));
  port.on('close', () => conn.close());
  port.start();
}
