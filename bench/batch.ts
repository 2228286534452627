/**
 * Batch-scan throughput (issue 19): a redis-server on loopback, W `uma worker` processes (default 2) and
 * one `uma batch` of N models (default 8: the bundled trojaned and clean demo models, alternating), all
 * on this machine, at the default profile with --max-per-class 100 (the README's demo scan). Each worker
 * runs one scan at a time with cores/W threads, so the workers share the machine as two boxes would
 * share a lab's work. Measures the wall time of the whole batch (intake and queueing included) and
 * each scan's own seconds; throughput is models per minute. With --one-worker it first runs the same
 * batch on one worker (all cores) so the record has the speed-up too. The load average at start and end
 * says whether the machine was idle. Writes bench/results/batch.json.
 * --quick: two models, tiny scans, written to .cache/bench/batch-quick.json (a smoke test, not a measurement).
 * Run: node bin/run-ts.mjs bench/batch.ts [--models N] [--workers W] [--one-worker] [--backend B] [--quick]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { redisMissing, startRedis } from '../test/fixtures/redis-server.ts';
import { machineInfo } from './machine.ts';

const argv = process.argv.slice(2);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const quick = argv.includes('--quick');
const ROOT = path.join(import.meta.dirname, '..');
const UMA = path.join(ROOT, 'bin', 'uma.mjs');
const OUT = quick
  ? path.join(ROOT, '.cache', 'bench', 'batch-quick.json')
  : path.join(ROOT, 'bench', 'results', 'batch.json');
const CLEAN = path.join(ROOT, 'resources', 'demo-model-clean', 'model.json');
const models = Number(option('--models') ?? (quick ? 2 : 8));
const workerCount = Number(option('--workers') ?? 2);
const backend = option('--backend') ?? 'auto';
const SCAN = quick
  ? [
      '--max-per-class',
      '10',
      '--param',
      'inversionSteps=4',
      '--param',
      'ablationMaxEpochs=0.05',
      '--param',
      'referenceEpochs=1',
      '--param',
      'referenceMinSteps=0',
    ]
  : ['--max-per-class', '100'];

interface SummaryDoc {
  scans: {
    model: string;
    state: string;
    verdict: string | null;
    score: number | null;
    seconds: number | null;
    worker: string | null;
  }[];
}

function run(args: string[], log: string): ChildProcess {
  const out = fs.openSync(log, 'w');
  return spawn(process.execPath, [UMA, ...args], { stdio: ['ignore', out, out] });
}

const exited = (c: ChildProcess) =>
  new Promise<number | null>((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.once('exit', resolve)));

/** One batch of `models` models on `workers` fresh worker processes; the summary and the wall seconds. */
async function measure(workers: number, dir: string) {
  const redis = await startRedis(dir);
  const threads = Math.max(1, Math.floor(os.availableParallelism() / workers));
  const fleet = Array.from({ length: workers }, (_, i) =>
    run(['worker', '--queue', redis.url, '--backend', backend], path.join(dir, `worker-${workers}-${i}.log`)),
  );
  const list = Array.from({ length: models }, (_, i) => (i % 2 === 0 ? 'demo' : CLEAN));
  const json = path.join(dir, `summary-${workers}.json`);
  const t0 = performance.now();
  const batch = run(
    [
      'batch',
      ...list,
      '--data',
      'demo',
      '--queue',
      redis.url,
      '--case',
      `bench ${workers} workers`,
      '--db',
      path.join(dir, `cases-${workers}.sqlite`),
      '--workers',
      String(threads),
      '--backend',
      backend,
      '--json',
      json,
      ...SCAN,
    ],
    path.join(dir, `batch-${workers}.log`),
  );
  const code = await exited(batch);
  const wallSeconds = (performance.now() - t0) / 1000;
  for (const w of fleet) w.kill('SIGTERM');
  await Promise.all(fleet.map(exited));
  await redis.stop();
  if (code !== 0) throw new Error(`uma batch exited ${code}; see ${path.join(dir, `batch-${workers}.log`)}`);
  const summary = JSON.parse(fs.readFileSync(json, 'utf8')) as SummaryDoc;
  const perWorker: Record<string, number> = {};
  for (const s of summary.scans) perWorker[s.worker ?? '?'] = (perWorker[s.worker ?? '?'] ?? 0) + 1;
  const scanSeconds = summary.scans.map((s) => s.seconds ?? 0);
  return {
    workers,
    threadsPerScan: threads,
    models,
    wallSeconds: Number(wallSeconds.toFixed(1)),
    modelsPerMinute: Number(((models / wallSeconds) * 60).toFixed(2)),
    meanScanSeconds: Number((scanSeconds.reduce((a, b) => a + b, 0) / scanSeconds.length).toFixed(1)),
    scansPerWorker: Object.values(perWorker),
    scans: summary.scans.map(({ model, verdict, score, seconds, worker }) => ({
      model: model === 'demo' ? 'demo (trojaned)' : 'demo-clean',
      verdict,
      score,
      seconds,
      worker,
    })),
  };
}

async function main() {
  const missing = redisMissing();
  if (missing) throw new Error(missing);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-bench-batch-'));
  const loadStart = os.loadavg();
  try {
    const runs = [];
    if (argv.includes('--one-worker')) runs.push(await measure(1, dir));
    runs.push(await measure(workerCount, dir));
    const record = {
      date: new Date().toISOString(),
      command: `node bin/run-ts.mjs bench/batch.ts ${argv.join(' ')}`.trim(),
      machine: machineInfo(),
      loadAverageStart: loadStart,
      loadAverageEnd: os.loadavg(),
      backend,
      scanOptions: SCAN.join(' '),
      runs,
      ...(runs.length === 2 && { speedup: Number((runs[0].wallSeconds / runs[1].wallSeconds).toFixed(2)) }),
    };
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, `${JSON.stringify(record, null, 2)}\n`);
    console.log(
      JSON.stringify(
        record.runs.map(({ scans: _, ...r }) => r),
        null,
        2,
      ),
    );
    console.log(`wrote ${OUT}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
