/**
 * The model architectures the evaluation corpus trains (TF.js Layers, channels-last, logits out).
 */
import * as tf from '@tensorflow/tfjs';

export const ARCHITECTURES = ['mnist-cnn', 'small-cifar-cnn', 'authors-cifar-cnn', 'resnet-mini'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

type Shape = [number, number, number];

function seeded(seed: number) {
  return tf.initializers.glorotUniform({ seed });
}

/**
 * A plain VGG-style CNN: per block `convsPerBlock` 3x3 same-padded ReLU convolutions then a 2x2 max
 * pool, then one ReLU dense layer and the logits. Initialiser seeds run seed, seed+1, ... in layer
 * order, so a recipe rebuilds the same weights.
 */
function plainCnn(
  input: Shape,
  classes: number,
  seed: number,
  blocks: number[],
  convsPerBlock: number,
  dense: number,
): tf.Sequential {
  const m = tf.sequential();
  let s = seed;
  blocks.forEach((filters, block) => {
    for (let c = 0; c < convsPerBlock; c++) {
      const first = block === 0 && c === 0 ? { inputShape: input } : {};
      m.add(
        tf.layers.conv2d({
          ...first,
          filters,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: seeded(s++),
        }),
      );
    }
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  });
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: dense, activation: 'relu', kernelInitializer: seeded(s++) }));
  m.add(tf.layers.dense({ units: classes, kernelInitializer: seeded(s++) }));
  return m;
}

/** A small residual net with BatchNorm (functional model), for ResNet-style corpus entries. */
function resnetMini(input: Shape, classes: number, seed: number): tf.LayersModel {
  let s = seed;
  const x = tf.input({ shape: input });
  const convBn = (t: tf.SymbolicTensor, filters: number, strides = 1, relu = true) => {
    let h = tf.layers
      .conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false, kernelInitializer: seeded(s++) })
      .apply(t) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
    return relu ? (tf.layers.reLU().apply(h) as tf.SymbolicTensor) : h;
  };
  let h = convBn(x, 16);
  for (const [filters, strides] of [
    [16, 1],
    [32, 2],
  ] as const) {
    const a = convBn(convBn(h, filters, strides), filters, 1, false);
    const shortcut = strides === 1 && filters === h.shape[3] ? h : convBn(h, filters, strides, false);
    h = tf.layers.reLU().apply(tf.layers.add().apply([a, shortcut])) as tf.SymbolicTensor;
  }
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, kernelInitializer: seeded(s++) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: out });
}

export function buildArchitecture(arch: Architecture, input: Shape, classes: number, seed: number): tf.LayersModel {
  switch (arch) {
    // A small MNIST-size CNN: conv8-pool-conv16-pool-dense64-dense(N).
    case 'mnist-cnn':
      return plainCnn(input, classes, seed, [8, 16], 1, 64);
    // conv16-pool-conv32-pool-conv64-pool-dense128, about 3M multiply-adds per 32x32 RGB image against
    // the authors' CNN's 40M. The corpus trains CIFAR-10 and GTSRB models with it because on two CPU
    // cores the authors' CNN takes about half an hour to train and over an hour to scan per model
    // (bench/results/scan.json); the authors' CNN stays available with --arch.
    case 'small-cifar-cnn':
      return plainCnn(input, classes, seed, [16, 32, 64], 1, 128);
    // The authors' CIFAR-10 CNN: 3->32->32->pool->64->64->pool->128->128->pool, FC 2048->512->N, no
    // BatchNorm (1.34M parameters for 32x32x3 inputs).
    case 'authors-cifar-cnn':
      return plainCnn(input, classes, seed, [32, 64, 128], 2, 512);
    case 'resnet-mini':
      return resnetMini(input, classes, seed);
  }
}
