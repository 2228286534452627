/**
 * The WebGPU backend through Dawn's Node bindings: the `webgpu` package ships a prebuilt dawn.node
 * (Node-API, so no rebuild for Node or Electron) for linux, darwin and win32, and Dawn drives Vulkan,
 * Metal or D3D12, so any modern GPU works without a CUDA toolkit.
 *
 * This module owns the GPUDevice (rather than letting tfjs-backend-webgpu request its own) so that it
 * can (a) tell a hardware adapter from a software one (lavapipe, SwiftShader) before committing to it,
 * and (b) watch the device: a lost device or an out-of-memory error is recorded here and turned into a
 * named error at the engine's next read (see read.ts), never a hang or a silent fall back.
 */
import type { BackendAttempt } from './index.ts';
import { clearGpuFailure, recordGpuFailure } from './gpu-health.ts';

export interface GpuAdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation of WebGPU (lavapipe/llvmpipe, SwiftShader, WARP): correct but slow. */
  software: boolean;
  /** The adapter limits that bound tfjs's buffers and workgroups. */
  limits: Record<string, number>;
}

/** Limits worth showing: they bound the largest tensor and the kernels' workgroups. */
const SHOWN_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
] as const;

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|software|microsoft basic render|warp/i;

export function isSoftwareAdapter(info: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean }): boolean {
  if (info.isFallbackAdapter) return true;
  if (info.architecture === 'software') return true;
  return SOFTWARE_NAMES.test(`${info.vendor ?? ''} ${info.device ?? ''} ${info.description ?? ''}`);
}

export function adapterName(a: GpuAdapterReport): string {
  const what = a.description || a.device || 'unknown device';
  return `${what} (${a.vendor || '?'}/${a.architecture || '?'}${a.software && a.architecture !== 'software' ? ', software' : ''})`;
}

let device: GPUDevice | undefined;

/** The device tfjs computes on, once the webgpu backend is up (tests destroy it to simulate a loss). */
export function webgpuDevice(): GPUDevice | undefined {
  return device;
}

/**
 * Installs Dawn's `navigator.gpu` unless the host already provides one (a test may inject its own).
 * Imported lazily: a process that never tries WebGPU never loads dawn.node.
 */
async function ensureNavigatorGpu(): Promise<GPU> {
  const g = globalThis as unknown as { navigator?: { gpu?: GPU } };
  if (g.navigator?.gpu) return g.navigator.gpu;
  const dawn = (await import('webgpu')) as unknown as { create: (flags: string[]) => GPU; globals: object };
  Object.assign(globalThis, dawn.globals);
  g.navigator ??= {};
  g.navigator.gpu = dawn.create([]);
  return g.navigator.gpu;
}

function reportOf(adapter: GPUAdapter): GpuAdapterReport {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const limits: Record<string, number> = {};
  for (const name of SHOWN_LIMITS) limits[name] = Number((adapter.limits as unknown as Record<string, number>)[name]);
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    software: isSoftwareAdapter(info),
    limits,
  };
}

/**
 * Tries the WebGPU backend. A hardware adapter is taken in any case; a software one only when the
 * backend was asked for by name (`allowSoftware`), since it trains slower than the WASM backend.
 */
export async function tryWebGpu(
  allowSoftware: boolean,
  setBackend: (name: string) => Promise<boolean>,
): Promise<BackendAttempt & { adapter?: GpuAdapterReport }> {
  const name = 'webgpu' as const;
  let gpu: GPU;
  try {
    gpu = await ensureNavigatorGpu();
  } catch (err) {
    return {
      name,
      ok: false,
      reason: `Dawn (webgpu package) failed to load: ${(err as Error).message.split('\n')[0]}`,
    };
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) return { name, ok: false, reason: 'no WebGPU adapter (no Vulkan/Metal/D3D12 driver Dawn accepts)' };
  const report = reportOf(adapter);
  if (report.software && !allowSoftware) {
    return {
      name,
      ok: false,
      reason: `only a software adapter, ${adapterName(report)}; used only with --backend webgpu`,
      adapter: report,
    };
  }
  try {
    // The same device tfjs-backend-webgpu would request: its limits raised to the adapter's.
    const features: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    const l = adapter.limits;
    const dev = await adapter.requestDevice({
      requiredFeatures: features,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      },
    });
    watch(dev, report);
    const tf = await import('@tensorflow/tfjs');
    const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
    // The package registered a factory that requests its own adapter; replace it with this device.
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new WebGPUBackend(dev, adapter.info), 3);
    const ok = await setBackend('webgpu');
    if (!ok)
      return {
        name,
        ok,
        reason: `tfjs webgpu backend failed to initialise on ${adapterName(report)}`,
        adapter: report,
      };
    device = dev;
    const kind = report.software ? 'software adapter: correct but slow' : 'hardware adapter';
    return { name, ok, reason: `WebGPU on ${adapterName(report)}, ${kind}`, adapter: report };
  } catch (err) {
    return {
      name,
      ok: false,
      reason: `WebGPU device request failed on ${adapterName(report)}: ${(err as Error).message}`,
      adapter: report,
    };
  }
}

function watch(dev: GPUDevice, report: GpuAdapterReport): void {
  clearGpuFailure();
  void dev.lost.then((info) => {
    recordGpuFailure(
      'device-lost',
      `GPU device ${adapterName(report)} was lost (${info.reason}: ${info.message || 'no message'})`,
    );
  });
  dev.addEventListener('uncapturederror', (ev) => {
    const error = ev.error;
    const oom = typeof GPUOutOfMemoryError !== 'undefined' && error instanceof GPUOutOfMemoryError;
    if (oom) recordGpuFailure('out-of-memory', `GPU ${adapterName(report)} ran out of memory: ${error.message}`);
    else recordGpuFailure('gpu-error', `GPU ${adapterName(report)} reported an error: ${error.message}`);
  });
}
