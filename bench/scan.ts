/**
 * Scan benchmark: seconds per model, per class and per stage, and peak memory.
 *  - MNIST: the bundled demo model (small MNIST CNN) with 100 clean images per class, the whole
 *    pipeline with 1 and 2 worker threads; RSS after each class shows whether memory stays flat.
 *  - CIFAR-10: the authors' CNN (1.34M parameters) with 1,000 images per class. A whole model takes
 *    tens of minutes on this 2-core machine, so by default one class unit (ablation + inversion) and
 *    one epoch of the reference training are timed on this thread and the model time is extrapolated
 *    (N x class + the reference epoch scaled to the profile's steps, divided over the workers) and labelled as such; --full
 *    runs it all.
 * Also a step profile: milliseconds of one inversion step split into forward and backward.
 * Writes bench/results/scan.json (--skip-cifar keeps the CIFAR section a previous run wrote).
 * Run: node bin/run-ts.mjs bench/scan.ts [--full] [--skip-cifar]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/engine/backend/index.ts';
import { limitPerClass, loadDataset, stratifiedSplit, type Dataset } from '../src/main/engine/data/index.ts';
import { loadModelFile, loadModelSource } from '../src/main/engine/model/load.ts';
import { LayersClassifier, loadLayersModelFile } from '../src/main/engine/model/layers.ts';
import type { Classifier } from '../src/main/engine/model/types.ts';
import { ScanContext, gather } from '../src/main/engine/scan/context.ts';
import { resolveParams } from '../src/shared/scan-params.ts';
import { runScan } from '../src/main/engine/scan/pipeline.ts';
import { TaskRunner } from '../src/main/engine/scan/tasks.ts';
import { referenceSteps } from '../src/main/engine/scan/uma/reference.ts';
import { squash, stamp } from '../src/main/engine/scan/uma/stamp.ts';
import { trainModel } from '../src/main/engine/zoo/trainer.ts';
import { DEMO_MODEL } from '../src/main/cli/scan-options.ts';

const args = new Set(process.argv.slice(2));
const ROOT = join(import.meta.dirname, '..');
const SHARED = join(ROOT, '../shared/datasets');
const mib = (b: number) => Math.round(b / 2 ** 20);

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

async function wholeScan(model: Classifier, data: Dataset, workers: number) {
  const stop = memoryWatch();
  const rssAfterClass: number[] = [];
  const { result } = await runScan({
    model, data, workers, seed: 1, params: resolveParams(),
    onEvent: (e) => {
      if (e.type === 'class-result') rssAfterClass.push(mib(process.memoryUsage().rss));
    },
  });
  return {
    workers,
    secondsPerModel: result.seconds,
    secondsPerClass: result.classes.map((c) => Number(c.seconds.toFixed(2))),
    stageSeconds: result.stageSeconds,
    peakRssMiB: stop(),
    rssAfterEachClassMiB: rssAfterClass,
    verdict: result.verdict,
    target: result.target,
  };
}

/** Milliseconds of one inversion step at batch 80: the forward pass, and forward + input gradient. */
function stepProfile(model: Classifier, ctx: ScanContext, reps = 5) {
  const { height: h, width: w, channels: c } = ctx.data;
  const idx = Array.from({ length: 80 }, (_, i) => i % ctx.data.count);
  const m = tf.variable(tf.ones([h, w]));
  const p = tf.variable(tf.ones([h, w, c]));
  const time = (fn: () => void) => {
    fn();
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    return (performance.now() - t) / reps;
  };
  const x = gather(ctx.x, idx) as tf.Tensor4D;
  const forward = time(() => tf.tidy(() => model.predict(stamp(x, squash(m, 8), p)).dataSync()));
  const backward = time(() => tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.sum(model.predict(stamp(x, squash(m, 8), p))) as tf.Scalar, [m, p]);
    grads[m.name].dataSync();
  }));
  tf.dispose([m, p, x]);
  return { forwardMs: forward, forwardAndInputGradientMs: backward };
}

async function cifarModel(train: Dataset): Promise<LayersClassifier> {
  const dir = join(ROOT, '.cache', 'bench', 'authors-cifar-cnn');
  if (existsSync(join(dir, 'model.json'))) return loadLayersModelFile(dir);
  const t = await trainModel({ arch: 'authors-cifar-cnn', train, test: train, epochs: 1, seed: 3 });
  await t.classifier.saveTo(dir);
  return t.classifier;
}

await initBackend('wasm');
const out: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadAverageAtStart: os.loadavg() },
  params: 'default profile (docs/algorithm.md, "Profiles")',
};

// MNIST: the demo model, 100 images per class, whole pipeline.
const demo = await loadModelFile(DEMO_MODEL);
const digits = limitPerClass(loadDataset('demo'), 100, 1);
const mnistRuns = [];
for (const workers of [1, 2]) {
  const r = await wholeScan(demo, digits, workers);
  mnistRuns.push(r);
  console.log(`MNIST CNN, 100/class, ${workers} worker(s): ${r.secondsPerModel.toFixed(1)} s per model, peak RSS ${r.peakRssMiB} MiB, stages ${JSON.stringify(r.stageSeconds, (_k, v) => (typeof v === 'number' ? Number(v.toFixed(1)) : v))}`);
}
const mnistCtx = await ScanContext.create(demo, digits);
out.mnist = { model: 'bundled demo (mnist-cnn, 52k params)', samples: digits.count, runs: mnistRuns, stepProfile: stepProfile(demo, mnistCtx) };
mnistCtx.dispose();

if (!args.has('--skip-cifar')) {
  const cifar = loadDataset(join(SHARED, 'cifar10/test-images-idx4-ubyte.gz'));
  const [train] = stratifiedSplit(cifar, 0.2, 1);
  const model = await cifarModel(train);
  const params = resolveParams();
  if (args.has('--full')) {
    const runs = [];
    for (const workers of [1, 2]) runs.push(await wholeScan(model, cifar, workers));
    out.cifar = { model: 'authors-cifar-cnn', params: model.report.params, samples: cifar.count, runs };
  } else {
    const stop = memoryWatch();
    const ctx = await ScanContext.create(model, cifar);
    const runner = new TaskRunner(ctx, 'uma', params, 1, (s) => loadModelSource(s));
    const t0 = performance.now();
    const unit = await runner.run({ kind: 'class', k: 0 }, () => undefined);
    const units = [{ k: 0, seconds: (performance.now() - t0) / 1000, stageSeconds: unit.stageSeconds, ablationSteps: unit.kind === 'class' ? unit.ablationSteps : null }];
    console.log(`CIFAR CNN class unit 0: ${units[0].seconds.toFixed(1)} s ${JSON.stringify(unit.stageSeconds)}`);
    // One pass of the reference training, scaled to the steps the profile trains for.
    const onePass = { ...params, referenceEpochs: 1, referenceMinSteps: 0 };
    const oneEpoch = new TaskRunner(ctx, 'uma', onePass, 1, (s) => loadModelSource(s));
    const t = performance.now();
    await oneEpoch.run({ kind: 'reference' }, () => undefined);
    const referenceSeconds = ((performance.now() - t) / 1000) * (referenceSteps(ctx, params) / referenceSteps(ctx, onePass));
    const perClass = units[0].seconds;
    const profile = stepProfile(model, ctx);
    runner.dispose();
    oneEpoch.dispose();
    const extrapolated = (workers: number) => (10 * perClass + referenceSeconds) / workers;
    out.cifar = {
      model: 'authors-cifar-cnn', params: model.report.params, samples: cifar.count,
      measuredClassUnits: units, referenceSeconds, stepProfile: profile, peakRssMiB: stop(),
      extrapolatedSecondsPerModel: { workers1: extrapolated(1), workers2: extrapolated(2) },
      note: `per-model seconds extrapolated from one measured class unit and one reference epoch scaled to ${referenceSteps(ctx, params)} steps (run with --full to measure)`,
    };
    console.log(`CIFAR CNN, 1000/class: ${perClass.toFixed(1)} s per class unit, reference ${referenceSeconds.toFixed(1)} s -> about ${(extrapolated(1) / 60).toFixed(1)} min per model on 1 worker, ${(extrapolated(2) / 60).toFixed(1)} min on 2 (extrapolated)`);
    console.log(`  one inversion step at batch 80: forward ${profile.forwardMs.toFixed(0)} ms, forward + input gradient ${profile.forwardAndInputGradientMs.toFixed(0)} ms`);
  }
}
out.loadAverageAtEnd = os.loadavg();
const file = join(ROOT, 'bench', 'results', 'scan.json');
if (args.has('--skip-cifar') && existsSync(file)) out.cifar = (JSON.parse(readFileSync(file, 'utf8')) as { cifar?: unknown }).cifar;
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log('wrote bench/results/scan.json');
