import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { LayersClassifier } from '../../../src/main/engine/model/layers.ts';
import { exportState, importState } from '../../../src/main/engine/scan/model-state.ts';
import { transferSamples } from '../../../src/main/engine/scan/tasks.ts';

function tinyNet(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 3 }));
  return m;
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('the reference model shared between scan threads', () => {
  it('rebuilds a trained model bit for bit from its exported state, BatchNorm statistics included', async () => {
    const trained = await LayersClassifier.fromModel(tinyNet(), 'ref');
    // stand-in for training: every state variable (moving mean and variance too) gets distinct values
    trained.stateVariables().forEach((v, i) => v.assign(tf.randomNormal(v.shape, 0, 1, 'float32', 10 + i)));
    const state = await exportState(trained);
    expect(state.values.buffer).toBeInstanceOf(SharedArrayBuffer);
    const rebuilt = await trained.reinitialized(7);
    const x = tf.randomUniform<tf.Rank.R4>([4, 8, 8, 1], 0, 1, 'float32', 3);
    expect(Array.from(rebuilt.predict(x).dataSync())).not.toEqual(Array.from(trained.predict(x).dataSync()));
    importState(rebuilt, state);
    expect(rebuilt.stateVariables().map((v) => Array.from(v.dataSync()))).toEqual(
      trained.stateVariables().map((v) => Array.from(v.dataSync())),
    );
    expect(Array.from(rebuilt.predict(x).dataSync())).toEqual(Array.from(trained.predict(x).dataSync()));
    tf.dispose(x);
    trained.dispose();
    rebuilt.dispose();
  });

  it('refuses a state of another architecture', async () => {
    const a = await LayersClassifier.fromModel(tinyNet(), 'a');
    const state = await exportState(a);
    const other = tf.sequential();
    other.add(tf.layers.flatten({ inputShape: [8, 8, 1] }));
    other.add(tf.layers.dense({ units: 3 }));
    const b = await LayersClassifier.fromModel(other, 'b');
    expect(() => importState(b, state)).toThrow(/does not match/);
    a.dispose();
    b.dispose();
  });
});

describe('transfer test samples', () => {
  const others = Array.from({ length: 900 }, (_, i) => i * 2);

  it('are every other-class sample up to the limit, and 0 means no limit', () => {
    expect(transferSamples(others, 0, 1)).toEqual(others);
    expect(transferSamples(others, 900, 1)).toEqual(others);
  });

  it('are a seeded subsample without repeats beyond the limit, the same for the same seed', () => {
    const a = transferSamples(others, 100, 1);
    expect(a).toHaveLength(100);
    expect(new Set(a).size).toBe(100);
    expect(a.every((i) => others.includes(i))).toBe(true);
    expect(transferSamples(others, 100, 1)).toEqual(a);
    expect(transferSamples(others, 100, 2)).not.toEqual(a);
  });
});
