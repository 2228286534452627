/**
 * Neural Cleanse (Wang et al., 2019), the baseline: reverse, against the suspect model itself, the
 * smallest mask that sends other-class samples to class k. Mask and pattern live in tanh space and are
 * optimised with Adam (ncLr, betas 0.5/0.9 as in NC's code); the mask-size cost starts at ncInitCost
 * and is multiplied by ncCostUp after ncPatience epochs holding the ASR target, divided by ncCostDown
 * after as many missing it; the smallest mask that reached the target is kept (docs/algorithm.md,
 * "Neural Cleanse"). NC's "epoch" here is a window of `lambdaWindow` steps.
 */
import * as tf from '@tensorflow/tfjs';
import type { ScanParams } from '../../../../shared/scan-params.ts';
import { takeData, takeScalars } from '../../backend/read.ts';
import { mulberry32 } from '../../random.ts';
import { gather, type ScanContext } from '../context.ts';
import { targetRows } from '../inversion-batch.ts';
import type { StepReporter } from '../progress.ts';
import { BatchSampler } from '../sampler.ts';
import type { InversionResult } from '../uma/invert.ts';
import { stamp } from '../uma/stamp.ts';

function tanhSpace(t: tf.Tensor): tf.Tensor {
  return tf.add(tf.div(tf.tanh(t), 2 - 1e-7), 0.5);
}

export async function neuralCleanse(
  predict: (x: tf.Tensor4D) => tf.Tensor2D,
  ctx: ScanContext,
  k: number,
  p: ScanParams,
  seed: number,
  report: StepReporter,
): Promise<InversionResult> {
  const { height: h, width: w, channels: c } = ctx.data;
  const rand = mulberry32(seed);
  const init = (shape: number[]) =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.atanh((rand() - 0.5) * (2 - 1e-7)));
  const mRaw = tf.variable(tf.tensor(init([h, w]), [h, w]));
  const pRaw = tf.variable(tf.tensor(init([h, w, c]), [h, w, c]));
  const opt = tf.train.adam(p.ncLr, 0.5, 0.9);
  const draw = new BatchSampler(ctx.others(k), p.ncBatch, rand);
  let cost = p.ncInitCost;
  let up = 0;
  let down = 0;
  let best: { mask: Float32Array; pattern: Float32Array; l1: number; asr: number } | null = null;
  let sinceBest = 0;
  let epochAsr: number[] = [];
  let lastAsr = 0;
  let steps = 0;
  try {
    for (; steps < p.ncSteps; steps++) {
      const idx = draw.next();
      let hits: tf.Tensor | undefined;
      tf.tidy(() => {
        const x = gather(ctx.x, idx) as tf.Tensor4D;
        const target = targetRows(k, idx.length, ctx.numClasses);
        const weight = cost;
        opt.minimize(
          () => {
            const logits = predict(stamp(x, tanhSpace(mRaw), tanhSpace(pRaw)));
            hits = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), k), 'float32')));
            return tf.add<tf.Scalar>(
              tf.losses.softmaxCrossEntropy(target, logits),
              tf.mul(tf.sum(tanhSpace(mRaw)), weight),
            );
          },
          false,
          [mRaw, pRaw],
        );
      });
      epochAsr.push((await takeScalars(hits!))[0]);
      report(steps + 1, p.ncSteps);
      if (epochAsr.length < p.lambdaWindow) continue;
      // End of an NC epoch: keep the smallest successful mask, adjust the cost, maybe stop early.
      const asr = epochAsr.reduce((a, b) => a + b, 0) / epochAsr.length;
      lastAsr = asr;
      epochAsr = [];
      const [mask, pattern] = tf.tidy(() => [tanhSpace(mRaw), tanhSpace(pRaw)]);
      const [l1] = await takeScalars(tf.tidy(() => tf.sum(mask)));
      if (asr >= p.ncAsrTarget && (!best || l1 < best.l1)) {
        best = { mask: await takeData(mask), pattern: await takeData(pattern), l1, asr };
        sinceBest = 0;
      } else if (best) sinceBest++;
      tf.dispose([mask, pattern]);
      if (asr >= p.ncAsrTarget) {
        up++;
        down = 0;
      } else {
        down++;
        up = 0;
      }
      if (up >= p.ncPatience) {
        cost *= p.ncCostUp;
        up = 0;
      } else if (down >= p.ncPatience) {
        cost /= p.ncCostDown;
        down = 0;
      }
      if (best && sinceBest >= p.ncEarlyStopEpochs) {
        steps++;
        break;
      }
    }
    if (!best) {
      // Never reached the target ASR: report the last trigger and its measured ASR.
      const [mask, pattern] = tf.tidy(() => [tanhSpace(mRaw), tanhSpace(pRaw)]);
      const last = { mask: await takeData(mask), pattern: await takeData(pattern) };
      const l1 = last.mask.reduce((a, b) => a + b, 0);
      best = { ...last, l1, asr: lastAsr };
    }
    return { mask: best.mask, pattern: best.pattern, asr: best.asr, maskL1: best.l1, finalT: cost, steps };
  } finally {
    tf.dispose([mRaw, pRaw]);
    opt.dispose();
  }
}
