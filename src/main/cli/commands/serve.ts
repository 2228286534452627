import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UmaError } from '../../../shared/errors.ts';
import { watchQueue } from '../../batch/queue-state.ts';
import { parseQueueUrl } from '../../batch/queue-url.ts';
import { BACKEND_CHOICES, isBackendChoice } from '../../engine/backend/index.ts';
import { startService } from '../../service/index.ts';
import { startWsServer } from '../../transport/ws.ts';
import type { Command } from '../command.ts';
import { parseInteger } from '../scan-options.ts';

/** Where `npx electron-vite build` puts the renderer. */
const RENDERER_DIR = fileURLToPath(new URL('../../../../out/renderer/', import.meta.url));

export const serve: Command = {
  name: 'serve',
  summary: 'serve the workstation UI and its API to a browser (loopback, session token)',
  usage: `uma serve [--port N] [--host 127.0.0.1] [--db FILE] [--token T] [--backend B] [--no-pdf] [--ui DIR]
          [--queue URL]

Runs the engine host and the service in this process, serves the built UI (out/renderer; build it with
'npx electron-vite build') over HTTP and the API over a WebSocket at /api, and prints the URL to open:
http://127.0.0.1:PORT/?token=... . Requests without the token, or WebSocket upgrades from another
origin, are refused with 403. Scans interrupted by a crash are resumed at start-up.

  --port N     TCP port (default 8765; 0 picks a free one)
  --host H     address to bind (default 127.0.0.1). Anything but loopback exposes the service to the network.
  --db FILE    case database (default $UMA_HOME/cases.sqlite or ~/.uma/cases.sqlite)
  --token T    session token to require (default: 32 random bytes, hex); reuse one across restarts
  --backend B  ${BACKEND_CHOICES.join(' | ')} (default auto)
  --no-pdf     do not render PDFs into report archives
  --ui DIR     serve the built UI from DIR (holding index.html) instead of out/renderer
  --queue URL  the batch queue (redis://HOST:PORT, as for 'uma batch') whose jobs and workers the
               Batches page shows; without it the page shows the batches of the database only`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        db: { type: 'string' },
        token: { type: 'string' },
        backend: { type: 'string', default: 'auto' },
        'no-pdf': { type: 'boolean', default: false },
        ui: { type: 'string' },
        queue: { type: 'string' },
      },
      strict: true,
    });
    const port = parseInteger('port', values.port, 0) ?? 8765;
    if (port > 65535) throw new UmaError('BAD_INPUT', `--port must be at most 65535, not ${port}`);
    if (!isBackendChoice(values.backend))
      throw new UmaError('BAD_INPUT', `--backend must be one of ${BACKEND_CHOICES.join(', ')}`);
    const token = values.token ?? randomBytes(32).toString('hex');
    if (token.length < 16 || !/^[\w-]+$/.test(token))
      throw new UmaError('BAD_INPUT', '--token must be at least 16 characters of [A-Za-z0-9_-]');
    const loopback = ['127.0.0.1', 'localhost', '::1'].includes(values.host);
    if (!loopback) {
      io.err(
        'WARNING: --host ' +
          values.host +
          ' exposes the case database, the evidence and scanning to anyone on the network who gets',
      );
      io.err(
        'WARNING: the token. Traffic is plain HTTP (no TLS): put it behind an SSH tunnel or a TLS proxy instead if you can.',
      );
    }
    if (values.ui && !fs.existsSync(`${values.ui}/index.html`))
      throw new UmaError('BAD_INPUT', `--ui ${values.ui}: no index.html there`);
    const uiDir = values.ui ?? RENDERER_DIR;
    const staticDir = fs.existsSync(`${uiDir}/index.html`) ? uiDir : null;
    if (!staticDir)
      io.err(
        `note: the UI is not built (${RENDERER_DIR}); run 'npx electron-vite build' and restart. The API works without it.`,
      );

    const queue = values.queue ? watchQueue(parseQueueUrl(values.queue)) : null;
    const service = await startService({
      dbPath: values.db,
      host: 'serve',
      backend: values.backend,
      pdf: !values['no-pdf'],
      queueState: queue ? () => queue.read() : undefined,
    });
    const server = await startWsServer({ service, host: values.host, port, token, staticDir });
    io.out(`uma serve: open ${server.url}`);
    io.out(`  cases ${service.cdb.paths.db}`);
    if (service.resumedScanIds.length > 0) io.out(`  resuming interrupted scans ${service.resumedScanIds.join(', ')}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    io.out('uma serve: stopping (a running scan stays resumable)');
    await server.close();
    await service.close();
    await queue?.close();
    return 0;
  },
};
