/**
 * The Classifier contract on imported ONNX graphs: weight layers in order, freeze, training mode
 * (Dropout), clone, seeded re-initialisation with PyTorch's defaults, dispose, and no tensor leaks.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { OnnxClassifier } from '../../../src/main/engine/model/onnx/classifier.ts';
import { loadOnnx } from '../../../src/main/engine/model/onnx/index.ts';
import type { Classifier } from '../../../src/main/engine/model/types.ts';
import { buildModel, randomFloats } from './onnx-builder.ts';

const bytesOf = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../fixtures/onnx/${name}.onnx`, import.meta.url)));
let resnet: OnnxClassifier;
let x: tf.Tensor4D;

function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

beforeAll(async () => {
  await initBackend('wasm');
  resnet = (await loadOnnx(bytesOf('resnet'), { name: 'resnet' })) as OnnxClassifier;
  x = tf.randomUniform<tf.Rank.R4>([3, 32, 32, 3], 0, 1, 'float32', 42);
});

afterAll(() => {
  resnet.dispose();
  x.dispose();
});

describe('ONNX classifier', () => {
  it('lists weight layers input -> output with kinds, variables and parameter counts', () => {
    const layers = resnet.weightLayers();
    expect(layers.map((l) => `${l.name}:${l.kind}`)).toEqual([
      '/conv1/Conv:conv',
      '/bn1/BatchNormalization:norm',
      '/layer1/conv1/Conv:conv',
      '/layer1/bn1/BatchNormalization:norm',
      '/layer1/conv2/Conv:conv',
      '/layer1/bn2/BatchNormalization:norm',
      '/layer2/conv1/Conv:conv',
      '/layer2/short/short.0/Conv:conv',
      '/layer2/bn1/BatchNormalization:norm',
      '/layer2/short/short.1/BatchNormalization:norm',
      '/layer2/conv2/Conv:conv',
      '/layer2/bn2/BatchNormalization:norm',
      '/fc/Gemm:dense',
    ]);
    // BatchNorm: scale and bias are parameters; running mean/var are state (not trainable, not counted).
    const bn = layers[1];
    expect(bn.variables.map((v) => v.trainable)).toEqual([true, true, false, false]);
    expect(bn.params).toBe(16);
    expect(layers[0].params).toBe(8 * 3 * 3 * 3);
    expect(layers[12].params).toBe(16 * 10 + 10);
    expect(resnet.report.params).toBe(layers.reduce((a, l) => a + l.params, 0));
    expect(resnet.stateVariables()).toHaveLength(layers.reduce((a, l) => a + l.variables.length, 0));
    expect(resnet.report.opHistogram).toMatchObject({ Conv: 6, BatchNormalization: 6, Add: 2, Gemm: 1 });
  });

  it('counts MLP and ViT parameters like PyTorch (decomposed LayerNorm affine, deduplicated initializers)', async () => {
    const mlp = await loadOnnx(bytesOf('mlp'), { name: 'mlp' });
    expect(mlp.report.params).toBe(784 * 32 + 32 + 2 * 32 + 32 * 10 + 10);
    expect(mlp.weightLayers().map((l) => l.kind)).toEqual(['dense', 'norm', 'norm', 'dense']);
    mlp.dispose();
    // ViT: patch conv, class token, position embedding, 2 blocks, final norm and head, as PyTorch counts them.
    const vit = await loadOnnx(bytesOf('vit'), { name: 'vit' });
    expect(vit.report.params).toBe(1568 + 32 + 544 + 2 * (64 + 3168 + 1056 + 64 + 2112 + 2080) + 64 + 330);
    vit.dispose();
  });

  it('freezes the first half of conv/dense layers and the norms before the first trainable one', () => {
    const r = resnet.freeze(0.5); // 7 counted layers -> 3 frozen
    expect(r.frozenCount).toBe(3);
    expect(r.frozen).toEqual([
      '/conv1/Conv',
      '/bn1/BatchNormalization',
      '/layer1/conv1/Conv',
      '/layer1/bn1/BatchNormalization',
      '/layer1/conv2/Conv',
      '/layer1/bn2/BatchNormalization',
    ]);
    expect(r.trainable[0]).toBe('/layer2/conv1/Conv');
    const frozenVars = new Set(
      resnet
        .weightLayers()
        .filter((l) => l.frozen)
        .flatMap((l) => l.variables),
    );
    expect(resnet.trainableVariables().some((v) => frozenVars.has(v))).toBe(false);
    // Optimisers and variableGrads see only the trainable set.
    const { value, grads } = tf.variableGrads(() => tf.sum<tf.Scalar>(resnet.predict(x)));
    expect(Object.keys(grads).sort()).toEqual(
      resnet
        .trainableVariables()
        .map((v) => v.name)
        .sort(),
    );
    tf.dispose([value, grads]);
    expect(resnet.freeze(1).trainable).toEqual([]);
    expect(resnet.trainableVariables()).toEqual([]);
    expect(resnet.freeze(0).frozen).toEqual([]);
    expect(resnet.trainableVariables()).toHaveLength(6 + 2 * 6 + 2); // convs, BN scale+bias, fc weight+bias
    expect(() => resnet.freeze(1.5)).toThrow(/freeze ratio/);
  });

  it('splits at the freeze boundary: back(front(x)) is predict(x), with the same weight gradients', () => {
    resnet.freeze(0);
    expect(resnet.splitAtFreeze()).toBeNull();
    resnet.freeze(0.5);
    const split = resnet.splitAtFreeze()!;
    expect(split).not.toBeNull();
    const before = tf.memory().numTensors;
    const x5 = tf.randomUniform<tf.Rank.R4>([5, 32, 32, 3], 0, 1, 'float32', 3); // a batch size not run before
    const h = split.front(x5);
    expect(h.shape).toEqual([5, 32 / 2, 32 / 2, 8]); // layer1's output after the stride-2 max pool, held NHWC
    const viaSplit = tf.tidy(() => split.back(h).dataSync());
    const whole = tf.tidy(() => resnet.predict(x5).dataSync());
    for (let i = 0; i < whole.length; i++) expect(Math.abs(viaSplit[i] - whole[i])).toBeLessThan(1e-5);
    const vars = resnet.trainableVariables();
    const a = tf.variableGrads(() => tf.sum<tf.Scalar>(split.back(h)), vars);
    const b = tf.variableGrads(() => tf.sum<tf.Scalar>(resnet.predict(x5)), vars);
    for (const v of vars) {
      const [ga, gb] = [a.grads[v.name].dataSync(), b.grads[v.name].dataSync()];
      for (let i = 0; i < ga.length; i++) expect(Math.abs(ga[i] - gb[i])).toBeLessThan(1e-4);
    }
    tf.dispose([a.value, a.grads, b.value, b.grads, h, x5]);
    expect(tf.memory().numTensors).toBe(before);
    resnet.freeze(0);
  });

  it('finds no split where the frozen part and the rest exchange two tensors (a ViT residual stream)', async () => {
    const vit = await loadOnnx(bytesOf('vit'), { name: 'vit' });
    vit.freeze(0.5);
    expect(vit.splitAtFreeze!()).toBeNull();
    vit.dispose();
  });

  it('predict inside tidy leaves no tensors; gradients leave none either', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      resnet.predict(x);
    });
    tf.tidy(() => {
      resnet.predict(tf.slice(x, 0, 1));
    });
    expect(tf.memory().numTensors).toBe(before);
    const { value, grads } = tf.variableGrads(() => tf.sum<tf.Scalar>(resnet.predict(x)));
    tf.dispose([value, grads]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('clones deeply: own variables, same outputs and frozen set; dispose returns every tensor', async () => {
    const before = tf.memory().numTensors;
    resnet.freeze(0.5);
    const copy = await resnet.clone();
    expect(copy.weightLayers().map((l) => l.frozen)).toEqual(resnet.weightLayers().map((l) => l.frozen));
    const a = tf.tidy(() => values(resnet.predict(x)));
    expect(tf.tidy(() => values(copy.predict(x)))).toEqual(a);
    // Changing the copy's weights leaves the original alone.
    for (const v of copy.trainableVariables()) tf.tidy(() => v.assign(tf.zerosLike(v)));
    expect(tf.tidy(() => values(resnet.predict(x)))).toEqual(a);
    expect(tf.tidy(() => values(copy.predict(x)))).not.toEqual(a);
    copy.dispose();
    resnet.freeze(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => copy.predict(x)).toThrow(/disposed/);
  });

  it('re-initialises with PyTorch defaults, deterministically per seed', async () => {
    const before = tf.memory().numTensors;
    const [a, b, c] = await Promise.all([resnet.reinitialized(7), resnet.reinitialized(7), resnet.reinitialized(8)]);
    const state = (m: Classifier) => m.stateVariables().map((v) => Array.from(v.dataSync()));
    expect(state(a)).toEqual(state(b));
    expect(state(a)).not.toEqual(state(c));
    expect(a.stateVariables().map((v) => v.shape)).toEqual(resnet.stateVariables().map((v) => v.shape));
    const [conv1, bn1] = a.weightLayers();
    const w = conv1.variables[0].dataSync();
    const bound = 1 / Math.sqrt(3 * 3 * 3); // fan_in of conv1 = 3 in-channels x 3 x 3
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(Array.from(bn1.variables[0].dataSync())).toEqual(Array(8).fill(1)); // scale
    expect(Array.from(bn1.variables[1].dataSync())).toEqual(Array(8).fill(0)); // bias
    expect(Array.from(bn1.variables[2].dataSync())).toEqual(Array(8).fill(0)); // running mean
    expect(Array.from(bn1.variables[3].dataSync())).toEqual(Array(8).fill(1)); // running var
    expect(tf.tidy(() => values(a.predict(x)))).not.toEqual(tf.tidy(() => values(resnet.predict(x))));
    for (const m of [a, b, c]) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('re-initialises a ViT: LayerNorm 1/0, linear bounds from fan-in, embeddings small', async () => {
    const vit = await loadOnnx(bytesOf('vit'), { name: 'vit' });
    const fresh = await vit.reinitialized(3);
    const byName = new Map(fresh.weightLayers().map((l) => [l.name, l]));
    const ln = byName.get('/ln1/LayerNormalization')!;
    expect(new Set(ln.variables[0].dataSync())).toEqual(new Set([1]));
    expect(new Set(ln.variables[1].dataSync())).toEqual(new Set([0]));
    const fc1 = byName.get('/fc1/MatMul')!; // MatMul weight [32, 64] and its bias Add
    expect(fc1.variables.map((v) => v.shape)).toEqual([[32, 64], [64]]);
    for (const v of fc1.variables)
      expect(Math.max(...v.dataSync().map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(32));
    const pos = byName.get('/Add')!.variables[0].dataSync();
    expect(Math.max(...pos.map(Math.abs))).toBeLessThan(0.2);
    fresh.dispose();
    vit.dispose();
  });

  it('keeps input normalisation (what the graph subtracts and divides by) as file constants, never weights', async () => {
    // PyTorch's (x - mean) / std with registered buffers, exported as Sub and Div over [1, C, 1, 1] initializers.
    const mean = [0.49, 0.48, 0.45];
    const std = [0.25, 0.24, 0.26];
    const def = {
      input: ['batch', 3, 2, 2],
      nodes: [
        { op: 'Sub', inputs: ['x', 'mean'], outputs: ['c'] },
        { op: 'Div', inputs: ['c', 'std'], outputs: ['n'] },
        { op: 'Flatten', inputs: ['n'], outputs: ['f'] },
        { op: 'Gemm', inputs: ['f', 'w', 'b'], outputs: ['y'], attrs: { transB: 1 } },
      ],
      initializers: {
        mean: { dims: [1, 3, 1, 1], floats: mean },
        std: { dims: [1, 3, 1, 1], floats: std },
        w: { dims: [2, 12], floats: randomFloats(24, 5) },
        b: { dims: [2], floats: [0.1, -0.1] },
      },
    };
    const m = await loadOnnx(buildModel(def), { name: 'normalised' });
    expect(m.weightLayers().map((l) => `${l.name}:${l.kind}`)).toEqual(['Gemm_3:dense']);
    expect(m.report.params).toBe(24 + 2);
    const fresh = await m.reinitialized(1);
    fresh.freeze(0);
    expect(fresh.trainableVariables()).toHaveLength(2);
    // The re-initialised copy still normalises with the file's statistics: with its Gemm set to the
    // file's weights it computes exactly what the file computes.
    const [w, b] = fresh.weightLayers()[0].variables;
    const [w0, b0] = m.weightLayers()[0].variables;
    w.assign(w0);
    b.assign(b0);
    const px = tf.randomUniform<tf.Rank.R4>([2, 2, 2, 3], 0, 1, 'float32', 9);
    const manual = tf.tidy(() => {
      const n = px.sub(tf.tensor1d(mean)).div(tf.tensor1d(std)).transpose([0, 3, 1, 2]).reshape([2, 12]);
      return values(
        n.matMul(tf.tensor2d(def.initializers.w.floats, [2, 12]), false, true).add(tf.tensor1d([0.1, -0.1])),
      );
    });
    const got = tf.tidy(() => values(fresh.predict(px)));
    got.forEach((v, i) => expect(v).toBeCloseTo(manual[i], 4));
    px.dispose();
    fresh.dispose();
    m.dispose();
  });

  it('activates Dropout only in training mode, as inverted dropout', async () => {
    const def = {
      input: [1, 1, 8, 8],
      nodes: [
        { op: 'Flatten', inputs: ['x'], outputs: ['f'] },
        { op: 'Dropout', inputs: ['f', 'ratio'], outputs: ['y'] },
      ],
      initializers: { ratio: { dims: [], floats: [0.5] } },
    };
    const m = await loadOnnx(buildModel(def), { name: 'dropout' });
    const ones = tf.ones<tf.Rank.R4>([4, 8, 8, 1]);
    expect(new Set(tf.tidy(() => values(m.predict(ones))))).toEqual(new Set([1]));
    m.setTraining(true);
    const y = tf.tidy(() => values(m.predict(ones)));
    expect(new Set(y)).toEqual(new Set([0, 2]));
    const kept = y.filter((v) => v === 2).length / y.length;
    expect(kept).toBeGreaterThan(0.35);
    expect(kept).toBeLessThan(0.65);
    m.setTraining(false);
    expect(new Set(tf.tidy(() => values(m.predict(ones))))).toEqual(new Set([1]));
    ones.dispose();
    m.dispose();
  });
});
