/**
 * The clean reference model M_c (docs/algorithm.md step 4): M's architecture re-initialised (never
 * fine-tuned from M, so no backdoor is inherited) and coarsely trained on the clean samples with a
 * large learning rate for a few epochs, and at least referenceMinSteps steps: with few samples a few
 * epochs are too few steps for it to learn the classes, and a weak reference filters nothing. A
 * trigger that also fools M_c is a natural feature of the class, not a backdoor.
 */
import * as tf from '@tensorflow/tfjs';
import type { ScanParams } from '../../../../shared/scan-params.ts';
import { UmaError } from '../../../../shared/errors.ts';
import { takeScalars } from '../../backend/read.ts';
import type { Classifier } from '../../model/types.ts';
import { mulberry32 } from '../../random.ts';
import { gather, type ScanContext } from '../context.ts';
import type { StepReporter } from '../progress.ts';
import { BatchSampler } from '../sampler.ts';

export interface ReferenceModel {
  model: Classifier;
  /** Top-1 accuracy on the clean samples it was trained on. */
  accuracy: number;
  steps: number;
}

export function referenceSteps(ctx: ScanContext, p: ScanParams): number {
  return Math.max(p.referenceEpochs * Math.ceil(ctx.data.count / p.referenceBatch), p.referenceMinSteps);
}

export async function trainReference(
  ctx: ScanContext,
  p: ScanParams,
  seed: number,
  report: StepReporter,
): Promise<ReferenceModel> {
  const ref = await ctx.model.reinitialized(seed);
  ref.freeze(0);
  ref.setTraining(true);
  const vars = ref.trainableVariables();
  const opt = tf.train.momentum(p.referenceLr, p.referenceMomentum);
  const draw = new BatchSampler(
    Array.from({ length: ctx.data.count }, (_, i) => i),
    p.referenceBatch,
    mulberry32(seed),
  );
  const steps = referenceSteps(ctx, p);
  try {
    for (let step = 0; step < steps; step++) {
      const idx = draw.next();
      const loss = tf.tidy(() => {
        const x = gather(ctx.x, idx) as tf.Tensor4D;
        const y = tf.oneHot(
          tf.tensor1d(
            idx.map((i) => ctx.labels[i]),
            'int32',
          ),
          ctx.numClasses,
        );
        return opt.minimize(() => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, ref.predict(x)), true, vars)!;
      });
      const [value] = await takeScalars(loss);
      if (!Number.isFinite(value)) {
        throw new UmaError(
          'NUMERIC',
          `reference model training diverged (loss ${value} at step ${step}); lower referenceLr`,
        );
      }
      report(step + 1, steps);
    }
    ref.setTraining(false);
    const all = Array.from({ length: ctx.data.count }, (_, i) => i);
    return { model: ref, accuracy: await ctx.accuracy((x) => ref.predict(x as tf.Tensor4D), ctx.x, all), steps };
  } catch (err) {
    ref.dispose();
    throw err;
  } finally {
    opt.dispose();
  }
}
