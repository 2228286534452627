/**
 * Issue 15, defects 3 and 10 (ONNX): absurd pads and input dims are refused from the graph before
 * anything is allocated, so the process stays healthy and the next (valid) model loads; an integer
 * type declared over a Conv bias's float bytes is refused.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UmaError } from '../../../src/shared/errors.ts';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { loadOnnx } from '../../../src/main/engine/model/onnx/index.ts';
import { buildModel, randomFloats, type ModelDef } from './onnx-builder.ts';

const CNN = new Uint8Array(readFileSync(new URL('../../fixtures/onnx/cnn.onnx', import.meta.url)));

beforeAll(async () => {
  await initBackend('wasm');
});

async function loadError(bytes: Uint8Array): Promise<UmaError> {
  try {
    (await loadOnnx(bytes, { name: 'suspect.onnx' })).dispose();
  } catch (err) {
    expect(err).toBeInstanceOf(UmaError);
    return err as UmaError;
  }
  throw new Error('expected the load to fail');
}

/** The valid fixture still loads and predicts finite logits: the refusal left the process healthy. */
async function stillHealthy(): Promise<void> {
  const c = await loadOnnx(CNN, { name: 'cnn.onnx' });
  const logits = tf.tidy(() => Array.from(c.predict(tf.zeros([2, 28, 28, 1])).dataSync()));
  c.dispose();
  expect(logits).toHaveLength(20);
  expect(logits.every(Number.isFinite)).toBe(true);
}

function conv(input: number[], attrs: Record<string, number[]>, bias?: { dataType: number }): ModelDef {
  return {
    input,
    initializers: {
      w: { dims: [3, 2, 3, 3], floats: randomFloats(54, 7) },
      ...(bias && { b: { dims: [3], floats: [0.5, -0.25, 1], ...bias } }),
    },
    nodes: [
      { op: 'Conv', inputs: bias ? ['x', 'w', 'b'] : ['x', 'w'], outputs: ['c'], attrs },
      { op: 'Flatten', inputs: ['c'], outputs: ['y'] },
    ],
  };
}

describe('hostile ONNX geometry', () => {
  it('refuses a Conv pad of 1e5 before allocating, and the next model loads', async () => {
    const err = await loadError(buildModel(conv([1, 2, 4, 4], { pads: [100000, 100000, 100000, 100000] })));
    expect(err.code).toBe('BAD_MODEL');
    expect(err.message).toMatch(/Conv.*implausible padded size/);
    await stillHealthy();
  });

  it('refuses a huge input dim before allocating, and the next model loads', async () => {
    const err = await loadError(buildModel(conv([1, 2, 100000, 100000], { pads: [1, 1, 1, 1] })));
    expect(err.message).toMatch(/implausible input size 100000x100000x2/);
    await stillHealthy();
  });

  it('refuses 2^31 - 1 declared channels before sizing anything by them (found by the fuzzer: it exhausted the heap)', async () => {
    const err = await loadError(buildModel(conv([1, 2 ** 31 - 1, 28, 100000], { pads: [1, 1, 1, 1] })));
    expect(err.code).toBe('BAD_MODEL');
    expect(err.message).toMatch(/implausible input size/);
    await stillHealthy();
  });

  it('refuses a Conv bias declared INT32 over float bytes', async () => {
    const err = await loadError(buildModel(conv([1, 2, 4, 4], { pads: [1, 1, 1, 1] }, { dataType: 6 })));
    expect(err.message).toMatch(/input 2 'b' is int32, but Conv takes float weights there/);
    // The same bias declared FLOAT loads.
    (
      await loadOnnx(buildModel(conv([1, 2, 4, 4], { pads: [1, 1, 1, 1] }, { dataType: 1 })), { name: 'ok.onnx' })
    ).dispose();
  });
});
