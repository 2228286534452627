import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UmaError } from '../../../shared/errors.ts';
import { followBatch, openCoordinator, queueBatch, reattachBatch, type ItemStatus } from '../../batch/coordinator.ts';
import { listManifests, readManifest, type BatchManifest } from '../../cases/batches.ts';
import { parseQueueUrl } from '../../batch/queue-url.ts';
import { BACKEND_CHOICES, isBackendChoice } from '../../engine/backend/index.ts';
import { batchPrinter, printBatchSummary } from '../batch-progress.ts';
import type { Command } from '../command.ts';
import { DEMO_DISPLAY_NAME, parseInteger, parseScanSettings, resolveModelPath, SCAN_OPTIONS } from '../scan-options.ts';
import { openCliSession } from '../service-session.ts';

const DEFAULT_ATTEMPTS = 3;

export const batch: Command = {
  name: 'batch',
  summary: "scan many models on the machines running 'uma worker', recording every scan in a case",
  usage: `uma batch MODEL... --data DATA --queue URL --case NAME [options]
uma batch --resume [BATCH_ID] --queue URL [--db FILE]

Takes each MODEL into the case as evidence (sha256), records one scan per model in the case database
and queues one job per model on the queue (a Redis server) that 'uma worker' processes on any number
of machines. Each job carries its model's bytes (up to --max-model-mb); DATA is 'demo' or a path that
every worker sees (the same folder on a shared mount, or a copy at the same path). Every class a
worker finishes is written into the case database as it arrives; a job whose worker died is taken up
by another worker, which computes only the classes still missing. The case database is the record.

MODEL   as for 'uma scan': an ONNX file, a Keras .h5, a TF.js model.json (or its folder), or demo

options:
  --queue URL         redis://[user:password@]HOST:PORT[/DB], or rediss://...[?ca=CA.pem] for TLS;
                      the password may be given in $UMA_QUEUE_PASSWORD instead
  --case NAME         the case the models are taken into (created on first use)
  --db FILE           case database (default $UMA_HOME/cases.sqlite or ~/.uma/cases.sqlite)
  --examiner NAME     who examines
  --attempts N        runs of a job before it is failed (default ${DEFAULT_ATTEMPTS}); a worker that dies does
                      not use one up unless it dies twice on the same job
  --max-model-mb N    refuse a model larger than this (default 256)
  --poll-ms MS        how often the queue is read (default 1000)
  --backend B         ${BACKEND_CHOICES.join(' | ')}: opens each model here to check it before it is queued
  --json OUT          write the summary as JSON
  --resume [BATCH_ID] follow a batch again after this command was stopped or killed (default: the newest
                      batch with unfinished scans); jobs the queue lost are queued again

scan options, as for 'uma scan': --method, --seed, --workers (threads per scan on the worker),
  --max-per-class, --mean, --std, --classes, --labels, --profile, --param NAME=VALUE,
  --calibrate SCAN_ID,... (clean scans of this case database), --calibration-margin M, --per-class

Exit code 0 when every scan completed, whatever the verdicts; 1 when some failed (after their
attempts); 2 on bad input.`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...SCAN_OPTIONS,
        queue: { type: 'string' },
        case: { type: 'string' },
        db: { type: 'string' },
        examiner: { type: 'string' },
        attempts: { type: 'string' },
        'max-model-mb': { type: 'string' },
        'poll-ms': { type: 'string' },
        backend: { type: 'string', default: 'auto' },
        json: { type: 'string' },
        resume: { type: 'boolean', default: false },
      },
    });
    if (!values.queue) throw new UmaError('BAD_INPUT', '--queue is required (redis://HOST:PORT)');
    if (!isBackendChoice(values.backend))
      throw new UmaError('BAD_INPUT', `--backend must be one of ${BACKEND_CHOICES.join(', ')}`);
    const address = parseQueueUrl(values.queue);
    const attempts = parseInteger('attempts', values.attempts, 1) ?? DEFAULT_ATTEMPTS;
    const pollMs = parseInteger('poll-ms', values['poll-ms'], 10) ?? 1000;
    if (values.resume) {
      if (positionals.length > 1) throw new UmaError('BAD_INPUT', 'give at most one BATCH_ID with --resume');
    } else {
      if (positionals.length === 0) throw new UmaError('BAD_INPUT', 'give at least one MODEL');
      if (!values.data) throw new UmaError('BAD_INPUT', '--data is required (demo, or a path every worker sees)');
      if (!values.case) throw new UmaError('BAD_INPUT', '--case is required: a batch records its scans in a case');
    }
    const settings = parseScanSettings(values);
    // On its own thread a scan would block the worker's event loop, and with it the renewal of its job's
    // lock: the job would be taken as stalled and run twice.
    if (settings.workers === 0)
      throw new UmaError('BAD_INPUT', '--workers 0 is not for batch scans: give 1 or more (threads per scan)');
    const maxMb = parseInteger('max-model-mb', values['max-model-mb'], 1);

    const session = await openCliSession({ db: values.db, backend: values.backend }, io);
    const printer = batchPrinter(io);
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    let coordinator;
    try {
      coordinator = await openCoordinator(session, address, printer.log);
      let manifest: BatchManifest;
      if (values.resume) {
        manifest = positionals[0] ? readManifest(session.dataDir, positionals[0]) : await newestUnfinished(session);
        printer.log(`batch ${manifest.batchId}: ${manifest.items.length} scans of case '${manifest.caseName}'`);
        await reattachBatch(coordinator, manifest, attempts, printer.log);
      } else {
        const data =
          values.data === 'demo'
            ? { kind: 'demo' as const }
            : { kind: 'path' as const, path: values.data!, labels: values.labels };
        manifest = await queueBatch(
          coordinator,
          positionals.map((given) => ({
            given,
            path: resolveModelPath(given),
            displayName: given === 'demo' ? DEMO_DISPLAY_NAME : undefined,
          })),
          {
            caseName: values.case!,
            data,
            method: settings.method,
            params: settings.params,
            seed: settings.seed,
            workers: settings.workers,
            examiner: values.examiner,
            inputSpec: settings.inputSpec,
            calibration: settings.calibration,
            attempts,
            maxModelBytes: maxMb === undefined ? undefined : maxMb * 1024 * 1024,
          },
          printer.log,
        );
        printer.log(`batch ${manifest.batchId}: ${manifest.items.length} jobs on ${coordinator.display}`);
      }
      const items = await followBatch(
        coordinator,
        manifest,
        { attempts, pollMs, signal: stop.signal },
        printer.update,
        printer.log,
      );
      printBatchSummary(io, items);
      if (values.json) writeFileSync(values.json, JSON.stringify(summaryDoc(manifest, items), null, 2));
      io.out(`recorded in case '${manifest.caseName}' of ${session.dbPath} (batch ${manifest.batchId})`);
      return items.every((s) => s.state === 'completed') ? 0 : 1;
    } catch (err) {
      if (err instanceof UmaError && err.code === 'CANCELLED') {
        io.err("uma batch: stopped; the jobs go on. Follow them again with 'uma batch --resume'");
        return 130;
      }
      throw err;
    } finally {
      process.off('SIGINT', onSigint);
      await coordinator?.close();
      await session.close();
    }
  },
};

async function newestUnfinished(session: Awaited<ReturnType<typeof openCliSession>>): Promise<BatchManifest> {
  for (const m of listManifests(session.dataDir)) {
    for (const it of m.items) {
      const status = (await session.call('scans/get', { scanId: it.scanId })).scan.status;
      if (status === 'running' || status === 'interrupted' || status === 'queued') return m;
    }
  }
  throw new UmaError('NOT_FOUND', `no batch with unfinished scans in ${session.dataDir}`);
}

function summaryDoc(m: BatchManifest, items: ItemStatus[]) {
  return {
    batchId: m.batchId,
    caseName: m.caseName,
    scans: items.map((s) => ({
      model: s.model,
      scanId: s.scanId,
      state: s.state,
      verdict: s.verdict,
      score: s.score,
      target: s.target,
      seconds: s.seconds,
      worker: s.worker,
      error: s.error,
    })),
  };
}
