/**
 * Picks the compute backend once per process: tfjs-node-gpu (when it loads and a GPU is visible) >
 * WebGPU through Dawn on a hardware adapter > tfjs-node > WASM with the project's gradient kernels.
 * A software WebGPU adapter (lavapipe, SwiftShader) and the pure-JS `cpu` backend are slower than WASM
 * for training, so they are used only when asked for by name, never as a silent fallback.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { registerWasmKernels } from './wasm-kernels.ts';
import { clearGpuFailure } from './gpu-health.ts';
import { adapterName, tryWebGpu, type GpuAdapterReport } from './webgpu.ts';

export const BACKEND_CHOICES = ['auto', 'node-gpu', 'webgpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  reason: string;
  /** The WebGPU adapter found, taken or not. */
  adapter?: GpuAdapterReport;
}

export interface BackendInfo {
  /** The backend that runs: one of node-gpu, webgpu, node, wasm, cpu. */
  name: BackendName;
  /** tfjs's own name for it (tensorflow, webgpu, wasm, cpu). */
  tfBackend: string;
  /** Why it was chosen, in words. */
  reason: string;
  attempts: BackendAttempt[];
  tfjsVersion: string;
  /** Threads one tfjs instance computes with (the WASM backend is single-threaded in Node). */
  threads: number;
  /** A GPU backend wants one worker; CPU backends scale with cores. */
  isGpu: boolean;
  /** The device it computes on, in words (the GPU or WebGPU adapter; 'CPU' otherwise). */
  device: string;
  /** The WebGPU adapter, on the webgpu backend. */
  adapter?: GpuAdapterReport;
}

export class BackendError extends Error {
  constructor(
    message: string,
    readonly attempts: BackendAttempt[],
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

const require = createRequire(import.meta.url);
// Production mode: no debug checks, and no console advice to install tfjs-node on every first use of
// the cpu backend (tfjs creates a few constants there at import, whichever backend then runs).
tf.env().set('PROD', true);
let current: BackendInfo | undefined;

function gpuVisible(): { ok: boolean; reason: string } {
  try {
    const out = execFileSync('nvidia-smi', ['-L'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const gpus = out.split('\n').filter((l) => l.startsWith('GPU '));
    return gpus.length > 0
      ? { ok: true, reason: `${gpus.length} GPU(s): ${gpus[0]}` }
      : { ok: false, reason: 'nvidia-smi lists no GPU' };
  } catch {
    return { ok: false, reason: 'no NVIDIA driver (nvidia-smi not found or failed)' };
  }
}

function loadNative(pkg: string): { ok: boolean; reason: string } {
  try {
    require(pkg);
    return { ok: true, reason: `${pkg} loaded` };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, reason: `${pkg} is not installed or failed to load (${msg})` };
  }
}

async function tryNodeGpu(): Promise<BackendAttempt> {
  const gpu = gpuVisible();
  if (!gpu.ok) return { name: 'node-gpu', ok: false, reason: gpu.reason };
  const loaded = loadNative('@tensorflow/tfjs-node-gpu');
  if (!loaded.ok) return { name: 'node-gpu', ok: false, reason: loaded.reason };
  const ok = await tf.setBackend('tensorflow');
  return {
    name: 'node-gpu',
    ok,
    reason: ok ? `${loaded.reason}; ${gpu.reason}` : 'tensorflow backend failed to initialise',
  };
}

async function tryNode(): Promise<BackendAttempt> {
  const loaded = loadNative('@tensorflow/tfjs-node');
  if (!loaded.ok) return { name: 'node', ok: false, reason: loaded.reason };
  const ok = await tf.setBackend('tensorflow');
  return { name: 'node', ok, reason: ok ? loaded.reason : 'tensorflow backend failed to initialise' };
}

async function tryWasm(): Promise<BackendAttempt> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmKernels();
    const ok = await tf.setBackend('wasm');
    return {
      name: 'wasm',
      ok,
      reason: ok ? 'WASM (XNNPACK) with the project kernels' : 'WASM backend failed to initialise',
    };
  } catch (err) {
    return { name: 'wasm', ok: false, reason: `WASM backend failed: ${(err as Error).message}` };
  }
}

async function tryCpu(): Promise<BackendAttempt> {
  const ok = await tf.setBackend('cpu');
  return {
    name: 'cpu',
    ok,
    reason: ok ? 'pure-JS cpu backend, asked for by name (about 100x slower for training)' : 'cpu backend failed',
  };
}

/** `byName`: the backend was asked for by name, not reached by walking the auto order. */
const TRY: Record<BackendName, (byName: boolean) => Promise<BackendAttempt>> = {
  'node-gpu': tryNodeGpu,
  webgpu: (byName) => tryWebGpu(byName, (n) => tf.setBackend(n)),
  node: tryNode,
  wasm: tryWasm,
  cpu: tryCpu,
};

const AUTO_ORDER: BackendName[] = ['node-gpu', 'webgpu', 'node', 'wasm'];

function threadsOf(name: BackendName): number {
  if (name === 'wasm') {
    const wasm = (tf as unknown as { wasm?: { getThreadsCount?: () => number } }).wasm;
    return wasm?.getThreadsCount?.() ?? 1;
  }
  return name === 'cpu' ? 1 : 0; // 0: libtensorflow or the GPU manages its own parallelism
}

function deviceOf(attempt: BackendAttempt): string {
  if (attempt.adapter) return adapterName(attempt.adapter);
  if (attempt.name === 'node-gpu') return gpuVisible().reason.replace(/^\d+ GPU\(s\): /, '');
  return 'CPU';
}

/**
 * Initialises the backend. `auto` walks the preference order; a named choice uses exactly that backend
 * or fails with the reason. Idempotent for the same choice within a process.
 */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (current && (choice === 'auto' || choice === current.name)) return current;
  const order = choice === 'auto' ? AUTO_ORDER : [choice];
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    const attempt = await TRY[name](choice !== 'auto');
    attempts.push(attempt);
    if (!attempt.ok) continue;
    await tf.ready();
    // A GPU failure belongs to the backend it happened on; the one now chosen starts healthy.
    if (name !== 'webgpu') clearGpuFailure();
    const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.name}: ${a.reason}`);
    current = {
      name,
      tfBackend: tf.getBackend(),
      reason:
        choice === 'auto'
          ? `${attempt.reason}${skipped.length ? ` (skipped ${skipped.join('; ')})` : ''}`
          : `${attempt.reason} (asked for by name)`,
      attempts,
      tfjsVersion: tf.version.tfjs,
      threads: threadsOf(name),
      isGpu: name === 'node-gpu' || name === 'webgpu',
      device: deviceOf(attempt),
      ...(attempt.adapter ? { adapter: attempt.adapter } : {}),
    };
    return current;
  }
  throw new BackendError(
    `no usable compute backend for '${choice}': ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`,
    attempts,
  );
}

/** The backend initialised in this process, if any. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

export function isBackendChoice(v: string): v is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(v);
}
