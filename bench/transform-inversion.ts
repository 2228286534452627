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
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../src/main/engine/random.ts';
import type { ScanContext } from '../src/main/engine/scan/context.ts';
import { invertTransform, transformEffect, type TransformInversionOptions } from './transform-trigger.ts';
import { resolveParams } from '../src/shared/scan-params.ts';
import { surveyArgs, surveyCorpus, type SurveyedModel } from './corpus-survey.ts';

const { args, values } = surveyArgs(
  'transform-inversion',
  {
    option: { type: 'string', multiple: true, default: [] },
    class: { type: 'string', multiple: true, default: [] },
  },
  ' [--option NAME=VALUE]... [--class K]...',
);

const SEED = 1;
// The scan's samples (100 per class, as `uma bench`) and its inversion budget, batch, noise and ASR window.
const PARAMS = resolveParams({ maxPerClass: 100 });
const PILOT: TransformInversionOptions = {
  steps: PARAMS.inversionSteps,
  batch: PARAMS.inversionBatch,
  noise: PARAMS.inversionNoise,
  rmsSize: 0,
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
    (values.option as string[]).map((o) => {
      const [name, value] = o.split('=');
      if (!(name in PILOT)) throw new Error(`unknown option ${name}: one of ${Object.keys(PILOT).join(', ')}`);
      return [name, Number(value)];
    }),
  ),
};
// --class K limits the inversion to those classes (diagnostics: a model's score needs every class).
const CLASSES = (values.class as string[]).map(Number);

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

export interface TransformModel extends SurveyedModel {
  /** H x W: D x pixels is the change in pixel units. */
  pixels: number;
  classes: TransformClass[];
}

async function measure(ctx: ScanContext): Promise<Pick<TransformModel, 'pixels' | 'classes'>> {
  const predict = (x: tf.Tensor4D) => ctx.model.predict(x);
  const classes: TransformClass[] = [];
  for (let k = 0; k < ctx.numClasses; k++) {
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
  return { pixels: ctx.data.height * ctx.data.width, classes };
}

await surveyCorpus<TransformModel>(
  {
    script: 'transform-inversion',
    args,
    params: PARAMS,
    seed: SEED,
    header: { options: OPTIONS },
  },
  measure,
  (row) =>
    `${row.id} (target ${row.target ?? '-'}, ${row.seconds.toFixed(0)} s): ` +
    row.classes.map((c) => `${c.k}:${c.asr.toFixed(2)}/${(c.change * 100).toFixed(1)}%`).join(' '),
);
