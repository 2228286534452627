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
  /** The rate it ran at: ablationLr, or less where the first step's calibration halved it. */
  lr: number;
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

  const ownProb = (out: tf.Tensor) => tf.mean(tf.squeeze(tf.slice(tf.softmax(out), [0, k], [-1, 1]), [1]));
  const ownAcc = (out: tf.Tensor) => tf.mean(tf.cast(tf.equal(tf.argMax(out, 1), k), 'float32'));

  /**
   * Eq. 6's gradients on these batches, weight decay added PyTorch-style (g += wd * w), and
   * [loss, own-class probability, own-class accuracy, unlearning term] before the step, kept.
   */
  const gradients = (io: number[], ik: number[]): { grads: tf.Tensor[]; stats: tf.Tensor } => {
    let stats: tf.Tensor | undefined;
    const grads = tf.tidy(() => {
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
      const { grads } = tf.variableGrads(() => {
        const lo = forward(xo);
        const lkOut = forward(xk);
        const ce = tf.losses.softmaxCrossEntropy(yo, lo);
        const ownLogit = tf.squeeze(tf.slice(lkOut, [0, k], [-1, 1]), [1]);
        const unlearn = tf.mean(tf.abs(tf.sub(ownLogit, lk)));
        const consistency = tf.mul(beta, tf.mean(tf.sum(tf.abs(tf.sub(lo, refLogits)), 1)));
        const loss = tf.addN([ce, unlearn, consistency]) as tf.Scalar;
        stats = tf.keep(tf.stack([loss, ownProb(lkOut), ownAcc(lkOut), unlearn]));
        return loss;
      }, vars);
      return vars.map((v) => tf.add(grads[v.name], tf.mul(p.ablationWeightDecay, v)));
    });
    return { grads, stats: stats! };
  };

  /** Its stats read, refused where the loss is no longer a number. */
  const readStats = async (stats: tf.Tensor): Promise<Float32Array> => {
    const values = await takeData(stats);
    if (!Number.isFinite(values[0]))
      throw new UmaError(
        'NUMERIC',
        `ablation of class ${k} diverged (loss ${values[0]} at step ${steps}); lower ablationLr`,
      );
    return values;
  };

  /**
   * The rate: ablationLr, halved while a first step at it (from M's weights: momentum's first step is
   * a plain gradient step) lowers k's own-class probability on its batch by more than ablationStepDrop
   * of it, at most ablationStepHalvings times (docs/algorithm.md step 2, "First step calibrated"). The
   * probes leave M's weights in place, so the ablation's first step is the one an uncalibrated
   * ablation at that rate takes.
   */
  const calibratedRate = async (io: number[], ik: number[]): Promise<number> => {
    let lr = p.ablationLr;
    // Off, or no halving allowed: nothing to probe.
    if (!(p.ablationStepDrop > 0) || p.ablationStepHalvings === 0) return lr;
    const saved = vars.map((v) => v.clone());
    const { grads, stats } = gradients(io, ik);
    try {
      const before = (await readStats(stats))[1];
      for (let halvings = 0; halvings < p.ablationStepHalvings; halvings++, lr /= 2) {
        tf.tidy(() => vars.forEach((v, i) => v.assign(tf.sub(saved[i], tf.mul(lr, grads[i])))));
        const after = (await takeData(tf.tidy(() => ownProb(forward(gather(inputs, ik))))))[0];
        // Not a fall by more than the allowed fraction (a class already at probability 0 has none to lose).
        if (!(after < before * (1 - p.ablationStepDrop))) break;
      }
      return lr;
    } finally {
      vars.forEach((v, i) => v.assign(saved[i]));
      tf.dispose([...saved, ...grads]);
    }
  };

  let lr = p.ablationLr;
  const opt = tf.train.momentum(lr, p.ablationMomentum);
  /** One SGD step on these batches; its stats from before it. */
  const step = async (io: number[], ik: number[]): Promise<Float32Array> => {
    const { grads, stats } = gradients(io, ik);
    opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
    tf.dispose(grads);
    return readStats(stats);
  };

  try {
    while (steps < maxSteps) {
      const io = drawOther.next();
      const ik = drawOwn.next();
      if (steps === 0) {
        lr = await calibratedRate(io, ik);
        if (lr !== p.ablationLr) opt.setLearningRate(lr);
      }
      const [, pk, acc, unlearnValue] = await step(io, ik);
      trace.prob.push(pk);
      trace.acc.push(acc);
      trace.unlearn.push(unlearnValue);
      steps++;
      report(steps, maxSteps);
      if (steps >= minSteps) stoppedBy = ablationStopRule(trace, p);
      if (stoppedBy) break;
    }
    const window = trace.prob.slice(-p.ablationStopWindow);
    return {
      model: copy,
      steps,
      maxSteps,
      accTarget: await ctx.accuracy(forward, inputs, own),
      accOther: await ctx.accuracy(forward, inputs, others),
      finalProb: window.reduce((a, b) => a + b, 0) / Math.max(1, window.length),
      stoppedBy,
      lr,
    };
  } catch (err) {
    copy.dispose();
    throw err;
  } finally {
    opt.dispose();
    // tfjs-core 4.22's MomentumOptimizer.dispose skips SGDOptimizer's, which frees the rate's scalar.
    tf.SGDOptimizer.prototype.dispose.call(opt);
  }
}
