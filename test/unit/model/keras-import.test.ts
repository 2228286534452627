/**
 * The Keras H5 importer on small files this test writes itself in Keras 2's layout (keras-writer.ts):
 * each supported layer class, Sequential and branching Functional models, weights-only files with an
 * architecture, and the named errors. Outputs are checked against the same network built directly with
 * TF.js Layers' API (same weights, seeded), or computed by hand where TF.js has no such layer.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UmaError } from '../../../src/shared/errors.ts';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { loadKerasFile } from '../../../src/main/engine/model/keras/index.ts';
import { detectModelFormat, loadModelFile, loadModelSource } from '../../../src/main/engine/model/load.ts';
import { mulberry32 } from '../../../src/main/engine/random.ts';
import type { Classifier } from '../../../src/main/engine/model/types.ts';
import { kerasWeightsOf, writeKerasH5, type KerasWeight } from '../../fixtures/keras/keras-writer.ts';

let dir: string;

beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'uma-keras-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Seeded non-trivial values for every weight (variances positive), so BatchNorm statistics matter. */
function randomiseWeights(model: tf.LayersModel, seed: number): void {
  const rand = mulberry32(seed);
  for (const w of model.weights) {
    const positive = /variance|gamma/.test(w.originalName ?? w.name);
    const v = Float32Array.from({ length: w.shape.reduce((a: number, b) => a * (b ?? 1), 1) }, () =>
      positive ? 0.5 + rand() : rand() - 0.5,
    );
    w.write(tf.tensor(v, w.shape as number[]));
  }
}

/** A Keras 2.8 layer entry of a Functional config. */
function node(
  cls: string,
  name: string,
  config: Record<string, unknown>,
  inputs: string[] = [],
): Record<string, unknown> {
  return {
    class_name: cls,
    name,
    config: { name, trainable: true, dtype: 'float32', ...config },
    inbound_nodes: inputs.length ? [inputs.map((i) => [i, 0, 0, {}])] : [],
  };
}

const input = (name: string, shape: number[]) =>
  node('InputLayer', name, { batch_input_shape: [null, ...shape], sparse: false, ragged: false });

function sample(shape: number[], seed: number): tf.Tensor4D {
  return tf.randomUniform<tf.Rank.R4>([3, ...shape] as [number, number, number, number], 0, 1, 'float32', seed);
}

function close(a: tf.Tensor, b: tf.Tensor, tol = 1e-4): void {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  expect(d).toBeLessThan(tol);
}

// Sequential, Keras 2.8 style (an InputLayer first): padding, strided/dilated convolutions, BatchNorm
// with its own epsilon, LeakyReLU, ELU, both poolings, Flatten, Dropout, a softmax Dense head.
const SEQ_SHAPE = [12, 12, 3];
const SEQ_CONFIG = {
  class_name: 'Sequential',
  config: {
    name: 'seq',
    layers: [
      {
        class_name: 'InputLayer',
        config: { batch_input_shape: [null, ...SEQ_SHAPE], dtype: 'float32', sparse: false, ragged: false, name: 'in' },
      },
      {
        class_name: 'ZeroPadding2D',
        config: {
          name: 'pad',
          padding: [
            [1, 1],
            [2, 0],
          ],
          data_format: 'channels_last',
        },
      },
      {
        class_name: 'Conv2D',
        config: {
          name: 'c1',
          filters: 4,
          kernel_size: [3, 3],
          strides: [2, 2],
          padding: 'valid',
          data_format: 'channels_last',
          dilation_rate: [1, 1],
          groups: 1,
          activation: 'relu',
          use_bias: true,
        },
      },
      {
        class_name: 'BatchNormalization',
        config: { name: 'bn', axis: [3], momentum: 0.99, epsilon: 0.01, center: true, scale: true },
      },
      { class_name: 'LeakyReLU', config: { name: 'leaky', alpha: 0.2 } },
      {
        class_name: 'Conv2D',
        config: {
          name: 'c2',
          filters: 5,
          kernel_size: [3, 3],
          strides: [1, 1],
          padding: 'same',
          data_format: 'channels_last',
          dilation_rate: [2, 2],
          groups: 1,
          activation: 'elu',
          use_bias: true,
        },
      },
      { class_name: 'ELU', config: { name: 'elu', alpha: 1.0 } },
      {
        class_name: 'MaxPooling2D',
        config: { name: 'maxp', pool_size: [2, 2], strides: [1, 1], padding: 'same', data_format: 'channels_last' },
      },
      {
        class_name: 'AveragePooling2D',
        config: { name: 'avgp', pool_size: [2, 2], strides: [2, 2], padding: 'valid', data_format: 'channels_last' },
      },
      { class_name: 'Flatten', config: { name: 'flat', data_format: 'channels_last' } },
      { class_name: 'Dropout', config: { name: 'drop', rate: 0.3, noise_shape: null, seed: null } },
      { class_name: 'Dense', config: { name: 'head', units: 6, activation: 'softmax', use_bias: true } },
    ],
  },
};

/** The Sequential config without the dilated convolution (TF.js has no gradient for dilated conv2d). */
const SEQ_UNDILATED = structuredClone(SEQ_CONFIG);
SEQ_UNDILATED.config.layers[5].config.dilation_rate = [1, 1];

function seqReference(dilation = 2): tf.Sequential {
  const m = tf.sequential({ name: 'seq' });
  m.add(
    tf.layers.zeroPadding2d({
      name: 'pad',
      inputShape: SEQ_SHAPE,
      padding: [
        [1, 1],
        [2, 0],
      ],
    }),
  );
  m.add(tf.layers.conv2d({ name: 'c1', filters: 4, kernelSize: 3, strides: 2, activation: 'relu' }));
  m.add(tf.layers.batchNormalization({ name: 'bn', epsilon: 0.01 }));
  m.add(tf.layers.leakyReLU({ name: 'leaky', alpha: 0.2 }));
  m.add(
    tf.layers.conv2d({
      name: 'c2',
      filters: 5,
      kernelSize: 3,
      padding: 'same',
      dilationRate: dilation,
      activation: 'elu',
    }),
  );
  m.add(tf.layers.elu({ name: 'elu' }));
  m.add(tf.layers.maxPooling2d({ name: 'maxp', poolSize: 2, strides: 1, padding: 'same' }));
  m.add(tf.layers.averagePooling2d({ name: 'avgp', poolSize: 2, strides: 2 }));
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(tf.layers.dropout({ name: 'drop', rate: 0.3 }));
  m.add(tf.layers.dense({ name: 'head', units: 6 }));
  randomiseWeights(m, 11);
  return m;
}

/** Keras lists the InputLayer among a Sequential model's layer_names too. */
const seqLayers = (ref: tf.LayersModel) => [{ name: 'in', weights: [] as KerasWeight[] }, ...kerasWeightsOf(ref)];

describe('Keras H5 import', () => {
  it('loads a Sequential model: every layer matches TF.js Layers, the softmax head becomes logits', async () => {
    const ref = seqReference();
    const path = join(dir, 'seq.h5');
    await writeKerasH5(path, { modelConfig: SEQ_CONFIG, layers: seqLayers(ref) });
    const k = await loadModelFile(path);
    expect(k.format).toBe('keras');
    expect(k.numClasses).toBe(6);
    expect(k.report.warnings.join()).toMatch(/final softmax of layer 'head' removed/);
    expect(k.report.warnings.join()).toMatch(/layer 'c2' is a dilated convolution: .* no gradient/);
    expect(k.report.layers?.map((l) => l.className)).toEqual(ref.layers.map((l) => l.getClassName()));
    const x = sample(SEQ_SHAPE, 1);
    const want = ref.predict(x) as tf.Tensor;
    const got = k.predict(x);
    close(got, want);
    // A worker thread rebuilds it from the converted source.
    const copy = await loadModelSource(k.source, k.inputSpec);
    const again = copy.predict(x);
    close(again, want);
    tf.dispose([x, want, got, again]);
    copy.dispose();
    k.dispose();
    ref.dispose();
  });

  it('is differentiable and splits at the frozen front', async () => {
    const ref = seqReference(1);
    const path = join(dir, 'seq-split.h5');
    await writeKerasH5(path, { modelConfig: SEQ_UNDILATED, layers: seqLayers(ref) });
    const k = await loadModelFile(path);
    const x = sample(SEQ_SHAPE, 2);
    const g = tf.grad((t: tf.Tensor) => tf.sum(k.predict(t as tf.Tensor4D)))(x);
    expect(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0])).toBeGreaterThan(0);
    const plan = k.freeze(0.5);
    expect(plan.frozen).toEqual(['c1', 'bn']);
    const split = k.splitAtFreeze?.();
    expect(split).toBeTruthy();
    const whole = k.predict(x);
    const parts = tf.tidy(() => split!.back(split!.front(x)));
    close(parts, whole);
    tf.dispose([x, g, whole, parts]);
    k.dispose();
    ref.dispose();
  });

  it('loads a branching Functional model: Add, Concatenate, ReLU(max), Activation, both global poolings', async () => {
    const inp = tf.input({ shape: [8, 8, 2], name: 'img' });
    const c1 = tf.layers.conv2d({ name: 'c1', filters: 3, kernelSize: 1 }).apply(inp) as tf.SymbolicTensor;
    const c2 = tf.layers
      .conv2d({ name: 'c2', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' })
      .apply(inp) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([c1, c2]) as tf.SymbolicTensor;
    const r6 = tf.layers.reLU({ name: 'r6', maxValue: 0.5 }).apply(sum) as tf.SymbolicTensor;
    const cat = tf.layers.concatenate({ name: 'cat', axis: -1 }).apply([r6, c1]) as tf.SymbolicTensor;
    const th = tf.layers.activation({ name: 'th', activation: 'tanh' }).apply(cat) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(th) as tf.SymbolicTensor;
    const gmp = tf.layers.globalMaxPooling2d({ name: 'gmp' }).apply(th) as tf.SymbolicTensor;
    const both = tf.layers.concatenate({ name: 'both' }).apply([gap, gmp]) as tf.SymbolicTensor;
    const logits = tf.layers.dense({ name: 'dense', units: 4 }).apply(both) as tf.SymbolicTensor;
    const ref = tf.model({ inputs: inp, outputs: logits });
    randomiseWeights(ref, 12);
    const config = {
      class_name: 'Functional',
      config: {
        name: 'branches',
        layers: [
          input('img', [8, 8, 2]),
          node(
            'Conv2D',
            'c1',
            {
              filters: 3,
              kernel_size: [1, 1],
              strides: [1, 1],
              padding: 'valid',
              activation: 'linear',
              use_bias: true,
            },
            ['img'],
          ),
          node(
            'Conv2D',
            'c2',
            { filters: 3, kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu', use_bias: true },
            ['img'],
          ),
          node('Add', 'sum', {}, ['c1', 'c2']),
          node('ReLU', 'r6', { max_value: 0.5, negative_slope: 0.0, threshold: 0.0 }, ['sum']),
          node('Concatenate', 'cat', { axis: -1 }, ['r6', 'c1']),
          node('Activation', 'th', { activation: 'tanh' }, ['cat']),
          node('GlobalAveragePooling2D', 'gap', { data_format: 'channels_last', keepdims: false }, ['th']),
          node('GlobalMaxPooling2D', 'gmp', { data_format: 'channels_last', keepdims: false }, ['th']),
          node('Concatenate', 'both', { axis: -1 }, ['gap', 'gmp']),
          node('Dense', 'dense', { units: 4, activation: 'linear', use_bias: true }, ['both']),
          node('Activation', 'probs', { activation: 'softmax' }, ['dense']),
        ],
        input_layers: [['img', 0, 0]],
        output_layers: [['probs', 0, 0]],
      },
    };
    const path = join(dir, 'branches.hdf5');
    await writeKerasH5(path, { modelConfig: config, layers: [...kerasWeightsOf(ref), { name: 'probs', weights: [] }] });
    const k = await loadModelFile(path);
    expect(k.report.warnings.join()).toMatch(/final softmax of layer 'probs' removed/);
    const x = sample([8, 8, 2], 3);
    const want = ref.predict(x) as tf.Tensor;
    const got = k.predict(x);
    close(got, want);
    tf.dispose([x, want, got]);
    k.dispose();
    ref.dispose();
  });

  it('applies Rescaling, an adapted Normalization and Reshape as Keras computes them', async () => {
    const mean = Float32Array.from([0.1, -0.2, 0.3]);
    const variance = Float32Array.from([0.25, 4, 1e-16]);
    const rand = mulberry32(13);
    const kernel = Float32Array.from({ length: 48 * 2 }, () => rand() - 0.5);
    const bias = Float32Array.from([0.05, -0.05]);
    const config = {
      class_name: 'Sequential',
      config: {
        name: 'pre',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 4, 4, 3], dtype: 'float32', name: 'in' } },
          { class_name: 'Rescaling', config: { name: 'scale', scale: 2, offset: -1 } },
          { class_name: 'Normalization', config: { name: 'norm', axis: [-1], mean: null, variance: null } },
          { class_name: 'Reshape', config: { name: 'rows', target_shape: [16, 3] } },
          { class_name: 'Flatten', config: { name: 'flat' } },
          { class_name: 'Dense', config: { name: 'out', units: 2, activation: 'linear', use_bias: true } },
        ],
      },
    };
    const path = join(dir, 'pre.h5');
    await writeKerasH5(path, {
      modelConfig: config,
      layers: [
        { name: 'in', weights: [] },
        { name: 'scale', weights: [] },
        {
          name: 'norm',
          weights: [
            { name: 'mean', values: mean, shape: [3] },
            { name: 'variance', values: variance, shape: [3] },
            { name: 'count', values: BigInt64Array.of(100n), shape: [] },
          ],
        },
        { name: 'rows', weights: [] },
        { name: 'flat', weights: [] },
        {
          name: 'out',
          weights: [
            { name: 'kernel', values: kernel, shape: [48, 2] },
            { name: 'bias', values: bias, shape: [2] },
          ],
        },
      ],
    });
    const k = await loadModelFile(path);
    const x = sample([4, 4, 3], 4);
    // By hand: (2x - 1 - mean) / max(sqrt(variance), 1e-7), flattened, times the kernel, plus the bias.
    const want = tf.tidy(() => {
      const z = tf.div(
        tf.sub(tf.sub(tf.mul(x, 2), 1), tf.tensor1d(mean)),
        tf.maximum(tf.sqrt(tf.tensor1d(variance)), 1e-7),
      );
      return tf.add(tf.matMul(tf.reshape(z, [3, 48]), tf.tensor2d(kernel, [48, 2])), tf.tensor1d(bias));
    });
    const got = k.predict(x);
    close(tf.div(got, tf.add(tf.abs(want), 1)), tf.div(want, tf.add(tf.abs(want), 1)));
    // A fresh model (the clean reference) keeps the normalisation statistics: they are the input convention.
    const fresh = await k.reinitialized(7);
    const stats = fresh.stateVariables().filter((v) => v.shape.length === 1 && v.shape[0] === 3);
    expect(stats.map((v) => Array.from(v.dataSync()))).toEqual([Array.from(mean), Array.from(variance)]);
    tf.dispose([x, want, got]);
    fresh.dispose();
    k.dispose();
  });

  it('loads weights-only files with a Keras JSON or TF.js model.json architecture, and asks for one without', async () => {
    const ref = seqReference();
    const path = join(dir, 'weights-only.h5');
    await writeKerasH5(path, { layers: seqLayers(ref), weightsOnly: true });
    const kerasJson = join(dir, 'arch.json');
    writeFileSync(kerasJson, JSON.stringify({ ...SEQ_CONFIG, keras_version: '2.8.0', backend: 'tensorflow' }));
    const tfjsJson = join(dir, 'model.json');
    writeFileSync(
      tfjsJson,
      JSON.stringify({
        format: 'layers-model',
        modelTopology: { keras_version: '2.8.0', model_config: SEQ_CONFIG },
        weightsManifest: [],
      }),
    );
    const x = sample(SEQ_SHAPE, 5);
    const want = ref.predict(x) as tf.Tensor;
    for (const architecture of [kerasJson, tfjsJson]) {
      const k = await loadModelFile(path, { architecture });
      const got = k.predict(x);
      close(got, want);
      tf.dispose(got);
      k.dispose();
    }
    await expect(loadModelFile(path)).rejects.toThrow(/weights-only file .* --architecture/);
    tf.dispose([x, want]);
    ref.dispose();
  });

  it('finds HDF5 by its signature whatever the extension', async () => {
    const ref = seqReference();
    const path = join(dir, 'sig.h5');
    await writeKerasH5(path, { modelConfig: SEQ_CONFIG, layers: seqLayers(ref) });
    const renamed = join(dir, 'suspect.model');
    copyFileSync(path, renamed);
    expect(detectModelFormat(renamed)).toBe('keras');
    ref.dispose();
  });
});

describe('Keras H5 import refuses bad files by name', () => {
  async function failure(p: Promise<Classifier>): Promise<UmaError> {
    try {
      (await p).dispose();
    } catch (err) {
      return err as UmaError;
    }
    throw new Error('expected a refusal');
  }

  it('names an unsupported layer with its class', async () => {
    const config = structuredClone(SEQ_CONFIG);
    config.config.layers.splice(10, 0, { class_name: 'LSTM', config: { name: 'memory' } } as never);
    const path = join(dir, 'lstm.h5');
    await writeKerasH5(path, { modelConfig: config, layers: [] });
    const e = await failure(loadKerasFile(path));
    expect(e.code).toBe('UNSUPPORTED_MODEL');
    expect(e.message).toMatch(/Keras layer 'memory' \(LSTM\): this layer class is not supported/);
    const elu = structuredClone(SEQ_CONFIG);
    elu.config.layers[6].config = { name: 'elu', alpha: 0.7 };
    await writeKerasH5(path, { modelConfig: elu, layers: [] });
    expect((await failure(loadKerasFile(path))).message).toMatch(
      /Keras layer 'elu' \(ELU\): ELU with alpha 0.7 is not supported/,
    );
  });

  it('names corrupt HDF5, a weight of the wrong shape, and missing weights', async () => {
    const junk = join(dir, 'junk.h5');
    writeFileSync(
      junk,
      Buffer.concat([Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(300, 7)]),
    );
    const corrupt = await failure(loadModelFile(junk));
    expect(corrupt.code).toBe('BAD_MODEL');
    expect(corrupt.message).toMatch(/corrupt or unreadable HDF5 file/);

    const ref = seqReference();
    const layers = seqLayers(ref);
    const c1 = layers.find((l) => l.name === 'c1')!;
    c1.weights[0] = { ...c1.weights[0], shape: [3, 3, 4, 3] };
    const wrong = join(dir, 'wrong.h5');
    await writeKerasH5(wrong, { modelConfig: SEQ_CONFIG, layers });
    const shape = await failure(loadKerasFile(wrong));
    expect(shape.code).toBe('BAD_MODEL');
    expect(shape.message).toMatch(/c1\/kernel:0 is \[3, 3, 4, 3\], the layer needs \[3, 3, 3, 4\]/);

    const missing = join(dir, 'missing.h5');
    await writeKerasH5(missing, { modelConfig: SEQ_CONFIG, layers: seqLayers(ref).filter((l) => l.name !== 'bn') });
    expect((await failure(loadKerasFile(missing))).message).toMatch(/no weights for layer 'bn' \(BatchNormalization\)/);
    ref.dispose();
  });
});
