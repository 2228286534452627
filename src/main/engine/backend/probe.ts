/**
 * A training-step throughput probe: SGD steps of a small MNIST-size CNN on random data for a fixed
 * wall-clock budget. `uma doctor` and the backend benchmark report its samples/s.
 */
import * as tf from '@tensorflow/tfjs';
import { takeScalars } from './read.ts';

export interface ProbeResult {
  samplesPerSecond: number;
  steps: number;
  batch: number;
  seconds: number;
}

export interface ProbeNet {
  height: number;
  width: number;
  channels: number;
  /** Filters per conv block; each block is conv3x3 + ReLU + conv3x3 + ReLU + maxpool. */
  blocks: number[];
  dense: number[];
  classes: number;
}

export const MNIST_PROBE: ProbeNet = {
  height: 28,
  width: 28,
  channels: 1,
  blocks: [16, 32],
  dense: [128],
  classes: 10,
};
/** The authors' CIFAR-10 CNN (1.34M parameters). */
export const CIFAR_PROBE: ProbeNet = {
  height: 32,
  width: 32,
  channels: 3,
  blocks: [32, 64, 128],
  dense: [512],
  classes: 10,
};

export function buildProbeNet(net: ProbeNet): tf.Sequential {
  const model = tf.sequential();
  net.blocks.forEach((filters, i) => {
    const first = i === 0 ? { inputShape: [net.height, net.width, net.channels] } : {};
    model.add(
      tf.layers.conv2d({
        ...first,
        filters,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 + i }),
      }),
    );
    model.add(
      tf.layers.conv2d({
        filters,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 11 + i }),
      }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  });
  model.add(tf.layers.flatten());
  for (const units of net.dense)
    model.add(
      tf.layers.dense({ units, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 21 }) }),
    );
  model.add(tf.layers.dense({ units: net.classes, kernelInitializer: tf.initializers.glorotUniform({ seed: 31 }) }));
  return model;
}

/** Runs SGD steps (forward, backward, update) until `seconds` have passed (after one warm-up step). */
export async function trainingThroughput(net: ProbeNet, seconds: number, batch = 64): Promise<ProbeResult> {
  const model = buildProbeNet(net);
  const opt = tf.train.sgd(0.01);
  const x = tf.randomUniform([batch, net.height, net.width, net.channels], 0, 1, 'float32', 7);
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % net.classes),
      'int32',
    ),
    net.classes,
  );
  // Each step reads its loss back, as a scan does, so a GPU's queue cannot run ahead of the clock.
  const step = async () => {
    await takeScalars(opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor), true)!);
  };
  await step();
  let steps = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await step();
    steps++;
  }
  const elapsed = (performance.now() - start) / 1000;
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return { samplesPerSecond: (steps * batch) / elapsed, steps, batch, seconds: elapsed };
}
