/**
 * A model's weights (every state variable, BatchNorm statistics included) in one SharedArrayBuffer, so
 * a model trained on one scan thread (the reference) can be rebuilt, bit for bit, on every other one
 * without copying per task: posting a SharedArrayBuffer shares its memory.
 */
import * as tf from '@tensorflow/tfjs';
import type { Classifier } from '../model/types.ts';
import { readData } from '../backend/read.ts';

export interface SharedState {
  /** Every state variable's values, concatenated in stateVariables() order. */
  values: Float32Array;
  shapes: number[][];
}

export async function exportState(model: Classifier): Promise<SharedState> {
  const vars = model.stateVariables();
  const size = vars.reduce((a, v) => a + v.size, 0);
  const values = new Float32Array(new SharedArrayBuffer(size * Float32Array.BYTES_PER_ELEMENT));
  let offset = 0;
  for (const v of vars) {
    values.set(await readData(v), offset);
    offset += v.size;
  }
  return { values, shapes: vars.map((v) => v.shape) };
}

/** Overwrites `model`'s state with `state`; the model must have the architecture it was exported from. */
export function importState(model: Classifier, state: SharedState): void {
  const vars = model.stateVariables();
  const same =
    vars.length === state.shapes.length && vars.every((v, i) => tf.util.arraysEqual(v.shape, state.shapes[i]));
  if (!same) throw new Error('model state does not match the architecture it is imported into');
  let offset = 0;
  for (const v of vars) {
    tf.tidy(() => v.assign(tf.tensor(state.values.subarray(offset, offset + v.size), v.shape, v.dtype)));
    offset += v.size;
  }
}
