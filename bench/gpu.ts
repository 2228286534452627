/**
 * GPU benchmark: on whatever GPU path initBackend finds (tfjs-node-gpu where CUDA 11 loads, else WebGPU
 * through Dawn on a hardware adapter), reports the backend and device as `uma doctor` does, a training
 * step's throughput, and whole scans with the default profile:
 *  - demo: the bundled demo model (MNIST CNN) on N clean digits per class (--demo-per-class, 100);
 *  - CIFAR: the authors' CIFAR-10 CNN (1.34M parameters), trained one epoch on the same data first, on
 *    N CIFAR-10 test images per class (--cifar-per-class, 100; --cifar PATH of an IDX file, or synthetic).
 * Scans run on this thread (--workers 0): a GPU backend uses one worker anyway, and a bundle has no
 * worker entry file. Writes bench/results/gpu.json (or --out).
 *
 * From the repository: bench/gpu.sh. Without node_modules (a GPU machine): `bench/gpu.sh --bundle DIR`
 * here packs this file, Dawn and the data into DIR; there, `DIR/run.sh` runs it (see bench/gpu.sh).
 * `--prepare DIR` writes the demo and CIFAR subsets as IDX files, for a bundle.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { initBackend, isBackendChoice } from '../src/main/engine/backend/index.ts';
import { CIFAR_PROBE, MNIST_PROBE, trainingThroughput } from '../src/main/engine/backend/probe.ts';
import { limitPerClass, loadDataset, makeDataset, type Dataset } from '../src/main/engine/data/index.ts';
import { loadModelFile } from '../src/main/engine/model/load.ts';
import type { Classifier } from '../src/main/engine/model/types.ts';
import { runScan } from '../src/main/engine/scan/pipeline.ts';
import { mulberry32 } from '../src/main/engine/random.ts';
import { trainModel } from '../src/main/eval/zoo/trainer.ts';
import { resolveParams } from '../src/shared/scan-params.ts';
import { machineInfo } from './machine.ts';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    'demo-model': { type: 'string' },
    'demo-data': { type: 'string', default: 'demo' },
    'demo-per-class': { type: 'string', default: '100' },
    cifar: { type: 'string' },
    'cifar-per-class': { type: 'string', default: '100' },
    'probe-seconds': { type: 'string', default: '3' },
    out: { type: 'string' },
    prepare: { type: 'string' },
  },
  strict: true,
});
const ROOT = join(import.meta.dirname, '..');
const DEFAULT_CIFAR = join(ROOT, '../shared/datasets/cifar10/test-images-idx4-ubyte.gz');
const demoPerClass = Number(values['demo-per-class']);
const cifarPerClass = Number(values['cifar-per-class']);
const cifarSpec = values.cifar ?? (existsSync(DEFAULT_CIFAR) ? DEFAULT_CIFAR : 'synthetic');

/** Seeded uniform images of CIFAR's shape: the scan's cost does not depend on what the pixels show. */
function syntheticCifar(perClass: number): Dataset {
  const rand = mulberry32(7);
  const count = perClass * 10;
  const images = Float32Array.from({ length: count * 32 * 32 * 3 }, () => rand());
  const labels = Int32Array.from({ length: count }, (_, i) => i % 10);
  return makeDataset({
    images,
    labels,
    count,
    height: 32,
    width: 32,
    channels: 3,
    classNames: Array.from({ length: 10 }, (_, i) => String(i)),
    source: 'synthetic',
  });
}

function cifarData(): Dataset {
  return cifarSpec === 'synthetic'
    ? syntheticCifar(cifarPerClass)
    : limitPerClass(loadDataset(cifarSpec), cifarPerClass, 1);
}

/** An IDX unsigned-byte file: magic (0, 0, 0x08, rank), big-endian dimensions, then the bytes. */
function writeIdx(path: string, shape: number[], bytes: Uint8Array): void {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head.writeUInt32BE(0x0800 + shape.length, 0);
  shape.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  writeFileSync(path, gzipSync(Buffer.concat([head, bytes])));
}

function writeIdxDataset(dir: string, name: string, d: Dataset): void {
  const pixels = Uint8Array.from(d.images, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
  const shape = d.channels === 1 ? [d.count, d.height, d.width] : [d.count, d.height, d.width, d.channels];
  writeIdx(join(dir, `${name}-images-idx${shape.length}-ubyte.gz`), shape, pixels);
  writeIdx(join(dir, `${name}-labels-idx1-ubyte.gz`), [d.count], Uint8Array.from(d.labels));
}

if (values.prepare) {
  mkdirSync(values.prepare, { recursive: true });
  writeIdxDataset(values.prepare, 'demo', limitPerClass(loadDataset('demo'), demoPerClass, 1));
  writeIdxDataset(values.prepare, 'cifar', cifarData());
  console.log(
    `wrote the demo (${demoPerClass}/class) and CIFAR (${cifarPerClass}/class, ${cifarSpec}) subsets to ${values.prepare}`,
  );
  process.exit(0);
}

async function scan(model: Classifier, data: Dataset) {
  const { result } = await runScan({ model, data, params: resolveParams(), workers: 0, seed: 1 });
  const round = (v: number) => Number(v.toFixed(2));
  return {
    seconds: round(result.seconds),
    stageSeconds: Object.fromEntries(Object.entries(result.stageSeconds).map(([k, v]) => [k, round(v)])),
    verdict: result.verdict,
    target: result.target,
    samples: result.data.samples,
  };
}

if (!isBackendChoice(values.backend)) throw new Error(`--backend must be a backend name, not '${values.backend}'`);
const backend = await initBackend(values.backend);
console.log(`backend ${backend.name} on ${backend.device}: ${backend.reason}`);
const seconds = Number(values['probe-seconds']);
const probe = {
  mnist: await trainingThroughput(MNIST_PROBE, seconds),
  cifar: await trainingThroughput(CIFAR_PROBE, seconds),
};
console.log(
  `training step: MNIST CNN ${probe.mnist.samplesPerSecond.toFixed(0)} samples/s, CIFAR CNN ${probe.cifar.samplesPerSecond.toFixed(0)} samples/s`,
);

const demoModel = await loadModelFile(values['demo-model'] ?? join(ROOT, 'resources/demo-model/model.json'));
const demoData = limitPerClass(loadDataset(values['demo-data']), demoPerClass, 1);
const demo = await scan(demoModel, demoData);
demoModel.dispose();
console.log(
  `demo: ${demo.seconds} s per model (${demo.samples} samples), ${JSON.stringify(demo.stageSeconds)}, ${demo.verdict}`,
);

const cifar = cifarData();
const t = performance.now();
const trained = await trainModel({ arch: 'authors-cifar-cnn', train: cifar, test: cifar, epochs: 1, seed: 3 });
const trainSeconds = Number(((performance.now() - t) / 1000).toFixed(2));
const cifarScan = await scan(trained.classifier, cifar);
trained.classifier.dispose();
console.log(
  `CIFAR: ${cifarScan.seconds} s per model (${cifarScan.samples} samples), ${JSON.stringify(cifarScan.stageSeconds)}`,
);

const out = {
  date: new Date().toISOString(),
  device: backend.device,
  backend: backend.name,
  tfBackend: backend.tfBackend,
  reason: backend.reason,
  attempts: backend.attempts,
  adapter: backend.adapter ?? null,
  machine: machineInfo(),
  params: 'default profile (tuned), seed 1, scan on one thread',
  trainingStep: {
    mnistSamplesPerSecond: Math.round(probe.mnist.samplesPerSecond),
    cifarSamplesPerSecond: Math.round(probe.cifar.samplesPerSecond),
    batch: probe.mnist.batch,
  },
  demoSeconds: demo.seconds,
  demoStageSeconds: demo.stageSeconds,
  demo: {
    model: 'bundled demo (mnist-cnn, BadNets target 7)',
    perClass: demoPerClass,
    verdict: demo.verdict,
    target: demo.target,
  },
  cifarSeconds: cifarScan.seconds,
  cifarStageSeconds: cifarScan.stageSeconds,
  cifar: {
    model: 'authors-cifar-cnn, trained 1 epoch on the same data',
    data: cifarSpec,
    perClass: cifarPerClass,
    trainSeconds,
  },
};
const file = values.out ?? join(ROOT, 'bench', 'results', 'gpu.json');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${file}`);
