/**
 * Scan benchmark (issue 12): seconds per model and per stage, peak RSS and achieved GFLOP/s per stage
 * against the WASM convolution peak, all at the default profile with the default worker count, on:
 *  - demo: the README's `uma scan demo --data demo --max-per-class 100` (bundled MNIST CNN);
 *  - onnx: a PyTorch-exported ONNX CNN on MNIST (default test/fixtures/onnx/cnn.onnx, untrained, so
 *    its verdicts mean nothing; --onnx FILE --onnx-data IDX for a trained one) at 100 and 1,000 per class;
 *  - resnet: the PyTorch-exported ONNX ResNet fixture (BatchNorm, residual adds; untrained) on
 *    CIFAR-10 at 100 per class;
 *  - cifarFull (only with --cifar-full, ~30-60 min): a measured whole scan of the authors' CIFAR CNN
 *    with 1,000 CIFAR-10 test images per class (the model trained one epoch on 8,000 of them, cached).
 * The load average at start and end says whether the machine was idle. Writes bench/results/scan.json
 * (a run without --cifar-full keeps the cifarFull section a previous run measured).
 * --quick: a few samples and steps of everything, written to .cache/bench/scan-quick.json (a smoke
 * test of this script, not a measurement).
 * Run: node bin/run-ts.mjs bench/scan.ts [--cifar-full] [--quick] [--onnx FILE --onnx-data IDX]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { initBackend } from '../src/main/engine/backend/index.ts';
import { limitPerClass, loadDataset, stratifiedSplit, type Dataset } from '../src/main/engine/data/index.ts';
import { loadModelFile } from '../src/main/engine/model/load.ts';
import { LayersClassifier, loadLayersModelFile } from '../src/main/engine/model/layers.ts';
import type { Classifier } from '../src/main/engine/model/types.ts';
import { resolveParams } from '../src/shared/scan-params.ts';
import { runScan } from '../src/main/engine/scan/pipeline.ts';
import { buildArchitecture } from '../src/main/eval/zoo/architectures.ts';
import { trainModel } from '../src/main/eval/zoo/trainer.ts';
import { DEMO_MODEL } from '../src/main/cli/scan-options.ts';
import { DEFAULT_PROFILE_NAME, type ScanParams } from '../src/shared/scan-params.ts';
import { convPeakGflops, scanFlops } from './flops.ts';
import { machineInfo } from './machine.ts';

const argv = process.argv.slice(2);
const args = new Set(argv);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const quick = args.has('--quick');
const ROOT = join(import.meta.dirname, '..');
const SHARED = join(ROOT, '../shared/datasets');
const OUT = quick ? join(ROOT, '.cache', 'bench', 'scan-quick.json') : join(ROOT, 'bench', 'results', 'scan.json');
const mib = (b: number) => Math.round(b / 2 ** 20);
const round = (v: number, d = 2) => Number(v.toFixed(d));
const roundAll = (r: Record<string, number>, d = 2) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v, d)]));

/** Few steps of everything: proves the script end to end in a minute or two, measures nothing. */
const QUICK: Partial<ScanParams> = {
  inversionSteps: 4,
  ablationMaxEpochs: 0.05,
  referenceEpochs: 1,
  referenceMinSteps: 0,
};
const samples = (n: number) => (quick ? Math.min(n, 10) : n);

/** Samples RSS (all threads of this process) every 200 ms; returns the peak in MiB. */
function memoryWatch(): () => number {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 200);
  return () => {
    clearInterval(t);
    return mib(Math.max(peak, process.memoryUsage().rss));
  };
}

/** One whole scan at the default profile (with --quick's overrides), timed, with FLOPs and GFLOP/s per stage. */
async function measure(label: string, model: Classifier, data: Dataset, perClass: number, peak: number) {
  const overrides: Partial<ScanParams> = { maxPerClass: perClass, ...(quick ? QUICK : {}) };
  const params = resolveParams(overrides);
  const workers = Math.max(1, os.availableParallelism());
  const stop = memoryWatch();
  const rssAfterEachClassMiB: number[] = [];
  const { result } = await runScan({
    model,
    data,
    params,
    seed: 1,
    workers,
    onEvent: (e) => {
      if (e.type !== 'class-result') return;
      rssAfterEachClassMiB.push(mib(process.memoryUsage().rss));
      const f = e.finding;
      console.log(
        `  class ${f.index} (${f.name}) done [${rssAfterEachClassMiB.length}/${model.numClasses}]: ${f.seconds.toFixed(1)} s ${JSON.stringify(roundAll(f.stageSeconds ?? {}, 1))}`,
      );
    },
  });
  const peakRssMiB = stop();
  const used = limitPerClass(data, perClass, 0); // same class sizes as the scan's subsample; only the count matters
  const flops = await scanFlops(model, used, params, result);
  const gflops: Record<string, number> = {};
  const fractionOfPeak: Record<string, number> = {};
  for (const [stage, seconds] of Object.entries(result.stageSeconds)) {
    if (!flops[stage] || !seconds) continue;
    // stage seconds add up over the workers, so this is GFLOP/s per busy core, against one core's peak
    gflops[stage] = round(flops[stage] / seconds / 1e9);
    fractionOfPeak[stage] = round(gflops[stage] / peak, 3);
  }
  const out = {
    samplesPerClass: perClass,
    samples: result.data.samples,
    workers,
    secondsPerModel: round(result.seconds, 1),
    stageSeconds: roundAll(result.stageSeconds, 1),
    secondsPerClass: result.classes.map((c) => round(c.seconds, 1)),
    stageSecondsPerClass: result.classes.map((c) => roundAll(c.stageSeconds ?? {}, 1)),
    ablationStepsPerClass: result.classes.map((c) => c.ablationSteps),
    ablationStoppedByPerClass: result.classes.map((c) => c.ablationStoppedBy ?? null),
    gflop: roundAll(Object.fromEntries(Object.entries(flops).map(([k, v]) => [k, v / 1e9])), 1),
    gflopsPerCore: gflops,
    fractionOfConvPeak: fractionOfPeak,
    peakRssMiB,
    rssAfterEachClassMiB,
    verdict: result.verdict,
    score: result.score === null ? null : round(result.score, 3),
    target: result.target,
  };
  console.log(
    `${label}, ${perClass}/class: ${out.secondsPerModel} s per model, stages ${JSON.stringify(out.stageSeconds)}, GFLOP/s per core ${JSON.stringify(gflops)} (peak ${round(peak)}), peak RSS ${peakRssMiB} MiB, ${out.verdict}`,
  );
  return out;
}

async function cifarModel(train: Dataset): Promise<Classifier> {
  if (quick)
    return LayersClassifier.fromModel(
      buildArchitecture('authors-cifar-cnn', [32, 32, 3], 10, 3),
      'authors-cifar-cnn (untrained, --quick)',
    );
  const dir = join(ROOT, '.cache', 'bench', 'authors-cifar-cnn');
  if (existsSync(join(dir, 'model.json'))) return loadLayersModelFile(dir);
  const t = await trainModel({ arch: 'authors-cifar-cnn', train, test: train, epochs: 1, seed: 3 });
  await t.classifier.saveTo(dir);
  return t.classifier;
}

await initBackend('wasm');
// Trained (or loaded from the cache) before anything is timed: its training is not part of a scan.
const cifarFull = args.has('--cifar-full')
  ? await (async () => {
      const data = loadDataset(join(SHARED, 'cifar10/test-images-idx4-ubyte.gz'));
      const [train] = stratifiedSplit(data, 0.2, 1);
      return { data, model: await cifarModel(train) };
    })()
  : null;
const loadAverageAtStart = os.loadavg();
const peak = convPeakGflops(quick ? 1 : 5);
console.log(
  `load average ${loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}; WASM conv peak ${peak.toFixed(1)} GFLOP/s on one thread`,
);
const out: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: machineInfo(),
  loadAverageAtStart,
  profile: DEFAULT_PROFILE_NAME,
  quick,
  convPeakGflopsPerCore: round(peak),
};

const demo = await loadModelFile(DEMO_MODEL);
out.demo = {
  command: 'uma scan demo --data demo --max-per-class 100',
  ...(await measure('demo', demo, loadDataset('demo'), samples(100), peak)),
};
demo.dispose();

/** An ONNX model's runs at each samples-per-class figure, as one section of the record. */
async function onnxSection(label: string, path: string, dataPath: string, perClass: number[]) {
  const data = loadDataset(dataPath);
  const model = await loadModelFile(path);
  const runs: unknown[] = [];
  for (const n of perClass) runs.push(await measure(label, model, data, samples(n), peak));
  const section = { model: path.replace(`${ROOT}/`, ''), params: model.report.params, data: data.source, runs };
  model.dispose();
  return section;
}

const FIXTURES = join(ROOT, 'test', 'fixtures', 'onnx');
out.onnx = await onnxSection(
  'ONNX CNN',
  option('--onnx') ?? join(FIXTURES, 'cnn.onnx'),
  option('--onnx-data') ?? join(SHARED, 'mnist', 't10k-images-idx3-ubyte.gz'),
  [100, 1000],
);
// The PyTorch-exported ResNet fixture (BatchNorm, residual adds, untrained): the issue's small-ResNet target.
out.resnet = await onnxSection(
  'ONNX ResNet (BatchNorm)',
  join(FIXTURES, 'resnet.onnx'),
  join(SHARED, 'cifar10', 'test-images-idx4-ubyte.gz'),
  [100],
);

if (cifarFull) {
  const { model, data } = cifarFull;
  const r = await measure('authors CIFAR CNN', model, data, samples(1000), peak);
  // its own run context: a later run without --cifar-full keeps this section as it is
  out.cifarFull = {
    measured: true,
    date: out.date,
    loadAverageAtStart,
    loadAverageAtEnd: os.loadavg(),
    convPeakGflopsPerCore: round(peak),
    model: 'authors-cifar-cnn',
    params: model.report.params,
    ...r,
  };
  model.dispose();
} else if (existsSync(OUT)) {
  const previous = (JSON.parse(readFileSync(OUT, 'utf8')) as { cifarFull?: { measured?: boolean } }).cifarFull;
  if (previous?.measured) out.cifarFull = previous;
}
// Again at the end: a peak far from the start's says the load changed during the run.
out.convPeakGflopsPerCoreAtEnd = round(convPeakGflops(quick ? 1 : 5));
out.loadAverageAtEnd = os.loadavg();
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${OUT.replace(`${ROOT}/`, '')}`);
