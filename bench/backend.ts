/**
 * Compute backend benchmark: training-step throughput (samples/s) of a small MNIST CNN and
 * the authors' CIFAR-10 CNN on WASM with the project's gradient kernels versus the pure-JS cpu
 * backend (batch 64 on WASM; batch 8 on cpu, whose steps take minutes at 64: samples/s is the
 * comparable figure), and the conv kernels alone at batch 16 on both. Prints a table and writes bench/results/backend.json.
 * Run: npm run bench:backend [-- --seconds N]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/engine/backend/index.ts';
import { CIFAR_PROBE, MNIST_PROBE, trainingThroughput } from '../src/main/engine/backend/probe.ts';
import { machineInfo } from './machine.ts';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 5;

function timeKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: object, budget: number): number {
  const once = () => tf.engine().runKernel<tf.Tensor>(name, inputs, attrs as tf.NamedAttrMap);
  once().dispose();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < budget * 1000) {
    const out = once();
    out.dataSync();
    out.dispose();
    n++;
  }
  return (performance.now() - start) / n;
}

function kernels(budget: number) {
  // The second conv of the authors' CIFAR CNN at batch 16: 32x32x32 -> 32 filters, 3x3, same.
  const x = tf.randomUniform([16, 32, 32, 32], 0, 1, 'float32', 1);
  const f = tf.randomUniform([3, 3, 32, 32], -0.1, 0.1, 'float32', 2);
  const dy = tf.randomUniform([16, 32, 32, 32], -1, 1, 'float32', 3);
  const base = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
  const out = {
    forwardMs: timeKernel('Conv2D', { x, filter: f }, base, budget),
    backpropInputMs: timeKernel('Conv2DBackpropInput', { dy, filter: f }, { ...base, inputShape: x.shape }, budget),
    backpropFilterMs: timeKernel('Conv2DBackpropFilter', { x, dy }, { ...base, filterShape: f.shape }, budget),
  };
  tf.dispose([x, f, dy]);
  return out;
}

const results: Record<string, unknown> = {};
for (const backend of ['wasm', 'cpu'] as const) {
  await initBackend(backend);
  const batch = backend === 'cpu' ? 8 : 64;
  const mnist = await trainingThroughput(MNIST_PROBE, seconds, batch);
  const cifar = await trainingThroughput(CIFAR_PROBE, seconds, batch);
  results[backend] = { mnistCnn: mnist, authorsCifarCnn: cifar, conv32x32x32Batch16: kernels(seconds / 2) };
  console.log(
    `${backend.padEnd(5)} batch ${batch}  MNIST CNN ${mnist.samplesPerSecond.toFixed(1).padStart(8)} samples/s   CIFAR CNN ${cifar.samplesPerSecond.toFixed(1).padStart(8)} samples/s`,
  );
}
const w = results.wasm as {
  mnistCnn: { samplesPerSecond: number };
  authorsCifarCnn: { samplesPerSecond: number };
  conv32x32x32Batch16: Record<string, number>;
};
const c = results.cpu as typeof w;
const summary = {
  speedupMnist: w.mnistCnn.samplesPerSecond / c.mnistCnn.samplesPerSecond,
  speedupCifar: w.authorsCifarCnn.samplesPerSecond / c.authorsCifarCnn.samplesPerSecond,
};
console.log('\nconv kernel, 16x32x32x32 -> 32, 3x3 (ms per call)');
console.log('backend  forward  backprop-input  backprop-filter');
for (const b of ['wasm', 'cpu']) {
  const k = (results[b] as typeof w).conv32x32x32Batch16;
  console.log(
    `${b.padEnd(7)} ${k.forwardMs.toFixed(1).padStart(8)} ${k.backpropInputMs.toFixed(1).padStart(15)} ${k.backpropFilterMs.toFixed(1).padStart(16)}`,
  );
}
console.log(
  `\ntraining step speed-up of wasm over cpu: MNIST CNN ${summary.speedupMnist.toFixed(1)}x, CIFAR CNN ${summary.speedupCifar.toFixed(1)}x`,
);
const out = {
  date: new Date().toISOString(),
  machine: machineInfo(),
  batch: { wasm: 64, cpu: 8 },
  ...results,
  summary,
};
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'backend.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log('wrote bench/results/backend.json');
