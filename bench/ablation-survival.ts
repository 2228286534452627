/**
 * Does the real trigger survive the ablation of its target class? UMA's premise (docs/algorithm.md,
 * step 2): unlearning class k's inherent features leaves a backdoor into k intact, so the inversion
 * against the ablated copy M'_k finds it. This measures the premise on every trojan of a corpus, with
 * the real trigger instead of an inverted one, and so separates the two ways a trojan is missed: the
 * ablation erased the backdoor (its ASR on M'_k is low: no inversion can find it) or the inversion did
 * not find a trigger that is there.
 *
 * Per trojan: the scan's clean samples (tuned profile, seed 1, as `uma bench` scans), M's ASR with the
 * real trigger on the held-out images of the other classes, then class k ablated exactly as the scan
 * ablates it (same seed) and the same ASR on M'_k. For patch triggers (badnets, large-patch,
 * two-corner) also the anomaly index the target would get from that ASR over the patch's area, beside
 * the other classes of the `uma bench` scan cached with the same parameters: the index an inversion
 * that found the real trigger would give. The trigger is rebuilt from the trainer's seed
 * (bench/torch/train.py draws it from mulberry32(deriveSeed(seed, 'attack')), the TypeScript attacks
 * draw the same) and checked against the manifest's parameters.
 *
 * Run: node bin/run-ts.mjs bench/ablation-survival.ts CORPUS [--half tune|report] [--param NAME=VALUE]...
 *      [--out FILE]
 * Writes bench/results/ablation-survival/default.json and .md (or --out and its .md).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseParams } from '../src/main/cli/scan-options.ts';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/engine/backend/index.ts';
import { takeData } from '../src/main/engine/backend/read.ts';
import { imageSize, indicesByClass, limitPerClass, type Dataset } from '../src/main/engine/data/dataset.ts';
import { loadModelFile } from '../src/main/engine/model/load.ts';
import type { Classifier } from '../src/main/engine/model/types.ts';
import { deriveSeed, mulberry32 } from '../src/main/engine/random.ts';
import { scoreUma } from '../src/main/engine/scan/anomaly.ts';
import { batched, joinShards, ScanContext } from '../src/main/engine/scan/context.ts';
import { ablateClass } from '../src/main/engine/scan/uma/ablate.ts';
import { cachePath, halfOf, parseHalf } from '../src/main/eval/bench.ts';
import { attackByName } from '../src/main/eval/zoo/attacks/index.ts';
import type { ImageShape } from '../src/main/eval/zoo/attacks/types.ts';
import { entryModelPath, listCorpus, type Manifest } from '../src/main/eval/zoo/corpus.ts';
import { loadSplit } from '../src/main/eval/zoo/datasets.ts';
import type { ScanResult } from '../src/shared/results.ts';
import { resolveParams, type ScanParams } from '../src/shared/scan-params.ts';
import { markdownBeside } from './results-file.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    half: { type: 'string' },
    param: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: join(import.meta.dirname, 'results', 'ablation-survival', 'default.json') },
  },
});
// Refused before any work when the results file does not end in .json.
const markdownOut = markdownBeside(values.out);
if (positionals.length !== 1)
  throw new Error('usage: ablation-survival.ts CORPUS [--half tune|report] [--param NAME=VALUE]... [--out FILE]');
const half = parseHalf(values.half);

const SEED = 1;
// The default profile (resolveParams' base) on 100 samples per class, as `uma bench` scans.
const PARAMS: ScanParams = resolveParams({ maxPerClass: 100, ...parseParams(values.param) });

/** Two white squares in two opposite corners (bench/torch/attacks.py `_two_corner`; no TypeScript twin). */
function twoCorner(params: { size: number; corners: number[][] }, shape: ImageShape) {
  return (image: Float32Array) => {
    const out = image.slice();
    for (const [top, left] of params.corners)
      for (let y = top; y < top + params.size; y++)
        for (let x = left; x < left + params.size; x++)
          for (let c = 0; c < shape.channels; c++) out[(y * shape.width + x) * shape.channels + c] = 1;
    return out;
  };
}

/** The trainer's trigger for this model, checked against the manifest's parameters. */
function realTrigger(m: Manifest, shape: ImageShape): (image: Float32Array) => Float32Array {
  const attack = m.attack!;
  if (attack.name === 'two-corner') return twoCorner(attack.params as { size: number; corners: number[][] }, shape);
  const prepared = attackByName(attack.name).prepare(shape, mulberry32(deriveSeed(m.seed, 'attack')));
  if (JSON.stringify(prepared.params) !== JSON.stringify(attack.params))
    throw new Error(`${m.id}: the rebuilt ${attack.name} trigger's parameters differ from the manifest's`);
  return (image) => prepared.apply(image);
}

/** The patch's area in pixels, for the attacks whose trigger is a mask (else null). */
function patchArea(m: Manifest): number | null {
  const p = m.attack!.params as { size?: number; corners?: unknown[] };
  if (m.attack!.name === 'two-corner') return p.size! ** 2 * p.corners!.length;
  if (m.attack!.name === 'badnets' || m.attack!.name === 'large-patch') return p.size! ** 2;
  return null;
}

async function hitRate(predict: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, k: number): Promise<number> {
  const pred = await takeData<'int32'>(tf.tidy(() => tf.argMax(batched(predict, x), 1)));
  return pred.reduce((n, p) => n + (p === k ? 1 : 0), 0) / pred.length;
}

/** The held-out images of every class but k, stamped with the trigger. */
function triggeredImages(held: Dataset, k: number, apply: (image: Float32Array) => Float32Array): tf.Tensor4D {
  const size = imageSize(held);
  const others = indicesByClass(held).flatMap((idx, c) => (c === k ? [] : idx));
  const flat = new Float32Array(others.length * size);
  others.forEach((i, row) => flat.set(apply(held.images.subarray(i * size, (i + 1) * size)), row * size));
  return tf.tensor4d(flat, [others.length, held.height, held.width, held.channels]);
}

/** The `uma bench` scan cached beside the model with these parameters and seed, if any. */
function cachedScan(dir: string): ScanResult | null {
  const file = cachePath(dir, 'uma', PARAMS, SEED);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ScanResult) : null;
}

interface Row {
  id: string;
  half: string;
  attack: string;
  target: number;
  asrModel: number;
  asrAblated: number;
  ablatedAccTarget: number;
  ablatedAccOther: number;
  ablationSteps: number;
  /** The rate the ablation ran at (below ablationLr where the first-step calibration halved it). */
  ablationLr: number;
  patchArea: number | null;
  /** The cached scan's result for the target, and what it would be with the real trigger on M'_k. */
  scan: { asr: number; maskL1: number; index: number; verdict: string; suspected: number | null } | null;
  indexIfFound: number | null;
}

async function survey(dir: string, m: Manifest, held: Dataset): Promise<Row> {
  const k = m.attack!.target;
  const shape = { height: held.height, width: held.width, channels: held.channels };
  const apply = realTrigger(m, shape);
  const model: Classifier = await loadModelFile(entryModelPath(dir, m), { name: m.id });
  const data = limitPerClass(held, PARAMS.maxPerClass!, deriveSeed(SEED, 'samples'));
  const ctx = new ScanContext(model, data);
  const x = triggeredImages(held, k, apply);
  try {
    ctx.adopt(joinShards([await ctx.prepareShard(0, data.count, PARAMS.freezeRatio)], data.count, model.numClasses));
    const asrModel = await hitRate((b) => model.predict(b as tf.Tensor4D), x, k);
    const ablated = await ablateClass(ctx, k, PARAMS, deriveSeed(SEED, 'ablate', k), () => undefined);
    const asrAblated = await hitRate((b) => ablated.model.predict(b as tf.Tensor4D), x, k);
    ablated.model.dispose();
    const area = patchArea(m);
    const cached = cachedScan(dir);
    let scan: Row['scan'] = null;
    let indexIfFound: number | null = null;
    if (cached) {
      const c = cached.classes[k];
      scan = {
        asr: c.asr,
        maskL1: c.maskL1,
        index: c.anomalyIndex ?? NaN,
        verdict: cached.verdict,
        suspected: cached.target,
      };
      if (area !== null) {
        const measures = cached.classes.map((f) => ({ asr: f.asr, maskL1: f.maskL1, transferAsr: null }));
        measures[k] = { asr: asrAblated, maskL1: area, transferAsr: null };
        indexIfFound = scoreUma(measures, PARAMS).classes[k].anomalyIndex;
      }
    }
    return {
      id: m.id,
      half: halfOf(m),
      attack: m.attack!.name,
      target: k,
      asrModel,
      asrAblated,
      ablatedAccTarget: ablated.accTarget,
      ablatedAccOther: ablated.accOther,
      ablationSteps: ablated.steps,
      ablationLr: ablated.lr,
      patchArea: area,
      scan,
      indexIfFound,
    };
  } finally {
    x.dispose();
    ctx.dispose();
    model.dispose();
  }
}

function markdown(rows: readonly Row[]): string {
  const f = (v: number | null | undefined, d = 2) => (v === null || v === undefined ? '-' : v.toFixed(d));
  const lines = [
    "| model | half | attack | target | ASR on M | ASR on M'_k | M'_k acc own / other | ablation rate, steps | scan: ASR / mask / index | scan verdict | index if found |",
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.id} | ${r.half} | ${r.attack} | ${r.target} | ${f(r.asrModel)} | ${f(r.asrAblated)} | ${f(r.ablatedAccTarget)} / ${f(r.ablatedAccOther)} | ${r.ablationLr}, ${r.ablationSteps} | ${r.scan ? `${f(r.scan.asr)} / ${f(r.scan.maskL1, 0)} / ${f(r.scan.index)}` : '-'} | ${r.scan ? `${r.scan.verdict}${r.scan.suspected === null ? '' : ` (${r.scan.suspected})`}` : '-'} | ${f(r.indexIfFound)} |`,
    );
  const survived = rows.filter((r) => r.asrAblated >= 0.5).length;
  lines.push('', `Real trigger ASR >= 0.5 on M'_k: ${survived} of ${rows.length} trojans.`);
  return lines.join('\n') + '\n';
}

await initBackend('wasm');
const rows: Row[] = [];
const held = new Map<string, Dataset>();
const entries = listCorpus(positionals[0]).filter((e) => e.manifest.attack && (!half || halfOf(e.manifest) === half));
for (const { dir, manifest } of entries) {
  const ds = manifest.recipe.dataset;
  if (!held.has(ds)) held.set(ds, loadSplit(ds).held);
  const row = await survey(dir, manifest, held.get(ds)!);
  rows.push(row);
  console.log(
    `${row.id}: target ${row.target}, real trigger ASR ${row.asrModel.toFixed(2)} on M, ${row.asrAblated.toFixed(2)} on M'_k (rate ${row.ablationLr}, ${row.ablationSteps} steps, own / other acc ${row.ablatedAccTarget.toFixed(2)} / ${row.ablatedAccOther.toFixed(2)}); scan ${row.scan ? `${row.scan.asr.toFixed(2)} / ${row.scan.maskL1.toFixed(0)} px / index ${row.scan.index.toFixed(2)}` : '-'}; index if found ${row.indexIfFound?.toFixed(2) ?? '-'}`,
  );
}
const out = values.out;
if (!existsSync(dirname(out))) mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ corpus: positionals[0], seed: SEED, params: PARAMS, rows }, null, 2));
writeFileSync(markdownOut, markdown(rows));
console.log(markdown(rows));
