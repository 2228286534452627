/**
 * The five PyTorch-exported fixtures (scripts/make-fixtures.py) against their oracles: PyTorch's
 * logits, input gradient and two weight gradients, and onnxruntime-node's logits.
 * Tolerances: logits within 1e-4 absolute (every fixture's logits are below 1 in magnitude, so this is
 * also relative to the max logit); gradients within 1e-3 of the largest reference magnitude.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { OnnxClassifier } from '../../../src/main/engine/model/onnx/classifier.ts';
import { loadOnnx } from '../../../src/main/engine/model/onnx/index.ts';

const DIR = new URL('../../fixtures/onnx/', import.meta.url);

interface Ref {
  inputShape: [number, number, number, number];
  input: number[];
  logits: number[];
  classes: number;
  lossWeights: number[];
  gradInput: number[];
  gradWeights: Record<string, { shape: number[]; data: number[] }>;
  trainLogits?: number[];
  trainGradInput?: number[];
  trainBn?: { name: string; runningMean: number[]; runningVar: number[] };
}

export function fixture(name: string): { bytes: Uint8Array; ref: Ref } {
  return {
    bytes: new Uint8Array(readFileSync(new URL(`${name}.onnx`, DIR))),
    ref: JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as Ref,
  };
}

/** The reference NCHW batch as the NHWC tensor predict takes. */
export function nhwcInput(ref: Ref): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(ref.input, ref.inputShape), [0, 2, 3, 1]));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  return maxAbsDiff(got, want) / Math.max(scale, 1e-12);
}

const NAMES = ['cnn', 'resnet', 'wrn', 'vit', 'mlp'];

beforeAll(async () => {
  await initBackend('wasm');
});

describe.each(NAMES)('ONNX fixture %s', (name) => {
  it('matches PyTorch and onnxruntime logits, and PyTorch gradients', async () => {
    const { bytes, ref } = fixture(name);
    const c = (await loadOnnx(bytes, { name })) as OnnxClassifier;
    expect(c.numClasses).toBe(ref.classes);
    expect(c.inputSpec.layout).toBe('NCHW');
    expect([c.inputSpec.channels, c.inputSpec.height, c.inputSpec.width]).toEqual(ref.inputShape.slice(1));
    const x = nhwcInput(ref);
    const logits = tf.tidy(() => c.predict(x).dataSync());
    expect(maxAbsDiff(logits, ref.logits)).toBeLessThan(1e-4);

    const session = await ort.InferenceSession.create(bytes);
    const result = await session.run({
      [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(ref.input), ref.inputShape),
    });
    const ortOut = result[session.outputNames[0]].data as Float32Array;
    // The MLP's graph ends in Softmax, which the importer drops: compare probabilities there.
    const ours =
      name === 'mlp'
        ? tf.tidy(() => tf.softmax(tf.tensor2d(logits, [ref.inputShape[0], ref.classes])).dataSync())
        : logits;
    expect(maxAbsDiff(ours, ortOut)).toBeLessThan(1e-4);
    await session.release();

    const lossW = tf.tensor2d(ref.lossWeights, [ref.inputShape[0], ref.classes]);
    const loss = (xx: tf.Tensor4D) => tf.sum<tf.Scalar>(tf.mul(c.predict(xx), lossW));
    const gx = tf.tidy(() => tf.transpose(tf.grad((xx) => loss(xx as tf.Tensor4D))(x), [0, 3, 1, 2]).dataSync());
    expect(relErr(gx, ref.gradInput)).toBeLessThan(1e-3);

    const names = Object.keys(ref.gradWeights);
    const vars = names.map((n) => c.variable(n)!.variable);
    const { value, grads } = tf.variableGrads(() => loss(x), vars);
    for (const [i, n] of names.entries()) {
      const g = tf.tidy(() => c.toOnnxLayout(n, grads[vars[i].name]));
      expect(g.shape).toEqual(ref.gradWeights[n].shape);
      expect(relErr(g.dataSync(), ref.gradWeights[n].data), n).toBeLessThan(1e-3);
      g.dispose();
    }
    tf.dispose([value, grads, x, lossW]);
    c.dispose();
  });
});

describe('ONNX import specifics', () => {
  it('adapts a Reshape that baked in the export batch (cnn was exported with batch 4) to batch 1', async () => {
    const { bytes, ref } = fixture('cnn');
    const c = await loadOnnx(bytes, { name: 'cnn' });
    expect(c.report.warnings.join('\n')).toMatch(/fixed batch size of 4/);
    const one = tf.tidy(() => c.predict(tf.slice(nhwcInput(ref), 0, 1)).dataSync());
    expect(maxAbsDiff(one, ref.logits.slice(0, ref.classes))).toBeLessThan(1e-4);
    c.dispose();
  });

  it('drops a final Softmax and says so', async () => {
    const c = await loadOnnx(fixture('mlp').bytes, { name: 'mlp' });
    expect(c.report.warnings.join('\n')).toMatch(/ends in Softmax .* dropped so predict returns logits/);
    c.dispose();
  });

  it('applies the input spec normalisation inside predict', async () => {
    const { bytes, ref } = fixture('resnet');
    const mean = [0.4, 0.5, 0.6];
    const std = [0.2, 0.25, 0.3];
    const c = await loadOnnx(bytes, { name: 'resnet', inputSpec: { mean, std } });
    // The model sees (x' - mean) / std; feeding x' = x * std + mean must reproduce the reference.
    const got = tf.tidy(() => c.predict(tf.add<tf.Tensor4D>(tf.mul(nhwcInput(ref), std), mean)).dataSync());
    expect(maxAbsDiff(got, ref.logits)).toBeLessThan(1e-4);
    expect(c.report.warnings.join('\n')).not.toMatch(/no input normalisation/);
    c.dispose();
  });

  it('training mode BatchNorm uses batch statistics (gradient included) and updates the running ones like PyTorch', async () => {
    const { bytes, ref } = fixture('resnet');
    const c = (await loadOnnx(bytes, { name: 'resnet' })) as OnnxClassifier;
    const frozenCopy = await c.clone();
    const x = nhwcInput(ref);
    c.setTraining(true);
    const train = tf.tidy(() => c.predict(x).dataSync());
    expect(maxAbsDiff(train, ref.trainLogits!)).toBeLessThan(1e-4);
    const bn = ref.trainBn!;
    expect(maxAbsDiff(c.variable(`${bn.name}.running_mean`)!.variable.dataSync(), bn.runningMean)).toBeLessThan(1e-5);
    expect(maxAbsDiff(c.variable(`${bn.name}.running_var`)!.variable.dataSync(), bn.runningVar)).toBeLessThan(1e-5);
    // The gradient flows through the batch statistics, as in PyTorch's train mode.
    const lossW = tf.tensor2d(ref.lossWeights, [ref.inputShape[0], ref.classes]);
    const g = tf.tidy(() =>
      tf.transpose(tf.grad((xx) => tf.sum(tf.mul(c.predict(xx as tf.Tensor4D), lossW)))(x), [0, 3, 1, 2]).dataSync(),
    );
    expect(relErr(g, ref.trainGradInput!)).toBeLessThan(1e-3);
    lossW.dispose();
    // Back in inference mode the updated statistics change the logits; the clone kept the old ones.
    c.setTraining(false);
    const after = tf.tidy(() => c.predict(x).dataSync());
    expect(maxAbsDiff(after, ref.logits)).toBeGreaterThan(1e-3);
    const copy = tf.tidy(() => frozenCopy.predict(x).dataSync());
    expect(maxAbsDiff(copy, ref.logits)).toBeLessThan(1e-4);
    tf.dispose(x);
    c.dispose();
    frozenCopy.dispose();
  });

  it('computes the dilated-conv gradient on the cpu backend too (zero-dilated filter path)', async () => {
    const { bytes, ref } = fixture('cnn');
    await tf.setBackend('cpu');
    try {
      const c = (await loadOnnx(bytes, { name: 'cnn' })) as OnnxClassifier;
      const lossW = tf.tensor2d(ref.lossWeights, [ref.inputShape[0], ref.classes]);
      const x = nhwcInput(ref);
      const v = c.variable('conv1.weight')!.variable;
      const { value, grads } = tf.variableGrads(() => tf.sum<tf.Scalar>(tf.mul(c.predict(x), lossW)), [v]);
      const g = tf.tidy(() => c.toOnnxLayout('conv1.weight', grads[v.name]).dataSync());
      expect(relErr(g, ref.gradWeights['conv1.weight'].data)).toBeLessThan(1e-3);
      tf.dispose([value, grads, x, lossW]);
      c.dispose();
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
