/**
 * Can a whole-image trigger model find the backdoors the mask-and-pattern stamp misses? Blend, SIG and
 * colour-filter triggers change every pixel a little, so UMA's inversion reverses them, if at all, as
 * large masks (bench/README.md, "PyTorch Fashion-MNIST ResNets"). This reverses, per model and class k,
 * the global transform of bench/transform-trigger.ts against M itself (no ablation:
 * the default ablation erases those backdoors on the BatchNorm ResNets), then measures its ASR and mean
 * change on the other classes' scan samples without noise. Scoring candidates over the JSON are
 * computed by bench/transform-score.ts.
 *
 * Run: node bin/run-ts.mjs bench/transform-inversion.ts CORPUS [--half tune|report] [--only ID]... [--out FILE]
 *        [--option NAME=VALUE]... [--class K]...
 * Writes bench/results/transform-inversion/CORPUS-NAME.json (or --out); resumable (models already in
 * the file are skipped).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/engine/backend/index.ts';
import { limitPerClass, type Dataset } from '../src/main/engine/data/dataset.ts';
import { loadModelFile } from '../src/main/engine/model/load.ts';
import { deriveSeed } from '../src/main/engine/random.ts';
import { joinShards, ScanContext } from '../src/main/engine/scan/context.ts';
import { invertTransform, transformEffect, type TransformInversionOptions } from './transform-trigger.ts';
import { halfOf } from '../src/main/eval/bench.ts';
import { entryModelPath, listCorpus, type Manifest } from '../src/main/eval/zoo/corpus.ts';
import { loadSplit } from '../src/main/eval/zoo/datasets.ts';
import { resolveParams } from '../src/shared/scan-params.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    half: { type: 'string' },
    only: { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
    option: { type: 'string', multiple: true, default: [] },
    class: { type: 'string', multiple: true, default: [] },
  },
});
if (positionals.length !== 1)
  throw new Error(
    'usage: transform-inversion.ts CORPUS [--half tune|report] [--only ID]... [--out FILE] [--option NAME=VALUE]... [--class K]...',
  );

const SEED = 1;
// The scan's samples (100 per class, as `uma bench`) and its inversion budget, batch, noise and ASR window.
const PARAMS = resolveParams({ maxPerClass: 100 });
const PILOT: TransformInversionOptions = {
  steps: PARAMS.inversionSteps,
  batch: PARAMS.inversionBatch,
  noise: PARAMS.inversionNoise,
  window: PARAMS.lambdaWindow,
  low: PARAMS.lambdaLow,
  high: PARAMS.lambdaHigh,
  lr: 0.01,
  weight0: 1,
  growth: 0.2,
};
// --option NAME=VALUE overrides a pilot constant (diagnostics; the file records what ran).
const OPTIONS: TransformInversionOptions = {
  ...PILOT,
  ...Object.fromEntries(
    values.option.map((o) => {
      const [name, value] = o.split('=');
      if (!(name in PILOT)) throw new Error(`unknown option ${name}: one of ${Object.keys(PILOT).join(', ')}`);
      return [name, Number(value)];
    }),
  ),
};
// --class K limits the inversion to those classes (diagnostics: a model's score needs every class).
const CLASSES = values.class.map(Number);

export interface TransformClass {
  k: number;
  /** The inversion's last window (noisy samples). */
  inversionAsr: number;
  inversionChange: number;
  /** On the other classes' scan samples, without noise. */
  asr: number;
  change: number;
  /** Root mean square of the change (transformEffect). */
  rms: number;
  gain: number[];
  lift: number[];
  kernel: number[];
}

export interface TransformModel {
  id: string;
  half: string;
  attack: string | null;
  target: number | null;
  arch: string;
  pixels: number;
  seconds: number;
  classes: TransformClass[];
}

async function survey(dir: string, m: Manifest, held: Dataset): Promise<TransformModel> {
  const start = performance.now();
  const model = await loadModelFile(entryModelPath(dir, m), { name: m.id });
  const data = limitPerClass(held, PARAMS.maxPerClass!, deriveSeed(SEED, 'samples'));
  const ctx = new ScanContext(model, data);
  const classes: TransformClass[] = [];
  try {
    ctx.adopt(joinShards([await ctx.prepareShard(0, data.count, PARAMS.freezeRatio)], data.count, model.numClasses));
    const predict = (x: tf.Tensor4D) => model.predict(x);
    for (let k = 0; k < model.numClasses; k++) {
      if (CLASSES.length && !CLASSES.includes(k)) continue;
      const t = await invertTransform(predict, ctx, k, OPTIONS, deriveSeed(SEED, 'transform', k), () => undefined);
      const effect = await transformEffect(predict, ctx, k, t, ctx.others(k));
      classes.push({
        k,
        inversionAsr: t.asr,
        inversionChange: t.change,
        asr: effect.asr,
        change: effect.change,
        rms: effect.rms,
        gain: [...t.gain],
        lift: [...t.lift],
        kernel: [...t.kernel],
      });
    }
  } finally {
    ctx.dispose();
    model.dispose();
  }
  return {
    id: m.id,
    half: halfOf(m),
    attack: m.attack?.name ?? null,
    target: m.attack?.target ?? null,
    arch: String(m.recipe.arch ?? ''),
    pixels: data.height * data.width,
    seconds: (performance.now() - start) / 1000,
    classes,
  };
}

await initBackend('wasm');
const out =
  values.out ?? join(import.meta.dirname, 'results', 'transform-inversion', `${basename(positionals[0])}.json`);
if (!existsSync(dirname(out))) mkdirSync(dirname(out), { recursive: true });
const done: TransformModel[] = existsSync(out)
  ? (JSON.parse(readFileSync(out, 'utf8')) as { models: TransformModel[] }).models
  : [];
const held = new Map<string, Dataset>();
const entries = listCorpus(positionals[0]).filter(
  (e) =>
    (!values.half || halfOf(e.manifest) === values.half) &&
    (values.only.length === 0 || values.only.includes(e.manifest.id)),
);
for (const { dir, manifest } of entries) {
  if (done.some((d) => d.id === manifest.id)) continue;
  const ds = manifest.recipe.dataset;
  if (!held.has(ds)) held.set(ds, loadSplit(ds).held);
  const row = await survey(dir, manifest, held.get(ds)!);
  done.push(row);
  writeFileSync(out, JSON.stringify({ corpus: positionals[0], seed: SEED, options: OPTIONS, models: done }, null, 2));
  console.log(
    `${row.id} (target ${row.target ?? '-'}, ${row.seconds.toFixed(0)} s): ` +
      row.classes.map((c) => `${c.k}:${c.asr.toFixed(2)}/${(c.change * 100).toFixed(1)}%`).join(' '),
  );
}
