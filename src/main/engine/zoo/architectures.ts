/**
 * The model architectures the evaluation corpus trains (TF.js Layers, channels-last, logits out).
 */
import * as tf from '@tensorflow/tfjs';

export const ARCHITECTURES = ['mnist-cnn', 'authors-cifar-cnn', 'resnet-mini'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

type Shape = [number, number, number];

function seeded(seed: number) {
  return tf.initializers.glorotUniform({ seed });
}

/** A small MNIST-size CNN: conv8-pool-conv16-pool-dense64-dense(N). */
function mnistCnn(input: Shape, classes: number, seed: number): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: input, filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: seeded(seed) }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: seeded(seed + 1) }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: seeded(seed + 2) }));
  m.add(tf.layers.dense({ units: classes, kernelInitializer: seeded(seed + 3) }));
  return m;
}

/**
 * The authors' CIFAR-10 CNN: 3->32->32->pool->64->64->pool->128->128->pool, FC 2048->512->N, no
 * BatchNorm (1.34M parameters for 32x32x3 inputs).
 */
function authorsCifarCnn(input: Shape, classes: number, seed: number): tf.Sequential {
  const m = tf.sequential();
  let s = seed;
  [32, 64, 128].forEach((filters, block) => {
    const first = block === 0 ? { inputShape: input } : {};
    m.add(tf.layers.conv2d({ ...first, filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: seeded(s++) }));
    m.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: seeded(s++) }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  });
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 512, activation: 'relu', kernelInitializer: seeded(s++) }));
  m.add(tf.layers.dense({ units: classes, kernelInitializer: seeded(s++) }));
  return m;
}

/** A small residual net with BatchNorm (functional model), for ResNet-style corpus entries. */
function resnetMini(input: Shape, classes: number, seed: number): tf.LayersModel {
  let s = seed;
  const x = tf.input({ shape: input });
  const convBn = (t: tf.SymbolicTensor, filters: number, strides = 1, relu = true) => {
    let h = tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false, kernelInitializer: seeded(s++) }).apply(t) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
    return relu ? (tf.layers.reLU().apply(h) as tf.SymbolicTensor) : h;
  };
  let h = convBn(x, 16);
  for (const [filters, strides] of [[16, 1], [32, 2]] as const) {
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
    case 'mnist-cnn':
      return mnistCnn(input, classes, seed);
    case 'authors-cifar-cnn':
      return authorsCifarCnn(input, classes, seed);
    case 'resnet-mini':
      return resnetMini(input, classes, seed);
  }
}
