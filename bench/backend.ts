/**
 * Compute backend benchmark: training-step throughput (samples/s, batch 64) of a small MNIST CNN and
 * the authors' CIFAR-10 CNN on WASM with the project's gradient kernels versus the pure-JS cpu
 * backend, and the conv kernels alone. Prints a table and writes bench/results/backend.json.
 * Run: npm run bench:backend [-- --seconds N]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/engine/backend/index.ts';
import { CIFAR_PROBE, MNIST_PROBE, trainingThroughput } from '../src/main/engine/backend/probe.ts';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 5;

function timeKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: object, budget: number): number {
  const once = () => (tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor);
  once().dispose();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < budget * 1000) {
    const out = once();
    out.dataSync();
    out.dispose();
    n++;
  }
  return ((performance.now() - start) / n);
}

function kernels(budget: number) {
  // The second conv of the authors' CIFAR CNN at batch 64: 32x32x32 -> 32 filters, 3x3, same.
  const x = tf.randomUniform([64, 32, 32, 32], 0, 1, 'float32', 1);
  const f = tf.randomUniform([3, 3, 32, 32], -0.1, 0.1, 'float32', 2);
  const dy = tf.randomUniform([64, 32, 32, 32], -1, 1, 'float32', 3);
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
  // The cpu backend is ~100x slower: give it less wall time per figure, it still completes steps.
  const budget = backend === 'cpu' ? Math.max(2, seconds / 2) : seconds;
  const mnist = trainingThroughput(MNIST_PROBE, budget);
  const cifar = trainingThroughput(CIFAR_PROBE, budget);
  results[backend] = { mnistCnn: mnist, authorsCifarCnn: cifar, conv32x32x32Batch64: kernels(budget / 2) };
  console.log(`${backend.padEnd(5)} MNIST CNN ${mnist.samplesPerSecond.toFixed(1).padStart(8)} samples/s   CIFAR CNN ${cifar.samplesPerSecond.toFixed(1).padStart(8)} samples/s`);
}
const w = results.wasm as { mnistCnn: { samplesPerSecond: number }; authorsCifarCnn: { samplesPerSecond: number }; conv32x32x32Batch64: Record<string, number> };
const c = results.cpu as typeof w;
const summary = {
  speedupMnist: w.mnistCnn.samplesPerSecond / c.mnistCnn.samplesPerSecond,
  speedupCifar: w.authorsCifarCnn.samplesPerSecond / c.authorsCifarCnn.samplesPerSecond,
};
console.log('\nconv kernel, 64x32x32x32 -> 32, 3x3 (ms per call)');
console.log('backend  forward  backprop-input  backprop-filter');
for (const b of ['wasm', 'cpu']) {
  const k = (results[b] as typeof w).conv32x32x32Batch64;
  console.log(`${b.padEnd(7)} ${k.forwardMs.toFixed(1).padStart(8)} ${k.backpropInputMs.toFixed(1).padStart(15)} ${k.backpropFilterMs.toFixed(1).padStart(16)}`);
}
console.log(`\ntraining step speed-up of wasm over cpu: MNIST CNN ${summary.speedupMnist.toFixed(1)}x, CIFAR CNN ${summary.speedupCifar.toFixed(1)}x`);
const out = { date: new Date().toISOString(), machine: { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model, node: process.versions.node }, batch: 64, ...results, summary };
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'backend.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log('wrote bench/results/backend.json');
