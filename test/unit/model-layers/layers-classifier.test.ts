import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { LayersClassifier, loadLayersModelFile } from '../../../src/main/engine/model/layers.ts';

function tinyNet(softmax = false): tf.Sequential {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [8, 8, 1],
      filters: 4,
      kernelSize: 3,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  m.add(tf.layers.batchNormalization());
  m.add(
    tf.layers.conv2d({
      filters: 4,
      kernelSize: 3,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  m.add(tf.layers.flatten());
  m.add(
    tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
  );
  m.add(
    tf.layers.dense({
      units: 3,
      activation: softmax ? 'softmax' : 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }),
    }),
  );
  return m;
}

const x = () => tf.randomUniform<tf.Rank.R4>([5, 8, 8, 1], 0, 1, 'float32', 9);

beforeAll(async () => {
  await initBackend('wasm');
});

describe('LayersClassifier', () => {
  it('predicts logits, and strips a final softmax with a warning', async () => {
    const plain = await LayersClassifier.fromModel(tinyNet(false), 'plain');
    const soft = await LayersClassifier.fromModel(tinyNet(true), 'soft');
    expect(plain.numClasses).toBe(3);
    expect(plain.report.warnings).toEqual([]);
    expect(soft.report.warnings.join()).toMatch(/final softmax .* removed/);
    const input = x();
    const a = plain.predict(input);
    const b = soft.predict(input);
    expect(a.shape).toEqual([5, 3]);
    // Same seeds, so the same logits; a softmax would make rows sum to 1.
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(Math.abs(b.sum(1).dataSync()[0] - 1)).toBeGreaterThan(1e-3);
    tf.dispose([a, b, input]);
    plain.dispose();
    soft.dispose();
  });

  it('freezes the first half of conv/dense layers and the norm layers before the cut', async () => {
    const c = await LayersClassifier.fromModel(tinyNet(), 'net');
    const names = c.weightLayers().map((l) => `${l.kind}`);
    expect(names).toEqual(['conv', 'norm', 'conv', 'dense', 'dense']);
    const plan = c.freeze(0.5);
    expect(plan.frozenCount).toBe(2);
    expect(plan.frozen).toHaveLength(3); // conv, bn, conv
    expect(c.trainableVariables()).toHaveLength(4); // two dense kernels + biases
    c.freeze(0);
    expect(c.trainableVariables()).toHaveLength(10); // BatchNorm's gamma and beta too
    c.dispose();
  });

  it('clones into independent weights and reinitialises deterministically, leaking nothing', async () => {
    const c = await LayersClassifier.fromModel(tinyNet(), 'net');
    const input = x();
    const before = tf.memory().numTensors;
    const copy = await c.clone();
    const v = copy.trainableVariables()[0];
    const zeros = tf.zerosLike(v);
    v.assign(zeros);
    zeros.dispose();
    const y0 = c.predict(input);
    const y1 = copy.predict(input);
    expect(Array.from(y0.dataSync())).not.toEqual(Array.from(y1.dataSync()));
    const r1 = await c.reinitialized(7);
    const r2 = await c.reinitialized(7);
    const r3 = await c.reinitialized(8);
    const w = (m: LayersClassifier) => Array.from(m.trainableVariables()[0].dataSync());
    expect(w(r1)).toEqual(w(r2));
    expect(w(r1)).not.toEqual(w(r3));
    expect(w(r1)).not.toEqual(w(c));
    tf.dispose([y0, y1]);
    for (const m of [copy, r1, r2, r3]) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const inTidy = tf.memory().numTensors;
    tf.tidy(() => {
      c.predict(input).sum();
    });
    expect(tf.memory().numTensors).toBe(inTidy);
    input.dispose();
    c.dispose();
  });

  it('saves and loads model.json + weights, refusing bad input with named errors', async () => {
    const c = await LayersClassifier.fromModel(tinyNet(), 'net');
    const dir = mkdtempSync(join(tmpdir(), 'uma-layers-'));
    await c.saveTo(dir);
    const loaded = await loadLayersModelFile(dir);
    const input = x();
    expect(Array.from(loaded.predict(input).dataSync())).toEqual(Array.from(c.predict(input).dataSync()));
    expect(() => c.predict(tf.zeros<tf.Rank.R4>([1, 9, 8, 1]))).toThrow(/input 9x8x1 does not match the model's 8x8x1/);
    writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(12));
    await expect(loadLayersModelFile(dir)).rejects.toThrow(/weight data holds 12 bytes, the manifest needs/);
    writeFileSync(join(dir, 'model.json'), '{"broken');
    await expect(loadLayersModelFile(dir)).rejects.toThrow(/not valid JSON/);
    await expect(loadLayersModelFile(join(dir, 'nope.json'))).rejects.toThrow(/no such file/);
  });

  it('warns about NaN weights, naming the tensor', async () => {
    const net = tinyNet();
    const k = net.layers[4].getWeights();
    const bad = k[0].arraySync() as number[][];
    bad[0][0] = NaN;
    net.layers[4].setWeights([tf.tensor(bad), k[1]]);
    const c = await LayersClassifier.fromModel(net, 'nan');
    expect(c.report.warnings.join()).toMatch(/non-finite weights .*dense.*\(1 of/);
    c.dispose();
  });
});

describe('LayersClassifier split at the freeze point', () => {
  it('front then back equals predict, and state variables cover running statistics', async () => {
    await initBackend('wasm');
    const c = await LayersClassifier.fromModel(tinyNet(), 'net');
    expect(c.splitAtFreeze()).toBeNull();
    c.freeze(0.5);
    const split = c.splitAtFreeze()!;
    const input = x();
    const whole = c.predict(input);
    const h = split.front(input);
    const parts = split.back(h);
    expect(h.shape).toEqual([5, 64]); // conv, bn, conv, flatten run in front
    const a = whole.dataSync();
    const b = parts.dataSync();
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
    expect(c.stateVariables()).toHaveLength(12); // 10 trainable + BatchNorm moving mean and variance
    tf.dispose([input, whole, h, parts]);
    c.dispose();
  });
});
