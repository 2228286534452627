/**
 * The engine host: an Electron utilityProcess that owns tfjs and the SQLite handle, so neither the
 * window nor the main process ever waits on a scan. The main process hands it MessagePorts
 * ({type: 'connect'}); it answers each with the service. Interrupted scans resume at start-up.
 */
import { startService } from '../service/index.ts';
import { serveMessagePort } from '../transport/ipc.ts';

const parent = process.parentPort;
const service = await startService({
  host: 'electron',
  dbPath: process.env.UMA_DB || undefined,
  generation: Number(process.env.UMA_HOST_GENERATION ?? 0),
});
parent.on('message', (e) => {
  if ((e.data as { type?: string })?.type === 'connect' && e.ports[0]) serveMessagePort(service, e.ports[0]);
});
parent.postMessage({ type: 'ready', resumedScanIds: service.resumedScanIds });
