/**
 * The whole-image transform trigger (bench/transform-trigger.ts): the tensor and array forms agree, the
 * identity leaves images alone, blend is one of its points, and its inversion finds a planted
 * global-brightness backdoor with a small mean change on a tiny seeded model; the size term (mean or RMS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { LayersClassifier } from '../../../src/main/engine/model/layers.ts';
import { mulberry32 } from '../../../src/main/engine/random.ts';
import { ScanContext } from '../../../src/main/engine/scan/context.ts';
import {
  applyTransform,
  edgePad,
  IDENTITY_KERNEL,
  invertTransform,
  sizeTerm,
  transformArray,
  transformEffect,
  type TransformInversionOptions,
  type TransformTrigger,
} from '../../../bench/transform-trigger.ts';
import { uniformDataset } from '../../fixtures/uniform-dataset.ts';

const [H, W, C] = [6, 6, 3];
const K = 2;
let ctx: ScanContext;
let model: LayersClassifier;

function tensorForm(x: Float32Array, t: TransformTrigger): Float32Array {
  return tf.tidy(
    () =>
      applyTransform(
        edgePad(tf.tensor4d(x, [1, H, W, C])),
        tf.tensor1d(t.kernel),
        tf.tensor1d(t.gain),
        tf.tensor1d(t.lift),
        tf.tensor3d(t.delta, [H, W, C]),
      ).dataSync() as Float32Array,
  );
}

beforeAll(async () => {
  await initBackend('wasm');
  // Class K wins only when the image's mean brightness is high (a global backdoor: every pixel counts a little).
  const net = tf.sequential();
  net.add(tf.layers.flatten({ inputShape: [H, W, C] }));
  net.add(tf.layers.dense({ units: 4 }));
  const n = H * W * C;
  const wr = mulberry32(5);
  const kernel = Float32Array.from({ length: n * 4 }, () => (wr() - 0.5) * 0.2);
  for (let i = 0; i < n; i++) kernel[i * 4 + K] = 0.5;
  const bias = Float32Array.from({ length: 4 }, (_, j) => (j === K ? -0.5 * n * 0.65 : 0));
  net.layers[1].setWeights([tf.tensor2d(kernel, [n, 4]), tf.tensor1d(bias)]);
  model = await LayersClassifier.fromModel(net, 'tiny');
  const data = uniformDataset({ count: 120, height: H, width: W, channels: C, seed: 9, scale: 0.5 });
  ctx = new ScanContext(model, data);
});

afterAll(() => {
  ctx.dispose();
  model.dispose();
});

describe('transform trigger', () => {
  const rand = mulberry32(11);
  const image = Float32Array.from({ length: H * W * C }, () => rand());

  it('the identity transform leaves an image unchanged', () => {
    const id: TransformTrigger = {
      kernel: IDENTITY_KERNEL,
      gain: new Float32Array(C).fill(1),
      lift: new Float32Array(C),
      delta: new Float32Array(H * W * C),
    };
    expect(Array.from(tensorForm(image, id))).toEqual(Array.from(image));
    expect(Array.from(transformArray(image, id, H, W, C))).toEqual(Array.from(image));
  });

  it('tensor and array forms agree on an emboss kernel with gain, lift and delta (edge padding, clipping)', () => {
    const t: TransformTrigger = {
      kernel: Float32Array.from([-0.7, -0.7, 0, -0.7, 1, 0.7, 0, 0.7, 0.7]),
      gain: Float32Array.from([0.9, 1.1, 1.2]),
      lift: Float32Array.from([0.05, 0, 0.1]),
      delta: Float32Array.from({ length: H * W * C }, () => (rand() - 0.5) * 0.2),
    };
    const a = tensorForm(image, t);
    const b = transformArray(image, t, H, W, C);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
    expect(a.some((v) => v === 0) || a.some((v) => v === 1)).toBe(true);
  });

  it('blend (1 - a) x + a p is the point K = identity, gain 1 - a, delta a p', () => {
    const p = Float32Array.from({ length: H * W * C }, () => rand());
    const a = 0.15;
    const t: TransformTrigger = {
      kernel: IDENTITY_KERNEL,
      gain: new Float32Array(C).fill(1 - a),
      lift: new Float32Array(C),
      delta: p.map((v) => a * v),
    };
    const out = transformArray(image, t, H, W, C);
    out.forEach((v, i) => expect(v).toBeCloseTo((1 - a) * image[i] + a * p[i], 6));
  });
});

describe('sizeTerm', () => {
  it('is the mean absolute change, or its root mean square, which charges a patch more than a diffuse change', () => {
    const [patch, diffuse] = [tf.tensor1d([0.8, 0, 0, 0]), tf.tensor1d([0.2, -0.2, 0.2, -0.2])];
    const value = (t: tf.Tensor, rms: number) => tf.tidy(() => sizeTerm(t, rms).dataSync()[0]);
    expect(value(patch, 0)).toBeCloseTo(0.2, 6);
    expect(value(diffuse, 0)).toBeCloseTo(0.2, 6);
    expect(value(patch, 1)).toBeCloseTo(0.4, 5);
    expect(value(diffuse, 1)).toBeCloseTo(0.2, 5);
    tf.dispose([patch, diffuse]);
  });

  it('has a finite gradient at zero change (the identity transform) under RMS', () => {
    const g = tf.grad((t: tf.Tensor) => sizeTerm(t, 1))(tf.zeros([4]));
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    g.dispose();
  });
});

describe('invertTransform', () => {
  const options: TransformInversionOptions = {
    steps: 150,
    batch: 16,
    noise: 0,
    rmsSize: 0,
    lr: 0.01,
    weight0: 1,
    growth: 0.2,
    window: 10,
    low: 0.6,
    high: 0.9,
  };
  const predict = (x: tf.Tensor4D) => model.predict(x);

  it('finds the brightness backdoor of the planted class with a mean change well under the full range', async () => {
    const reports: number[] = [];
    const t = await invertTransform(predict, ctx, K, options, 3, (step) => reports.push(step));
    expect(reports).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    const effect = await transformEffect(predict, ctx, K, t, ctx.others(K));
    const before = await transformEffect(
      predict,
      ctx,
      K,
      {
        kernel: IDENTITY_KERNEL,
        gain: new Float32Array(C).fill(1),
        lift: new Float32Array(C),
        delta: new Float32Array(H * W * C),
      },
      ctx.others(K),
    );
    expect(before.asr).toBeLessThan(0.2);
    expect(before.change).toBe(0);
    expect(effect.asr).toBeGreaterThan(0.6);
    // The samples' mean is 0.25; the class needs about 0.65 on average: a change of about 0.4 suffices.
    expect(effect.change).toBeGreaterThan(0.05);
    expect(effect.change).toBeLessThan(0.6);
  });

  it('repeats bit for bit from the same seed', async () => {
    const a = await invertTransform(predict, ctx, K, { ...options, steps: 15 }, 4, () => undefined);
    const b = await invertTransform(predict, ctx, K, { ...options, steps: 15 }, 4, () => undefined);
    expect([Array.from(a.delta), Array.from(a.kernel), a.asr, a.change]).toEqual([
      Array.from(b.delta),
      Array.from(b.kernel),
      b.asr,
      b.change,
    ]);
  });
});
