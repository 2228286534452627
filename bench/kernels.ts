/**
 * Kernel benchmark: each project WASM kernel against the stock tfjs-wasm kernel it replaces, at the
 * sizes a scan runs them (the demo MNIST CNN and the authors' CIFAR CNN at the inversion batch of 80),
 * plus the batch-norm gradient's Tile, the convolution filter gradient (against its previous
 * formulation, as tfjs-wasm ships none), the inversion noise (`normalArray` against `tf.randomNormal`) and the forward-only logits of the
 * ONNX fixtures (tfjs predict against onnxruntime's predictBatch). Stock and project calls alternate
 * round by round so a change in machine load hits both alike; the figure is the median per call.
 * Prints a table and writes bench/results/kernels.json.
 * Run: node bin/run-ts.mjs bench/kernels.ts [--rounds N]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { initBackend } from '../src/main/engine/backend/index.ts';
import { stockWasmKernel } from '../src/main/engine/backend/wasm-kernel-utils.ts';
import type { OnnxClassifier } from '../src/main/engine/model/onnx/classifier.ts';
import { loadOnnx } from '../src/main/engine/model/onnx/index.ts';
import { normalArray } from '../src/main/engine/random.ts';
import { DEFAULT_PROFILE } from '../src/shared/scan-params.ts';
import { machineInfo } from './machine.ts';

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 30;
const batch = DEFAULT_PROFILE.inversionBatch;

await initBackend('wasm');
const backend = tf.backend();

interface Row {
  kernel: string;
  case: string;
  stockMs: number;
  projectMs: number;
  speedup: number;
}
const rows: Row[] = [];

const median = (v: number[]) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** Median ms per call of two functions, alternated round by round after one warm-up call each. */
async function race(stock: () => unknown, project: () => unknown): Promise<{ stockMs: number; projectMs: number }> {
  const s: number[] = [];
  const p: number[] = [];
  await stock();
  await project();
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    await stock();
    s.push(performance.now() - t);
    t = performance.now();
    await project();
    p.push(performance.now() - t);
  }
  return { stockMs: median(s), projectMs: median(p) };
}

/** Races the stock and the project kernel `name` on the same inputs (outputs freed each call). */
async function kernelCase(
  name: string,
  label: string,
  inputs: Record<string, tf.Tensor>,
  attrs: tf.NamedAttrMap,
): Promise<void> {
  const call = (f: tf.KernelFunc) => () => {
    const out = f({ inputs, backend, attrs }) as TensorInfo;
    backend.disposeData(out.dataId);
  };
  const r = await race(call(stockWasmKernel(name)), call(tf.getKernel(name, 'wasm').kernelFunc));
  rows.push({ kernel: name, case: label, ...r, speedup: r.stockMs / r.projectMs });
}

const rand = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

// Pooling after the demo CNN's two convs (8 and 16 channels) and the CIFAR CNN's first block (32).
for (const [h, c] of [
  [28, 8],
  [14, 16],
  [32, 32],
]) {
  const x = rand([batch, h, h, c], 1);
  const dy = rand([batch, h / 2, h / 2, c], 2);
  const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
  const label = `${batch}x${h}x${h}x${c} pool 2`;
  await kernelCase('MaxPoolGrad', label, { dy, input: x, output: dy }, attrs);
  await kernelCase('AvgPoolGrad', label, { dy, input: x }, attrs);
  tf.dispose([x, dy]);
}

// Dense layers: the demo CNN's 784 -> 64 and the CIFAR CNN's 2048 -> 128, forward and both gradients;
// the ONNX Gemm's forward with transB; a batch of products.
for (const [k, n] of [
  [784, 64],
  [2048, 128],
]) {
  const a = rand([batch, k], 3);
  const w = rand([k, n], 4);
  const wT = rand([n, k], 5);
  const dy = rand([batch, n], 6);
  await kernelCase('BatchMatMul', `[${batch},${k}]x[${k},${n}]`, { a, b: w }, { transposeA: false, transposeB: false });
  await kernelCase(
    'BatchMatMul',
    `[${batch},${k}]x[${n},${k}]^T (Gemm)`,
    { a, b: wT },
    { transposeA: false, transposeB: true },
  );
  await kernelCase(
    'BatchMatMul',
    `[${batch},${n}]x[${k},${n}]^T (dA)`,
    { a: dy, b: w },
    { transposeA: false, transposeB: true },
  );
  await kernelCase(
    'BatchMatMul',
    `[${batch},${k}]^Tx[${batch},${n}] (dW)`,
    { a, b: dy },
    { transposeA: true, transposeB: false },
  );
  tf.dispose([a, w, wT, dy]);
}
{
  const a = rand([8, 64, 256], 7);
  const b = rand([8, 256, 64], 8);
  await kernelCase('BatchMatMul', '[8,64,256]x[8,256,64]', { a, b }, { transposeA: false, transposeB: false });
  tf.dispose([a, b]);
}

// The inversion's batch of rows from the clean set (1,000 images), and a gather on an inner axis.
for (const [h, c] of [
  [28, 1],
  [32, 3],
]) {
  const x = rand([1000, h, h, c], 9);
  const indices = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => (i * 37) % 1000),
    'int32',
  );
  await kernelCase('GatherV2', `${batch} rows of [1000,${h},${h},${c}]`, { x, indices }, { axis: 0, batchDims: 0 });
  tf.dispose([x, indices]);
}
{
  const x = rand([batch, 64, 10], 10);
  const indices = tf.tensor1d([0, 3, 5, 7, 9], 'int32');
  await kernelCase(
    'GatherV2',
    `5 of 10 on the last axis of [${batch},64,10]`,
    { x, indices },
    { axis: 2, batchDims: 0 },
  );
  tf.dispose([x, indices]);
}

// Batch-norm gradients tile the per-channel scale to the activation (small ResNet block sizes).
for (const [h, c] of [
  [32, 16],
  [16, 32],
]) {
  const x = rand([1, 1, 1, c], 13);
  await kernelCase('Tile', `[1,1,1,${c}] by [${batch},${h},${h},1]`, { x }, { reps: [batch, h, h, 1] });
  x.dispose();
}

// The filter gradient of the authors' CIFAR CNN's convolutions at the ablation batch (100), against
// the formulation the project used before (a conv of the input with dy as its filter, as the
// depthwise kernels still do): tfjs-wasm has no stock Conv2DBackpropFilter to race.
{
  const n = DEFAULT_PROFILE.ablationBatchOther + DEFAULT_PROFILE.ablationBatchTarget;
  for (const [h, cin, cout] of [
    [32, 3, 32],
    [32, 32, 32],
    [16, 32, 64],
    [16, 64, 64],
    [8, 64, 128],
    [8, 128, 128],
  ]) {
    const x = rand([n, h, h, cin], 14) as tf.Tensor4D;
    const dy = rand([n, h, h, cout], 15) as tf.Tensor4D;
    const asConv = () =>
      tf.tidy(() => {
        const xT = tf.pad<tf.Tensor4D>(tf.transpose(x, [3, 1, 2, 0]), [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]);
        return tf.transpose(tf.conv2d(xT, tf.transpose<tf.Tensor4D>(dy, [1, 2, 0, 3]), 1, 'valid'), [1, 2, 0, 3]);
      });
    const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, cin, cout] };
    const r = await race(
      () => asConv().dispose(),
      () => tf.engine().runKernel<tf.Tensor>('Conv2DBackpropFilter', { x, dy }, attrs).dispose(),
    );
    rows.push({
      kernel: 'Conv2DBackpropFilter',
      case: `${n}x${h}x${h}x${cin} -> ${cout}, 3x3 (stock: as a conv)`,
      ...r,
      speedup: r.stockMs / r.projectMs,
    });
    tf.dispose([x, dy]);
  }
}

for (const [h, c] of [
  [28, 1],
  [32, 3],
]) {
  const shape = [batch, h, h, c];
  const count = batch * h * h * c;
  const r = await race(
    () => tf.randomNormal(shape, 0, 0.1, 'float32', 11).dispose(),
    () => tf.tensor(normalArray(count, 0, 0.1, 11), shape).dispose(),
  );
  rows.push({ kernel: 'noise (randomNormal)', case: shape.join('x'), ...r, speedup: r.stockMs / r.projectMs });
}

// Forward-only logits of two PyTorch-exported fixtures (cnn: fixed export batch 4, run in chunks).
for (const name of ['cnn', 'resnet']) {
  const bytes = new Uint8Array(
    readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'onnx', `${name}.onnx`)),
  );
  const model = (await loadOnnx(bytes, { name })) as OnnxClassifier;
  const { height, width, channels } = model.inputSpec;
  const x = tf.randomUniform<tf.Rank.R4>([batch, height, width, channels], 0, 1, 'float32', 12);
  const engine = await model.forwardEngine();
  const r = await race(
    () => model.predict(x).dispose(),
    async () => (await model.predictBatch(x)).dispose(),
  );
  rows.push({
    kernel: `forward (${engine.engine})`,
    case: `${name} fixture, batch ${batch}`,
    ...r,
    speedup: r.stockMs / r.projectMs,
  });
  x.dispose();
  model.dispose();
}

console.log(
  `${'kernel'.padEnd(22)} ${'case'.padEnd(48)} ${'stock ms'.padStart(9)} ${'project ms'.padStart(11)} speed-up`,
);
for (const r of rows) {
  console.log(
    `${r.kernel.padEnd(22)} ${r.case.padEnd(48)} ${r.stockMs.toFixed(3).padStart(9)} ${r.projectMs.toFixed(3).padStart(11)} ${r.speedup.toFixed(1).padStart(7)}x`,
  );
}
const out = {
  date: new Date().toISOString(),
  machine: machineInfo(),
  tfjsVersion: tf.version.tfjs,
  rounds,
  batch,
  rows,
};
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'kernels.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log('wrote bench/results/kernels.json');
