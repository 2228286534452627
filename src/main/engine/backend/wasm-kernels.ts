/**
 * The one place the project's kernels replace tfjs's stock kernels on the WASM backend; each kernel
 * file's header says why its kernels exist.
 *
 * Registration is idempotent. The stock config of each replaced kernel is captured before the first
 * replacement (wasm-kernel-utils.ts): some project kernels delegate to it, and the benchmark times
 * it. A replacement keeps the stock `setupFunc`, which binds the WASM function the stock kernel
 * calls and runs whenever the backend is (re)initialised.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc } from '@tensorflow/tfjs';
import { CONV_FILTER_GRAD_KERNELS } from './wasm-conv-filter-grad.ts';
import { GRAD_KERNELS } from './wasm-grad-kernels.ts';
import { GATHER_KERNELS } from './wasm-gather-kernel.ts';
import { captureStock } from './wasm-kernel-utils.ts';
import { MATMUL_KERNELS } from './wasm-matmul-kernel.ts';
import { POOL_KERNELS } from './wasm-pool-kernels.ts';
import { TILE_KERNELS } from './wasm-tile-kernel.ts';

const WASM = 'wasm';

const PROJECT_KERNELS: Record<string, KernelFunc> = {
  ...GRAD_KERNELS,
  ...CONV_FILTER_GRAD_KERNELS,
  ...POOL_KERNELS,
  ...MATMUL_KERNELS,
  ...GATHER_KERNELS,
  ...TILE_KERNELS,
};

export const PROJECT_WASM_KERNELS = Object.keys(PROJECT_KERNELS);

/** Registers (or replaces) every project kernel on the WASM backend. Idempotent. */
export function registerWasmKernels(): void {
  for (const [kernelName, kernelFunc] of Object.entries(PROJECT_KERNELS)) {
    const existing = tf.getKernelsForBackend(WASM).find((k) => k.kernelName === kernelName);
    const setupFunc = captureStock(kernelName, existing)?.setupFunc;
    if (existing) tf.unregisterKernel(kernelName, WASM);
    tf.registerKernel({ kernelName, backendName: WASM, kernelFunc, ...(setupFunc ? { setupFunc } : {}) });
  }
}
