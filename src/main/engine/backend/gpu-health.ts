/**
 * The GPU device's health as the WebGPU backend last saw it. Dawn reports a lost device and an
 * out-of-memory buffer asynchronously (a promise, an event), far from the engine code that is
 * computing; they are recorded here and raised as a GpuDeviceError at the engine's next read.
 */
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../../../shared/errors.ts';

export type GpuFailureKind = 'device-lost' | 'out-of-memory' | 'gpu-error';

/**
 * The GPU failed under a running computation. Code BACKEND: the scan stops, its finished classes are
 * kept, and it can be resumed on another backend (`--backend wasm`).
 */
export class GpuDeviceError extends UmaError {
  constructor(
    readonly kind: GpuFailureKind,
    message: string,
  ) {
    super('BACKEND', `${message}; finished classes are kept: resume the scan with another backend (--backend wasm)`, {
      kind,
    });
    this.name = 'GpuDeviceError';
  }
}

let failure: { kind: GpuFailureKind; message: string } | null = null;

export function recordGpuFailure(kind: GpuFailureKind, message: string): void {
  // The first failure is the cause; a lost device is often followed by errors about its buffers.
  failure ??= { kind, message };
}

export function clearGpuFailure(): void {
  failure = null;
}

/** The recorded failure as an error, or null while the device is healthy. */
export function gpuFailure(): GpuDeviceError | null {
  return failure ? new GpuDeviceError(failure.kind, failure.message) : null;
}

/** How long a failure on the WebGPU backend waits for the device's own report of why. */
const FAILURE_REPORT_MS = 2000;

/**
 * The recorded failure, waiting briefly for one when computing on WebGPU: work on a destroyed device
 * fails at once (a DOMException AbortError from a read inside tfjs) while Dawn resolves `lost` later.
 * On other backends nothing is recorded, so this returns null at once.
 */
export async function gpuFailureSoon(): Promise<GpuDeviceError | null> {
  if (tf.getBackend() !== 'webgpu') return gpuFailure();
  const until = performance.now() + FAILURE_REPORT_MS;
  while (!failure && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
  return gpuFailure();
}
