import { parseArgs } from 'node:util';
import { UmaError } from '../../../shared/errors.ts';
import { parseQueueUrl } from '../../batch/queue-url.ts';
import { runWorker } from '../../batch/worker.ts';
import { BACKEND_CHOICES, isBackendChoice } from '../../engine/backend/index.ts';
import type { Command } from '../command.ts';
import { parseInteger } from '../scan-options.ts';

export const worker: Command = {
  name: 'worker',
  summary: "run scan jobs from a batch queue (Redis) until stopped; see 'uma batch'",
  usage: `uma worker --queue redis://HOST:PORT [options]

Takes scan jobs that 'uma batch' queued, runs each with the same scan code as 'uma scan', and sends
progress, each finished class and the result back through the queue. A finished class is kept in the
queue (a checkpoint), so a job this worker does not finish is taken up by another worker with only
its missing classes to compute. SIGTERM or Ctrl-C stops it: running scans are released to the queue
(a second signal stops it at once; its jobs are then taken up when their lock expires).

options:
  --queue URL         redis://[user:password@]HOST:PORT[/DB], or rediss://...[?ca=CA.pem] for TLS;
                      the password may be given in $UMA_QUEUE_PASSWORD instead
  --concurrency N     scans run at once (default 1; each uses the worker threads its job asks for)
  --backend B         ${BACKEND_CHOICES.join(' | ')} (default auto)
  --lock-ms MS        how long a job stays this worker's without a lock renewal (default 30000)
  --stalled-ms MS     how often this worker looks for jobs of dead workers (default 30000)

Runs until stopped; exit code 0 after a clean stop, 2 on bad input.`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        queue: { type: 'string' },
        concurrency: { type: 'string' },
        backend: { type: 'string', default: 'auto' },
        'lock-ms': { type: 'string' },
        'stalled-ms': { type: 'string' },
      },
    });
    if (positionals.length > 0) throw new UmaError('BAD_INPUT', `unexpected argument '${positionals[0]}'`);
    if (!values.queue) throw new UmaError('BAD_INPUT', '--queue is required (redis://HOST:PORT)');
    if (!isBackendChoice(values.backend))
      throw new UmaError('BAD_INPUT', `--backend must be one of ${BACKEND_CHOICES.join(', ')}`);
    const stop = new AbortController();
    // The first signal releases the running jobs (which needs Redis); a second one, when that hangs on a
    // Redis that is down, leaves now: the jobs go back to the queue by stalled-job recovery.
    const onSignal = () => {
      if (!stop.signal.aborted) return stop.abort();
      io.err('uma worker: stopped without releasing its jobs (other workers take them up once their lock expires)');
      process.exit(143);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    try {
      await runWorker(
        {
          queue: parseQueueUrl(values.queue),
          concurrency: parseInteger('concurrency', values.concurrency, 1) ?? 1,
          backend: values.backend,
          lockMs: parseInteger('lock-ms', values['lock-ms'], 100),
          stalledMs: parseInteger('stalled-ms', values['stalled-ms'], 100),
          io,
        },
        stop.signal,
      );
      return 0;
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  },
};
