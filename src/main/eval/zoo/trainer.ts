/**
 * Trains corpus models: clean, or trojaned by poisoning a fraction of the training set. Seeded end to
 * end (weights, shuffles, the attack's secret, the target), so a corpus entry rebuilds identically.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../engine/data/dataset.ts';
import { takeData, takeScalars } from '../../engine/backend/read.ts';
import { LayersClassifier } from '../../engine/model/layers.ts';
import { mulberry32, deriveSeed, shuffled } from '../../engine/random.ts';
import { buildArchitecture, type Architecture } from './architectures.ts';
import type { Attack } from './attacks/types.ts';
import { attackContext, poisonDataset, triggeredTestSet } from './poison.ts';

export interface TrainOptions {
  arch: Architecture;
  train: Dataset;
  test: Dataset;
  attack?: Attack;
  poisonRate?: number;
  /** Target class of the backdoor; default: drawn with the seed. */
  target?: number;
  epochs: number;
  batch?: number;
  lr?: number;
  seed: number;
  name?: string;
  onEpoch?: (epoch: number, loss: number) => void;
}

/** The attack a model was trained with, as its manifest records it. */
export interface AttackRecord {
  name: string;
  params: Record<string, unknown>;
  target: number;
  poisonRate: number;
  poisoned: number;
}

export interface TrainedModel {
  classifier: LayersClassifier;
  cleanAccuracy: number;
  /** Attack success rate on triggered non-target test samples; null for a clean model. */
  asr: number | null;
  attack: AttackRecord | null;
  seed: number;
}

async function accuracy(model: tf.LayersModel, ds: Dataset, wantLabel?: number): Promise<number> {
  let hit = 0;
  for (let i = 0; i < ds.count; i += 256) {
    const n = Math.min(256, ds.count - i);
    const per = ds.height * ds.width * ds.channels;
    const pred = tf.tidy(() =>
      tf.argMax(
        model.predict(
          tf.tensor4d(ds.images.subarray(i * per, (i + n) * per), [n, ds.height, ds.width, ds.channels]),
        ) as tf.Tensor,
        1,
      ),
    );
    const p = await takeData<'int32'>(pred);
    for (let j = 0; j < n; j++) if (p[j] === (wantLabel ?? ds.labels[i + j])) hit++;
  }
  return hit / ds.count;
}

export async function trainModel(o: TrainOptions): Promise<TrainedModel> {
  const rand = mulberry32(deriveSeed(o.seed, 'attack'));
  const numClasses = o.train.classNames.length;
  const shape = { height: o.train.height, width: o.train.width, channels: o.train.channels };
  const prepared = o.attack?.prepare(shape, rand, attackContext(o.train));
  const target = o.target ?? Math.floor(rand() * numClasses);
  const rate = o.poisonRate ?? 0.1;
  const poisoned = prepared
    ? poisonDataset(o.train, prepared, target, rate, deriveSeed(o.seed, 'poison'))
    : { data: o.train, poisoned: 0 };
  const train = poisoned.data;

  const model = buildArchitecture(
    o.arch,
    [shape.height, shape.width, shape.channels],
    numClasses,
    deriveSeed(o.seed, 'init') % 100000,
  );
  const opt = tf.train.adam(o.lr ?? 1e-3);
  const batch = o.batch ?? 64;
  const order = mulberry32(deriveSeed(o.seed, 'shuffle'));
  const x = tf.tensor4d(train.images, [train.count, shape.height, shape.width, shape.channels]);
  const y = tf.oneHot(tf.tensor1d(train.labels, 'int32'), numClasses);
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const idx = shuffled(
        Array.from({ length: train.count }, (_, i) => i),
        order,
      );
      let lossSum = 0;
      let batches = 0;
      for (let i = 0; i < idx.length; i += batch) {
        const part = tf.tensor1d(idx.slice(i, i + batch), 'int32');
        const loss = tf.tidy(() => {
          const xb = tf.gather(x, part);
          const yb = tf.gather(y, part);
          return opt.minimize(
            () =>
              tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(yb, model.apply(xb, { training: true }) as tf.Tensor),
            true,
          )!;
        });
        part.dispose();
        lossSum += (await takeScalars(loss))[0];
        batches++;
      }
      o.onEpoch?.(epoch, lossSum / batches);
    }
  } finally {
    tf.dispose([x, y]);
    opt.dispose();
  }
  const cleanAccuracy = await accuracy(model, o.test);
  const asr = prepared ? await accuracy(model, triggeredTestSet(o.test, prepared, target), target) : null;
  const classifier = await LayersClassifier.fromModel(
    model,
    o.name ?? `${o.arch}-${prepared?.name ?? 'clean'}-${o.seed}`,
    { classNames: o.train.classNames },
  );
  return {
    classifier,
    cleanAccuracy,
    asr,
    seed: o.seed,
    attack: prepared
      ? { name: prepared.name, params: prepared.params, target, poisonRate: rate, poisoned: poisoned.poisoned }
      : null,
  };
}
