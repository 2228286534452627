/**
 * The ONNX Classifier's forward-only path (predictBatch on onnxruntime-node) against its own predict
 * (tfjs) on every PyTorch-exported fixture: logits within 1e-4 of the largest, and the engine falls
 * back to tfjs, saying why, wherever onnxruntime could disagree.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { inferLogits } from '../../../src/main/engine/model/common.ts';
import type { OnnxClassifier } from '../../../src/main/engine/model/onnx/classifier.ts';
import { loadOnnx } from '../../../src/main/engine/model/onnx/index.ts';
import { mulberry32 } from '../../../src/main/engine/random.ts';

const DIR = new URL('../../fixtures/onnx/', import.meta.url);

async function load(name: string): Promise<OnnxClassifier> {
  return (await loadOnnx(new Uint8Array(readFileSync(new URL(`${name}.onnx`, DIR))), { name })) as OnnxClassifier;
}

/** A seeded NHWC batch in [0, 1] of the model's image size. */
function images(c: OnnxClassifier, n: number, seed: number): tf.Tensor4D {
  const { height, width, channels } = c.inputSpec;
  const rand = mulberry32(seed);
  const v = Float32Array.from({ length: n * height * width * channels }, () => rand());
  return tf.tensor4d(v, [n, height, width, channels]);
}

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs(got[i] - want[i]));
    den = Math.max(den, Math.abs(want[i]));
  }
  return num / Math.max(den, 1e-12);
}

async function both(
  c: OnnxClassifier,
  x: tf.Tensor4D,
): Promise<{ fast: Float32Array; slow: Float32Array; shape: number[] }> {
  const fastT = await c.predictBatch(x);
  const slowT = c.predict(x);
  const out = { fast: fastT.dataSync() as Float32Array, slow: slowT.dataSync() as Float32Array, shape: fastT.shape };
  tf.dispose([fastT, slowT]);
  return out;
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe.each(['cnn', 'resnet', 'wrn', 'vit'])('ONNX fixture %s on onnxruntime', (name) => {
  it("gives predict's logits (batch of 7) without leaking tensors", async () => {
    const c = await load(name);
    expect((await c.forwardEngine()).engine).toBe('onnxruntime');
    const x = images(c, 7, 1);
    const before = tf.memory().numTensors;
    const { fast, slow, shape } = await both(c, x);
    expect(tf.memory().numTensors).toBe(before);
    expect(shape).toEqual([7, c.numClasses]);
    expect(relErr(fast, slow)).toBeLessThan(1e-4);
    x.dispose();
    c.dispose();
  });
});

describe('where onnxruntime could disagree, predictBatch is predict', () => {
  it('a graph ending in Softmax (dropped by the importer) stays on tfjs', async () => {
    const c = await load('mlp');
    const engine = await c.forwardEngine();
    expect(engine).toMatchObject({ engine: 'tfjs', reason: expect.stringMatching(/softmax/) });
    const x = images(c, 3, 2);
    const { fast, slow } = await both(c, x);
    expect(Array.from(fast)).toEqual(Array.from(slow));
    x.dispose();
    c.dispose();
  });

  it('after its variables are handed out (and changed), in training mode, and for a copy', async () => {
    const c = await load('cnn');
    const x = images(c, 4, 3);
    c.setTraining(true);
    expect((await c.forwardEngine()).engine).toBe('tfjs');
    c.setTraining(false);
    const copy = await c.clone();
    expect(await (copy as OnnxClassifier).forwardEngine()).toMatchObject({
      engine: 'tfjs',
      reason: expect.stringMatching(/copy/),
    });
    const [w] = c.trainableVariables();
    w.assign(tf.mul(w, 0.5));
    expect((await c.forwardEngine()).engine).toBe('tfjs');
    const { fast, slow } = await both(c, x);
    expect(Array.from(fast)).toEqual(Array.from(slow));
    const logits = await inferLogits(c, x);
    expect(relErr(logits.dataSync(), slow)).toBe(0);
    tf.dispose([x, logits]);
    copy.dispose();
    c.dispose();
  });
});
