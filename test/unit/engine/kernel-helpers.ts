/** Shared by the WASM kernel tests: seeded inputs, running one kernel on a named backend, comparing. */
import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../../src/main/engine/random.ts';

/** A kernel input as plain values, recreated on whichever backend runs the kernel. */
export interface Values {
  shape: number[];
  data: Float32Array | Int32Array;
  dtype?: 'float32' | 'int32';
}

/**
 * Switches to a backend the test has already initialised, which tfjs does before its promise settles, so
 * the kernels that follow run there without awaiting it; the check proves the switch happened.
 */
export function useBackend(name: string): void {
  void tf.setBackend(name);
  if (tf.getBackend() !== name) throw new Error(`backend ${name} is not initialised: setBackend did not switch`);
}

/** Runs a kernel on the named backend and returns its values (inputs are recreated there). */
export function runOn(
  backend: string,
  kernel: string,
  inputs: Record<string, Values>,
  attrs: object,
): { shape: number[]; data: Float32Array } {
  useBackend(backend);
  return tf.tidy(() => {
    const ins: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ins[k] = tf.tensor(v.data, v.shape, v.dtype ?? 'float32');
    const out = tf.engine().runKernel<tf.Tensor>(kernel, ins, attrs as tf.NamedAttrMap);
    return { shape: out.shape, data: out.dataSync() as Float32Array };
  });
}

export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-12);
}

/** Seeded uniform values in [lo, hi) of the given shape. */
export function snapshot(shape: number[], seed: number, lo = -1, hi = 1): Values & { data: Float32Array } {
  const rand = mulberry32(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = lo + rand() * (hi - lo);
  return { shape, data };
}

/** Runs the kernel on the cpu backend and on wasm with the same inputs and expects the same output. */
export function expectWasmMatchesCpu(
  kernel: string,
  inputs: Record<string, Values>,
  attrs: object,
  tolerance = 1e-4,
): void {
  const want = runOn('cpu', kernel, inputs, attrs);
  const got = runOn('wasm', kernel, inputs, attrs);
  expect(got.shape).toEqual(want.shape);
  expect(maxRelErr(got.data, want.data)).toBeLessThanOrEqual(tolerance);
}
