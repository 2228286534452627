import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSoftwareAdapter } from '../../../src/main/engine/backend/webgpu.ts';

/** A fresh backend module: `initBackend('auto')` decides once per process, and each test is a process start. */
async function freshBackend() {
  vi.resetModules();
  return import('../../../src/main/engine/backend/index.ts');
}

/** A `navigator.gpu` injected before the backend looks: the backend then uses it instead of Dawn. */
function injectGpu(requestAdapter: () => Promise<unknown>): void {
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  g.navigator ??= {};
  g.navigator.gpu = { requestAdapter };
}

const lavapipe = {
  info: {
    vendor: 'mesa',
    architecture: 'software',
    device: 'llvmpipe',
    description: 'llvmpipe: Mesa 25.0.7',
    isFallbackAdapter: true,
  },
  limits: { maxBufferSize: 2 ** 32 - 1 },
  features: new Set<string>(),
  requestDevice: () => Promise.reject(new Error('this fake adapter makes no device')),
};

afterEach(() => {
  delete (globalThis as unknown as { navigator?: { gpu?: unknown } }).navigator?.gpu;
});

describe('WebGPU backend fallback', () => {
  it('with no adapter, auto goes on to the next backend and says why; by name it fails with the reason', async () => {
    injectGpu(() => Promise.resolve(null));
    const { BackendError, initBackend } = await freshBackend();
    const info = await initBackend('auto');
    const webgpu = info.attempts.find((a) => a.name === 'webgpu')!;
    expect(webgpu.ok).toBe(false);
    expect(webgpu.reason).toMatch(/no WebGPU adapter/);
    expect(['node', 'wasm']).toContain(info.name);
    expect(info.reason).toMatch(/skipped .*webgpu: no WebGPU adapter/);
    const err = await initBackend('webgpu').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/no usable compute backend for 'webgpu': webgpu: no WebGPU adapter/);
  });

  it('auto passes over a software adapter, naming it; asked for by name, it is tried', async () => {
    injectGpu(() => Promise.resolve(lavapipe));
    const { initBackend } = await freshBackend();
    const err = await initBackend('webgpu').catch((e: unknown) => e);
    // Tried by name: it gets as far as requesting the device (which this fake refuses).
    expect((err as Error).message).toMatch(/WebGPU device request failed on llvmpipe/);
    const info = await initBackend('auto');
    const webgpu = info.attempts.find((a) => a.name === 'webgpu')!;
    expect(webgpu.ok).toBe(false);
    expect(webgpu.reason).toMatch(
      /only a software adapter, llvmpipe: Mesa 25.0.7 \(mesa\/software\); used only with --backend webgpu/,
    );
    expect(webgpu.adapter?.software).toBe(true);
    expect(info.name).not.toBe('cpu');
  });

  it('tells software adapters from hardware ones by the fallback flag, architecture or name', () => {
    expect(isSoftwareAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'google', description: 'SwiftShader Device (Subzero)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' })).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900' })).toBe(false);
  });
});
