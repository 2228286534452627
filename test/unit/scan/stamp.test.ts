import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { clipPattern, squash, stamp, stampArray } from '../../../src/main/engine/scan/uma/stamp.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('trigger stamp', () => {
  it('squashes the mask with tanh(8(m - 0.5))/2 + 0.5', () => {
    const s = squash(tf.tensor1d([0, 0.5, 1]), 8).dataSync();
    expect(s[0]).toBeCloseTo((Math.tanh(-4) + 1) / 2, 6);
    expect(s[1]).toBeCloseTo(0.5, 6);
    expect(s[2]).toBeCloseTo((Math.tanh(4) + 1) / 2, 6);
  });

  it('A(x) = (1 - s) x + s p, the mask shared by the channels', () => {
    const x = tf.tensor4d([0.2, 0.4, 0.6, 0.8, 0.1, 0.3], [1, 1, 2, 3]);
    const s = tf.tensor2d([1, 0.25], [1, 2]);
    const p = tf.tensor3d([1, 1, 1, 0, 0, 0], [1, 2, 3]);
    const out = Array.from(stamp(x, s, p).dataSync());
    const want = [1, 1, 1, 0.75 * 0.8, 0.75 * 0.1, 0.75 * 0.3];
    out.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    const arr = stampArray(
      new Float32Array([0.2, 0.4, 0.6, 0.8, 0.1, 0.3]),
      new Float32Array([1, 0.25]),
      new Float32Array([1, 1, 1, 0, 0, 0]),
      3,
    );
    Array.from(arr).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
  });

  it("keeps each pixel's channels within the spread of their mean, inside [0,1]", () => {
    const p = tf.tensor3d([0, 0.5, 1, 1.2, 1.2, 1.2], [1, 2, 3]);
    const out = Array.from(clipPattern(p, 0.1).dataSync());
    [0.4, 0.5, 0.6, 1, 1, 1].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 6));
  });
});
