/**
 * The preload (sandboxed, context-isolated): exposes `window.uma`, exactly the contract's named calls
 * and `on` for its events, and nothing else (no ipcRenderer, no event objects, no ports). Calls go over
 * the MessagePort the main process sends to the engine host; the few shell calls (dialogs, PDF) go to
 * the main process. A new port (page reload, host restart) replaces the old one; requests waiting on
 * the old one answer {ok:false}, and the new host's hello makes listeners see host/restarted.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { SHELL_METHODS, type Reply } from '../shared/api.ts';
import { rpcClient } from '../shared/rpc-client.ts';

/** The DOM MessagePort the preload receives (this file compiles without the DOM library). */
interface RendererPort {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((e: { data: unknown }) => void) | null;
}

let port: RendererPort | null = null;
const waiting: ((p: RendererPort) => void)[] = [];

const client = rpcClient(async (m) => {
  if ((SHELL_METHODS as readonly string[]).includes(m.method)) {
    const reply = (await ipcRenderer.invoke('uma:shell', m.method, m.args)) as Reply<unknown>;
    client.receive({ kind: 'response', id: m.id, reply });
    return;
  }
  const p = port ?? (await new Promise<RendererPort>((resolve) => waiting.push(resolve)));
  p.postMessage(m);
});

ipcRenderer.on('uma:port', (event) => {
  const next = event.ports[0] as unknown as RendererPort | undefined;
  if (!next) return;
  if (port) {
    port.close();
    client.disconnected('the engine host restarted');
  }
  port = next;
  next.onmessage = (e) => client.receive(e.data);
  for (const resolve of waiting.splice(0)) resolve(next);
});

contextBridge.exposeInMainWorld('uma', client.api);
