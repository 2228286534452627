/**
 * UMA's dynamic trigger inversion against a model (docs/algorithm.md step 3, the paper's Eqs. 7-9): a
 * mask m in [0,1]^{HxW} and a pattern p in [0,1]^{HxWxC}, both starting at 1 (the first run), squashed mask s,
 * stamp A(x) = (1-s)x + sp. Each step
 * draws other-class samples plus Gaussian noise and takes signed-gradient steps on
 * CE(model(A(x)), k) + |s|_1 / T, with T adapted to the recent ASR. Only input gradients are computed.
 * With `inversionRestarts` > 1 the inversion runs again from seeded random starts and keeps one run
 * (keptRestart): a run from all ones can stall on a true target's trigger (issue 18).
 */
import * as tf from '@tensorflow/tfjs';
import type { ScanParams } from '../../../../shared/scan-params.ts';
import { UmaError } from '../../../../shared/errors.ts';
import { takeData, takeScalars } from '../../backend/read.ts';
import { deriveSeed, mulberry32 } from '../../random.ts';
import { gather, type ScanContext } from '../context.ts';
import { NoisyOtherBatches, targetRows } from '../inversion-batch.ts';
import type { StepReporter } from '../progress.ts';
import { DynamicLambda, lastWindowMean } from './lambda.ts';
import { clipPattern, squash, stamp } from './stamp.ts';

export interface Trigger {
  /** Squashed mask s, [H*W]. */
  mask: Float32Array;
  /** Pattern p, [H*W*C] (HWC). */
  pattern: Float32Array;
}

export interface InversionResult extends Trigger {
  /** Mean ASR over the last window of steps. */
  asr: number;
  /** Mean L1 of the raw mask m over the last window of steps. */
  maskL1: number;
  finalT: number;
  steps: number;
}

/**
 * Where restart r starts, as raw mask m [H*W] and pattern [H*W*C]: restart 0 at all ones (the authors'
 * start), restart r >= 1 at seeded uniform draws in [0,1] (mask first, then pattern), from the class's
 * inversion seed and r.
 */
export function restartStart(seed: number, r: number, h: number, w: number, c: number): Trigger {
  if (r === 0) return { mask: new Float32Array(h * w).fill(1), pattern: new Float32Array(h * w * c).fill(1) };
  const rand = mulberry32(deriveSeed(seed, 'restart', r));
  const mask = Float32Array.from({ length: h * w }, () => rand());
  return { mask, pattern: Float32Array.from({ length: h * w * c }, () => rand()) };
}

/**
 * The run a class keeps among its restarts: the smallest mask (maskL1) among the successful ones (ASR
 * >= `lambdaLow`, the dynamic lambda's lower bound), else the highest ASR; ties go to the earlier run.
 */
export function keptRestart(runs: readonly InversionResult[], lambdaLow: number): InversionResult {
  if (runs.length === 0) throw new RangeError('no inversion run to choose from');
  const successful = runs.filter((r) => r.asr >= lambdaLow);
  if (successful.length) return successful.reduce((best, r) => (r.maskL1 < best.maskL1 ? r : best));
  return runs.reduce((best, r) => (r.asr > best.asr ? r : best));
}

/**
 * Class k's trigger: `inversionRestarts` runs of `inversionSteps` steps each, one kept (keptRestart).
 * Progress counts the steps of every run, so it ends at restarts x steps.
 */
export async function invertTrigger(
  predict: (x: tf.Tensor4D) => tf.Tensor2D,
  ctx: ScanContext,
  k: number,
  p: ScanParams,
  seed: number,
  report: StepReporter,
): Promise<InversionResult> {
  const runs: InversionResult[] = [];
  const total = p.inversionRestarts * p.inversionSteps;
  for (let r = 0; r < p.inversionRestarts; r++) {
    const done = r * p.inversionSteps;
    runs.push(await invertRun(predict, ctx, k, p, seed, r, (step) => report(done + step, total)));
  }
  return keptRestart(runs, p.lambdaLow);
}

/**
 * One inversion run from restart r's start (restartStart). Every run draws the same batches and noise
 * (from `seed`), so restarts differ only in where they start.
 */
export async function invertRun(
  predict: (x: tf.Tensor4D) => tf.Tensor2D,
  ctx: ScanContext,
  k: number,
  p: ScanParams,
  seed: number,
  r: number,
  report: StepReporter,
): Promise<InversionResult> {
  const { height: h, width: w, channels: c } = ctx.data;
  const start = restartStart(seed, r, h, w, c);
  const m = tf.variable(tf.tensor(start.mask, [h, w]), true, undefined, 'float32');
  // A drawn pattern is first brought within patternChannelSpread, where every step keeps it.
  const pat = tf.variable(
    tf.tidy(() => clipPattern(tf.tensor3d(start.pattern, [h, w, c]), p.patternChannelSpread)),
    true,
    undefined,
    'float32',
  );
  const batches = new NoisyOtherBatches(ctx, k, p.inversionBatch, p.inversionNoise, mulberry32(seed));
  const lambda = new DynamicLambda({
    T: p.lambdaT0,
    window: p.lambdaWindow,
    low: p.lambdaLow,
    high: p.lambdaHigh,
    delta: p.lambdaDelta,
    growth: p.lambdaGrowth,
  });
  const asrs: number[] = [];
  const l1s: number[] = [];
  try {
    for (let step = 0; step < p.inversionSteps; step++) {
      let hits: tf.Tensor | undefined;
      tf.tidy(() => {
        const x = batches.next();
        const target = targetRows(k, x.shape[0], ctx.numClasses);
        const weight = lambda.weight;
        const { grads } = tf.variableGrads(() => {
          const s = squash(m, p.maskSquash);
          const logits = predict(stamp(x, s, pat));
          hits = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), k), 'float32')));
          return tf.add<tf.Scalar>(tf.losses.softmaxCrossEntropy(target, logits), tf.mul(tf.sum(s), weight));
        }, [m, pat]);
        pat.assign(clipPattern(tf.sub(pat, tf.mul(p.patternStep, tf.sign(grads[pat.name]))), p.patternChannelSpread));
        m.assign(tf.clipByValue(tf.sub(m, tf.mul(p.maskStep, tf.sign(grads[m.name]))), 0, 1));
      });
      const [asr, l1] = await takeScalars(
        hits!,
        tf.tidy(() => tf.sum(m)),
      );
      if (!Number.isFinite(l1))
        throw new UmaError('NUMERIC', `trigger inversion for class ${k} produced a non-finite mask at step ${step}`);
      asrs.push(asr);
      l1s.push(l1);
      lambda.record(asr);
      report(step + 1, p.inversionSteps);
    }
    const [mask, pattern] = await Promise.all([takeData(squash(m, p.maskSquash)), takeData(tf.clone(pat))]);
    return {
      mask,
      pattern,
      asr: lastWindowMean(asrs, p.lambdaWindow),
      maskL1: lastWindowMean(l1s, p.lambdaWindow),
      finalT: lambda.T,
      steps: asrs.length,
    };
  } finally {
    tf.dispose([m, pat]);
  }
}

/** Fraction of the samples at `idx` that `predict` puts in class k once stamped with the trigger. */
export async function triggerAsr(
  predict: (x: tf.Tensor4D) => tf.Tensor2D,
  ctx: ScanContext,
  k: number,
  trigger: Trigger,
  idx: readonly number[],
): Promise<number> {
  const { height: h, width: w, channels: c } = ctx.data;
  // Per-batch hit counts, read together once all batches are queued.
  const counts: tf.Tensor[] = [];
  for (let i = 0; i < idx.length; i += 256) {
    const part = idx.slice(i, i + 256);
    counts.push(
      tf.tidy(() => {
        const stamped = stamp(
          gather(ctx.x, part) as tf.Tensor4D,
          tf.tensor2d(trigger.mask, [h, w]),
          tf.tensor3d(trigger.pattern, [h, w, c]),
        );
        return tf.sum(tf.cast(tf.equal(tf.argMax(predict(stamped), 1), k), 'int32'));
      }),
    );
  }
  const hit = (await takeScalars(...counts)).reduce((a, b) => a + b, 0);
  return idx.length ? hit / idx.length : NaN;
}
