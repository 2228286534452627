/**
 * Reading tensors back to JS, the one way the engine does it: asynchronously, since the WebGPU backend
 * cannot read synchronously in Node (dataSync/arraySync throw there), and batched, so that a training
 * step costs one await however many values it reports. A GPU failure recorded meanwhile (lost device,
 * out of memory) is raised here as a GpuDeviceError instead of a hang or a wrong number.
 */
import type * as tf from '@tensorflow/tfjs';
import { gpuFailure, gpuFailureSoon } from './gpu-health.ts';

async function guarded<T>(read: Promise<T>): Promise<T> {
  let value: T;
  try {
    value = await read;
  } catch (err) {
    throw (await gpuFailureSoon()) ?? err;
  }
  const failed = gpuFailure();
  if (failed) throw failed;
  return value;
}

/** The first value of each tensor (scalars: losses, rates), read together; the tensors are disposed. */
export async function takeScalars(...tensors: tf.Tensor[]): Promise<number[]> {
  try {
    const values = await guarded(Promise.all(tensors.map((t) => t.data())));
    return values.map((v) => Number(v[0]));
  } finally {
    for (const t of tensors) t.dispose();
  }
}

/** A tensor's values (flat, row-major), read asynchronously; the tensor stays (a model's variable). */
export async function readData<D extends tf.DataType = 'float32'>(t: tf.Tensor): Promise<tf.DataTypeMap[D]> {
  return guarded(t.data<D>());
}

/** A tensor's values (flat, row-major), read asynchronously; the tensor is disposed. */
export async function takeData<D extends tf.DataType = 'float32'>(t: tf.Tensor): Promise<tf.DataTypeMap[D]> {
  try {
    return await guarded(t.data<D>());
  } finally {
    t.dispose();
  }
}
