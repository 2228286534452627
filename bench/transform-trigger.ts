/**
 * A whole-image trigger model beside the scan's mask-and-pattern stamp, measured by
 * bench/transform-inversion.ts and not part of the scan (issue 18, bench/README.md "Whole-image
 * triggers: a global-transform inversion"): blend, SIG and colour-filter backdoors change every pixel a little, so the stamp of
 * invert.ts reverses them only as large masks. Here the trigger is a global transform
 *
 *   G(x) = clip(gain_c * (K * x) + lift_c + delta, 0, 1)
 *
 * with K a 3x3 kernel shared by the channels (edge-padded, identity at the start), a gain and lift per
 * channel and an additive image delta [H, W, C]. It contains blend ((1 - a) x + a p: K identity, gain
 * 1 - a, delta a p), SIG (delta alone) and emboss-style filters (K, gain, lift) exactly. Its size is the
 * mean absolute change it makes, D = mean |G(x) - x| over the batch, pixels and channels (or, under
 * `rmsSize`, its root mean square); the inversion minimises CE(model(G(x)), k) + w D with Adam, w
 * following the dynamic lambda's relative schedule (lambda.ts) on the recent ASR. Only gradients for the
 * transform's parameters are computed: the padded images are constants.
 */
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../src/shared/errors.ts';
import { takeData, takeScalars } from '../src/main/engine/backend/read.ts';
import { mulberry32 } from '../src/main/engine/random.ts';
import { gather, type ScanContext } from '../src/main/engine/scan/context.ts';
import { NoisyOtherBatches, targetRows } from '../src/main/engine/scan/inversion-batch.ts';
import type { StepReporter } from '../src/main/engine/scan/progress.ts';
import { DynamicLambda, lastWindowMean } from '../src/main/engine/scan/uma/lambda.ts';

export interface TransformTrigger {
  /** 3x3 kernel, row-major, shared by the channels. */
  kernel: Float32Array;
  /** Per channel. */
  gain: Float32Array;
  lift: Float32Array;
  /** [H*W*C] (HWC). */
  delta: Float32Array;
}

export interface TransformInversionResult extends TransformTrigger {
  /** Mean ASR over the last window of steps. */
  asr: number;
  /** Mean size term (D, or its RMS under `rmsSize`) over the last window of steps. */
  change: number;
  /** The size weight w at the end. */
  finalWeight: number;
  steps: number;
}

/** How the transform inversion runs (the pilot's constants: bench/transform-inversion.ts OPTIONS). */
export interface TransformInversionOptions {
  steps: number;
  batch: number;
  /** Std of the Gaussian noise added to the drawn samples (as inversionNoise). */
  noise: number;
  /**
   * 1: the size term is the change's root mean square sqrt(mean (G(x) - x)^2), which charges a local
   * patch more than a diffuse change of the same mean; 0: the mean absolute change D.
   */
  rmsSize: number;
  /** Adam's learning rate on every transform parameter. */
  lr: number;
  /** Initial size weight w (w = 1/T of lambda.ts). */
  weight0: number;
  /** Relative step of w per window (lambda.ts growth). */
  growth: number;
  window: number;
  low: number;
  high: number;
}

export const IDENTITY_KERNEL = Float32Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0]);

/** The images edge-padded by one pixel ([N, H+2, W+2, C]): the kernel's input, computed once per batch. */
export function edgePad(x: tf.Tensor4D): tf.Tensor4D {
  return tf.mirrorPad(
    x,
    [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
    'symmetric',
  );
}

/**
 * G(x) for images whose edge-padded copy is `padded` ([N, H+2, W+2, C]): the kernel as nine weighted
 * shifted slices (no depthwise-conv gradient is needed, and WASM has none).
 */
export function applyTransform(
  padded: tf.Tensor4D,
  kernel: tf.Tensor1D,
  gain: tf.Tensor1D,
  lift: tf.Tensor1D,
  delta: tf.Tensor3D,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, hp, wp, c] = padded.shape;
    const h = hp - 2;
    const w = wp - 2;
    const taps = tf.unstack(kernel);
    let acc: tf.Tensor4D | null = null;
    for (let dy = 0; dy < 3; dy++)
      for (let dx = 0; dx < 3; dx++) {
        const term = tf.mul<tf.Tensor4D>(tf.slice(padded, [0, dy, dx, 0], [n, h, w, c]), taps[dy * 3 + dx]);
        acc = acc ? tf.add<tf.Tensor4D>(acc, term) : term;
      }
    return tf.clipByValue(tf.add(tf.add(tf.mul(acc!, gain), lift), delta), 0, 1) as tf.Tensor4D;
  });
}

/** The same transform on one HWC image as plain arrays (artifacts, tests). */
export function transformArray(
  image: Float32Array,
  t: TransformTrigger,
  h: number,
  w: number,
  c: number,
): Float32Array {
  const out = new Float32Array(image.length);
  const at = (y: number, x: number, ch: number) =>
    image[(Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))) * c + ch];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) acc += t.kernel[(dy + 1) * 3 + dx + 1] * at(y + dy, x + dx, ch);
        const i = (y * w + x) * c + ch;
        out[i] = Math.min(1, Math.max(0, t.gain[ch] * acc + t.lift[ch] + t.delta[i]));
      }
  return out;
}

/**
 * The inversion's size term over a change G(x) - x: its mean absolute value, or under `rms` its root
 * mean square (the epsilon keeps sqrt's gradient finite at the identity transform, where the change is 0).
 */
export function sizeTerm(change: tf.Tensor, rms: number): tf.Tensor {
  return rms ? tf.sqrt(tf.add(tf.mean(tf.square(change)), 1e-12)) : tf.mean(tf.abs(change));
}

/** Class k's global-transform trigger against `predict`, from the identity transform. */
export async function invertTransform(
  predict: (x: tf.Tensor4D) => tf.Tensor2D,
  ctx: ScanContext,
  k: number,
  o: TransformInversionOptions,
  seed: number,
  report: StepReporter,
): Promise<TransformInversionResult> {
  const { height: h, width: w, channels: c } = ctx.data;
  const kernel = tf.variable<tf.Rank.R1>(tf.tensor1d(IDENTITY_KERNEL), true, undefined, 'float32');
  const gain = tf.variable<tf.Rank.R1>(tf.ones([c]), true, undefined, 'float32');
  const lift = tf.variable<tf.Rank.R1>(tf.zeros([c]), true, undefined, 'float32');
  const delta = tf.variable<tf.Rank.R3>(tf.zeros([h, w, c]), true, undefined, 'float32');
  const vars = [kernel, gain, lift, delta];
  const optimizer = tf.train.adam(o.lr);
  const batches = new NoisyOtherBatches(ctx, k, o.batch, o.noise, mulberry32(seed));
  // The relative schedule on T = 1/w: ASR below `low` relaxes the size weight, above `high` tightens it.
  const lambda = new DynamicLambda({
    T: 1 / o.weight0,
    window: o.window,
    low: o.low,
    high: o.high,
    delta: 0,
    growth: o.growth,
  });
  const asrs: number[] = [];
  const changes: number[] = [];
  try {
    for (let step = 0; step < o.steps; step++) {
      let hits: tf.Tensor | undefined;
      let change: tf.Tensor | undefined;
      tf.tidy(() => {
        const x = batches.next();
        const padded = edgePad(x);
        const target = targetRows(k, x.shape[0], ctx.numClasses);
        const weight = lambda.weight;
        const { grads } = tf.variableGrads(() => {
          const g = applyTransform(padded, kernel, gain, lift, delta);
          const logits = predict(g);
          const d = sizeTerm(tf.sub(g, x), o.rmsSize);
          hits = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), k), 'float32')));
          change = tf.keep(tf.clone(d));
          return tf.add<tf.Scalar>(tf.losses.softmaxCrossEntropy(target, logits), tf.mul(d, weight));
        }, vars);
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      });
      const [asr, d] = await takeScalars(hits!, change!);
      if (!Number.isFinite(d))
        throw new UmaError(
          'NUMERIC',
          `transform inversion for class ${k} produced a non-finite change at step ${step}`,
        );
      asrs.push(asr);
      changes.push(d);
      lambda.record(asr);
      report(step + 1, o.steps);
    }
    const [kv, gv, lv, dv] = await Promise.all(vars.map((v) => takeData(tf.clone(v))));
    return {
      kernel: kv,
      gain: gv,
      lift: lv,
      delta: dv,
      asr: lastWindowMean(asrs, o.window),
      change: lastWindowMean(changes, o.window),
      finalWeight: lambda.weight,
      steps: asrs.length,
    };
  } finally {
    tf.dispose(vars);
    optimizer.dispose();
  }
}

/**
 * The transform's ASR and size on the samples at `idx` (no noise): the fraction `predict` puts in class k,
 * the mean change mean |G(x) - x| and its root mean square, sqrt(mean (G(x) - x)^2), which charges a
 * local patch more than a diffuse change of the same mean.
 */
export async function transformEffect(
  predict: (x: tf.Tensor4D) => tf.Tensor2D,
  ctx: ScanContext,
  k: number,
  t: TransformTrigger,
  idx: readonly number[],
): Promise<{ asr: number; change: number; rms: number }> {
  const { height: h, width: w, channels: c } = ctx.data;
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < idx.length; i += 256) {
    const part = idx.slice(i, i + 256);
    parts.push(
      tf.tidy(() => {
        const x = gather(ctx.x, part) as tf.Tensor4D;
        const g = applyTransform(
          edgePad(x),
          tf.tensor1d(t.kernel),
          tf.tensor1d(t.gain),
          tf.tensor1d(t.lift),
          tf.tensor3d(t.delta, [h, w, c]),
        );
        const hit = tf.sum(tf.cast(tf.equal(tf.argMax(predict(g), 1), k), 'float32'));
        const diff = tf.sub(g, x);
        return tf.stack([hit, tf.sum(tf.abs(diff)), tf.sum(tf.square(diff))]);
      }),
    );
  }
  let [hits, abs, squares] = [0, 0, 0];
  for (const p of parts) {
    const [a, b, s] = await takeData(p);
    hits += a;
    abs += b;
    squares += s;
  }
  const values = idx.length * h * w * c;
  return idx.length
    ? { asr: hits / idx.length, change: abs / values, rms: Math.sqrt(squares / values) }
    : { asr: NaN, change: NaN, rms: NaN };
}
