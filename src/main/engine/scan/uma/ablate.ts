/**
 * Ablation of class k (docs/algorithm.md step 2, the paper's Eq. 6): unlearn k's inherent features from
 * a copy of M while keeping everything else, so that what still drives inputs to k afterwards is the
 * backdoor. Loss = CE(M'(x_o), y_o) + mean |M'(x_k)[k] - l_k| + beta * mean ||M'(x_o) - M(x_o)||_1
 * (L1, as the authors' code; the paper's text says L2), SGD with
 * momentum and weight decay, Dropout off and BatchNorm statistics frozen (eval mode), the first layers
 * frozen. When the frozen layers form a prefix, their activations come from the scan's shared ones and
 * only the trainable back part runs. It stops at the first rule of ablation-stop.ts that holds once
 * ablationMinEpochs passes are done, and after ablationMaxEpochs passes over the other classes'
 * samples at the latest.
 */
import * as tf from '@tensorflow/tfjs';
import type { ScanParams } from '../../../../shared/scan-params.ts';
import { UmaError } from '../../../../shared/errors.ts';
import { takeData } from '../../backend/read.ts';
import type { Classifier } from '../../model/types.ts';
import { mulberry32 } from '../../random.ts';
import { gather, type ScanContext } from '../context.ts';
import type { StepReporter } from '../progress.ts';
import { BatchSampler } from '../sampler.ts';
import { ablationStopRule, type AblationStopRule, type AblationTrace } from './ablation-stop.ts';

export interface AblationResult {
  model: Classifier;
  steps: number;
  maxSteps: number;
  accTarget: number;
  accOther: number;
  /** Mean softmax probability of k on its own samples over the last window when it stopped. */
  finalProb: number;
  /** The rule that stopped it; null when it ran to the epoch cap. */
  stoppedBy: AblationStopRule | null;
}

function stepsOf(epochs: number, ctx: ScanContext, k: number, p: ScanParams): number {
  return Math.ceil(epochs * Math.ceil(ctx.others(k).length / p.ablationBatchOther));
}

export function ablationMaxSteps(ctx: ScanContext, k: number, p: ScanParams): number {
  return stepsOf(p.ablationMaxEpochs, ctx, k, p);
}

/**
 * Steps before an early stop may end the unlearning (ablationMinEpochs; at the cap, none does). A scan
 * stored before the parameter existed, resumed, lacks it: 0, as it ran.
 */
export function ablationMinSteps(ctx: ScanContext, k: number, p: ScanParams): number {
  return stepsOf(p.ablationMinEpochs ?? 0, ctx, k, p);
}

export async function ablateClass(
  ctx: ScanContext,
  k: number,
  p: ScanParams,
  seed: number,
  report: StepReporter,
): Promise<AblationResult> {
  const copy = await ctx.model.clone();
  copy.setTraining(false);
  copy.freeze(p.freezeRatio);
  const split = copy.splitAtFreeze?.() ?? null;
  const front = ctx.frontActivations;
  if (split && !front) throw new Error('the model splits at the freeze ratio but the scan shared no front activations');
  const inputs = split ? front! : ctx.x;
  const forward = split ? (h: tf.Tensor) => split.back(h) : (x: tf.Tensor) => copy.predict(x as tf.Tensor4D);

  // With ablationFreezeHead the output layer's weights stay M's (docs/algorithm.md step 2).
  const head = new Set(p.ablationFreezeHead ? (copy.weightLayers().at(-1)?.variables ?? []) : []);
  const vars = copy.trainableVariables().filter((v) => !head.has(v));
  if (vars.length === 0) {
    copy.dispose();
    throw new UmaError(
      'BAD_INPUT',
      `ablationFreezeHead leaves no layer to unlearn class ${k} with: freezeRatio ${p.freezeRatio} already freezes every layer before the output layer; lower freezeRatio or set ablationFreezeHead to 0`,
    );
  }
  const opt = tf.train.momentum(p.ablationLr, p.ablationMomentum);
  const rand = mulberry32(seed);
  const others = ctx.others(k);
  const own = ctx.byClass[k];
  const drawOther = new BatchSampler(others, p.ablationBatchOther, rand);
  const drawOwn = new BatchSampler(own, p.ablationBatchTarget, rand);
  const beta = p.ablationBeta ?? 1 / ctx.numClasses;
  const lk = ctx.targetLogits[k];
  const maxSteps = ablationMaxSteps(ctx, k, p);
  const minSteps = ablationMinSteps(ctx, k, p);
  const trace: AblationTrace = { prob: [], acc: [], unlearn: [] };
  let stoppedBy: AblationStopRule | null = null;
  let steps = 0;

  try {
    while (steps < maxSteps) {
      const io = drawOther.next();
      const ik = drawOwn.next();
      // [loss, own-class probability, own-class accuracy, unlearning term]: one read per step.
      let stats: tf.Tensor | undefined;
      const lossValue = tf.tidy(() => {
        const xo = gather(inputs, io);
        const xk = gather(inputs, ik);
        const yo = tf.oneHot(
          tf.tensor1d(
            io.map((i) => ctx.labels[i]),
            'int32',
          ),
          ctx.numClasses,
        );
        const refLogits = gather(ctx.logits, io);
        const { value, grads } = tf.variableGrads(() => {
          const lo = forward(xo);
          const lkOut = forward(xk);
          const ce = tf.losses.softmaxCrossEntropy(yo, lo);
          const ownLogit = tf.squeeze(tf.slice(lkOut, [0, k], [-1, 1]), [1]);
          const unlearn = tf.mean(tf.abs(tf.sub(ownLogit, lk)));
          const consistency = tf.mul(beta, tf.mean(tf.sum(tf.abs(tf.sub(lo, refLogits)), 1)));
          const loss = tf.addN([ce, unlearn, consistency]) as tf.Scalar;
          const prob = tf.mean(tf.squeeze(tf.slice(tf.softmax(lkOut), [0, k], [-1, 1]), [1]));
          const acc = tf.mean(tf.cast(tf.equal(tf.argMax(lkOut, 1), k), 'float32'));
          stats = tf.keep(tf.stack([loss, prob, acc, unlearn]));
          return loss;
        }, vars);
        // PyTorch-style weight decay: g += wd * w.
        opt.applyGradients(
          vars.map((v) => ({ name: v.name, tensor: tf.add(grads[v.name], tf.mul(p.ablationWeightDecay, v)) })),
        );
        return value;
      });
      lossValue.dispose();
      const [loss, pk, acc, unlearnValue] = await takeData(stats!);
      stats!.dispose();
      if (!Number.isFinite(loss))
        throw new UmaError(
          'NUMERIC',
          `ablation of class ${k} diverged (loss ${loss} at step ${steps}); lower ablationLr`,
        );
      trace.prob.push(pk);
      trace.acc.push(acc);
      trace.unlearn.push(unlearnValue);
      steps++;
      report(steps, maxSteps);
      if (steps >= minSteps) stoppedBy = ablationStopRule(trace, p);
      if (stoppedBy) break;
    }
    const predict = split ? (h: tf.Tensor) => split.back(h) : (x: tf.Tensor) => copy.predict(x as tf.Tensor4D);
    const window = trace.prob.slice(-p.ablationStopWindow);
    return {
      model: copy,
      steps,
      maxSteps,
      accTarget: await ctx.accuracy(predict, inputs, own),
      accOther: await ctx.accuracy(predict, inputs, others),
      finalProb: window.reduce((a, b) => a + b, 0) / Math.max(1, window.length),
      stoppedBy,
    };
  } catch (err) {
    copy.dispose();
    throw err;
  } finally {
    opt.dispose();
  }
}
