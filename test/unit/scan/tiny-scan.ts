/** A tiny seeded model and scan context for unit tests of one class's ablation. */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../../src/main/engine/data/index.ts';
import { LayersClassifier } from '../../../src/main/engine/model/layers.ts';
import { joinShards, ScanContext } from '../../../src/main/engine/scan/context.ts';
import { mulberry32 } from '../../../src/main/engine/random.ts';

/**
 * A seeded dense 3-layer net on 4x4 inputs and 3 classes, with its scan context prepared at `freezeRatio`;
 * untrained, or trained for `trainEpochs` full-batch epochs (so that each class is recognised).
 */
export async function tinyScan(freezeRatio: number, trainEpochs = 0) {
  const net = tf.sequential();
  net.add(tf.layers.flatten({ inputShape: [4, 4, 1] }));
  for (const [units, seed] of [
    [8, 1],
    [8, 2],
  ])
    net.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  net.add(tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  const count = 90;
  const rand = mulberry32(7);
  const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
  // Class c brightens row c, so the classes are learnable features rather than noise.
  const images = Float32Array.from({ length: count * 16 }, (_, j) => {
    const [i, px] = [Math.floor(j / 16), j % 16];
    return 0.3 * rand() + (Math.floor(px / 4) === labels[i] ? 0.7 : 0);
  });
  const data: Dataset = {
    images,
    labels,
    count,
    height: 4,
    width: 4,
    channels: 1,
    classNames: ['a', 'b', 'c'],
    source: 'synthetic',
  };
  if (trainEpochs > 0) {
    // The net outputs logits: the loss takes them as such.
    net.compile({
      optimizer: tf.train.sgd(0.5),
      loss: (y: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, logits),
    });
    const [x, y] = [tf.tensor4d(images, [count, 4, 4, 1]), tf.oneHot(tf.tensor1d(labels, 'int32'), 3)];
    await net.fit(x, y, { epochs: trainEpochs, batchSize: count, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);
  }
  const model = await LayersClassifier.fromModel(net, 'tiny');
  const ctx = new ScanContext(model, data);
  ctx.adopt(joinShards([await ctx.prepareShard(0, count, freezeRatio)], count, 3));
  return { model, ctx, data };
}
