import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendInfo } from '../../../src/main/engine/backend/index.ts';
import { webgpuDevice } from '../../../src/main/engine/backend/webgpu.ts';
import { limitPerClass, loadDataset } from '../../../src/main/engine/data/index.ts';
import { loadModelFile } from '../../../src/main/engine/model/load.ts';
import { runScan } from '../../../src/main/engine/scan/pipeline.ts';
import { DEMO_MODEL } from '../../../src/main/cli/scan-options.ts';
import { main } from '../../../src/main/cli/index.ts';
import type { ClassFinding } from '../../../src/shared/results.ts';
import { resolveParams } from '../../../src/shared/scan-params.ts';
import { mulberry32 } from '../../../src/main/engine/random.ts';

/**
 * The scan on the WebGPU backend equals the WASM run. On a machine without a GPU this runs on Mesa's
 * lavapipe (scripts/install-software-gpu.sh, which .ci/run calls, setting UMA_REQUIRE_WEBGPU=1 so that a
 * missing adapter fails there instead of skipping). lavapipe is slow, so the settings are small and
 * only two classes run on WebGPU: the trojan's target 7 and class 0; the other classes come from the
 * WASM run as already finished (the resume path), which leaves the scoring identical in form.
 */
const SMALL = resolveParams({
  maxPerClass: 10,
  inversionSteps: 10,
  inversionBatch: 20,
  ablationMaxEpochs: 1,
  ablationBatchOther: 20,
  ablationBatchTarget: 5,
  referenceEpochs: 1,
  referenceMinSteps: 0,
  referenceBatch: 32,
  stampedExamples: 1,
});
const ON_GPU = [0, 7];

let gpu: BackendInfo | null = null;
let skipReason = '';

beforeAll(async () => {
  try {
    gpu = await initBackend('webgpu');
  } catch (err) {
    skipReason = `no WebGPU adapter here (${(err as Error).message}); run scripts/install-software-gpu.sh`;
    if (process.env.UMA_REQUIRE_WEBGPU) throw err;
    console.warn(`skipping the WebGPU tests: ${skipReason}`);
  }
});

async function demo(backend: 'wasm' | 'webgpu') {
  await initBackend(backend);
  const model = await loadModelFile(DEMO_MODEL);
  const data = limitPerClass(loadDataset('demo'), SMALL.maxPerClass ?? 10, 1);
  return { model, data };
}

/** The demo model's logits and the input gradient of its loss on one batch, read back. */
async function forwardAndGradient(backend: 'wasm' | 'webgpu') {
  const { model, data } = await demo(backend);
  const n = 16;
  // MNIST's flat background makes the first conv's outputs tie inside a pooling window, where backends
  // may route the gradient to different (equally valid) positions; a little seeded noise breaks the ties.
  const rand = mulberry32(7);
  const pixels = data.images.slice(0, n * 784).map((v) => v + (rand() - 0.5) * 1e-2);
  const x = tf.tensor4d(pixels, [n, 28, 28, 1]);
  const logits = model.predict(x);
  // A fixed mix of the logits, not the cross-entropy: the demo model is confident, so its softmax is
  // saturated and that loss's input gradient is float32 rounding (~1e-7), no test of the kernels.
  const mix = tf.tensor2d(
    Array.from({ length: n * 10 }, (_, i) => ((i * 7919) % 13) / 13 - 0.5),
    [n, 10],
  );
  const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(model.predict(v as tf.Tensor4D), mix)))(x);
  const out = { logits: await logits.data(), grad: await grad.data() };
  tf.dispose([x, mix, logits, grad]);
  model.dispose();
  return out;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}

describe('the scan on the WebGPU backend', () => {
  it('computes the forward pass and the input gradient as the WASM backend does, to float32 precision', async (ctx) => {
    if (!gpu) return ctx.skip(skipReason);
    const wasm = await forwardAndGradient('wasm');
    const webgpu = await forwardAndGradient('webgpu');
    // Summation order differs between XNNPACK and the WGSL kernels: relative 1e-4 of the largest value
    // is ~1000 float32 ulps of headroom, yet far below any change a wrong kernel makes.
    expect(maxRelDiff(webgpu.logits, wasm.logits)).toBeLessThan(1e-4);
    expect(maxRelDiff(webgpu.grad, wasm.grad)).toBeLessThan(1e-4);
  }, 120_000);

  it('gives the per-class results of the WASM run on the demo, within the drift of signed steps', async (ctx) => {
    if (!gpu) return ctx.skip(skipReason);
    const base = await demo('wasm');
    const wasm = await runScan({ ...base, params: SMALL, workers: 0, seed: 1 });
    base.model.dispose();
    const rest = wasm.result.classes
      .filter((c) => !ON_GPU.includes(c.index))
      .map((c) => ({ ...c, anomalyIndex: null, flagged: null }));
    const g = await demo('webgpu');
    const webgpu = await runScan({ ...g, params: SMALL, workers: 0, seed: 1, completed: rest });
    g.model.dispose();
    expect(webgpu.result.backend).toBe('webgpu');
    expect(webgpu.result.device).toBe(gpu.device);
    const byIndex = (cs: ClassFinding[], k: number) => cs.find((c) => c.index === k)!;
    for (const k of ON_GPU) {
      const a = byIndex(wasm.result.classes, k);
      const b = byIndex(webgpu.result.classes, k);
      // The step count is set by the data and the batch sizes, never by the floating point.
      expect(b.ablationSteps).toBe(a.ablationSteps);
      // 10 samples per class: one sample is 0.1 of an accuracy; allow one sample either way.
      expect(Math.abs(b.ablatedAccTarget! - a.ablatedAccTarget!)).toBeLessThanOrEqual(0.1 + 1e-9);
      expect(Math.abs(b.ablatedAccOther! - a.ablatedAccOther!)).toBeLessThanOrEqual(0.1 + 1e-9);
      // Inversion takes sign(gradient) steps: a gradient component near zero whose sign differs in the
      // last bit moves a mask pixel by maskStep (0.1). Over 10 steps on 784 pixels, 5% of the mask's L1
      // allows a few hundred such flips; a wrong gradient moves hundreds of pixels every step.
      expect(Math.abs(b.maskL1 - a.maskL1)).toBeLessThanOrEqual(0.05 * a.maskL1);
      // ASR: mean over the last window of 20-sample batches; 0.15 is 3 samples of a batch.
      expect(Math.abs(b.asr - a.asr)).toBeLessThanOrEqual(0.15);
      expect(Math.abs(b.transferAsr! - a.transferAsr!)).toBeLessThanOrEqual(0.15);
    }
  }, 300_000);

  it('uma doctor --backend webgpu reports the adapter, its limits and a measured training step', async (ctx) => {
    if (!gpu) return ctx.skip(skipReason);
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: () => undefined, isTTY: false };
    expect(await main(['doctor', '--backend', 'webgpu', '--seconds', '0.1', '--json'], io)).toBe(0);
    const report = JSON.parse(out.join('\n'));
    expect(report.backend).toBe('webgpu');
    expect(report.device).toBe(gpu.device);
    expect(report.adapter.vendor).toBe(gpu.adapter!.vendor);
    expect(report.adapter.limits.maxBufferSize).toBeGreaterThan(0);
    expect(report.versions.webgpu).toBe('0.6.2');
    expect(report.probe.steps).toBeGreaterThan(0);
  }, 120_000);

  it('a device lost mid-scan stops it with a named BACKEND error, and the scan resumes on WASM', async (ctx) => {
    if (!gpu) return ctx.skip(skipReason);
    const g = await demo('webgpu');
    const done: ClassFinding[] = [];
    let destroyed = false;
    const err = await runScan({
      ...g,
      params: SMALL,
      workers: 0,
      seed: 2,
      onEvent: (e) => {
        if (e.type === 'class-result') done.push(e.finding);
        if (e.type === 'progress' && !destroyed) {
          destroyed = true;
          webgpuDevice()!.destroy();
        }
      },
    }).catch((e: unknown) => e);
    expect(destroyed).toBe(true);
    expect((err as Error).name).toBe('GpuDeviceError');
    expect(err).toMatchObject({ code: 'BACKEND', details: { kind: 'device-lost' } });
    expect((err as Error).message).toMatch(/was lost .*resume the scan with another backend/);
    const w = await demo('wasm');
    const resumed = await runScan({
      ...w,
      params: SMALL,
      workers: 0,
      seed: 2,
      completed: done.map((c) => ({ ...c, anomalyIndex: null, flagged: null })),
    });
    expect(resumed.result.backend).toBe('wasm');
    expect(resumed.result.classes).toHaveLength(10);
  }, 300_000);
});

describe('the WebGPU backend on a fresh device after a loss', () => {
  it('an out-of-memory error from the device stops the scan with a named BACKEND error', async (ctx) => {
    if (!gpu) return ctx.skip(skipReason);
    // Asked for again after the lost device above: a new device, healthy.
    const g = await demo('webgpu');
    const device = webgpuDevice()!;
    let fired = false;
    const err = await runScan({
      ...g,
      params: SMALL,
      workers: 0,
      seed: 3,
      onEvent: (e) => {
        if (e.type !== 'progress' || fired) return;
        fired = true;
        // What Dawn raises when an allocation fails; a real one needs more memory than a CI machine has.
        const error = new GPUOutOfMemoryError('synthetic: buffer allocation failed');
        device.dispatchEvent(new GPUUncapturedErrorEvent('uncapturederror', { error }));
      },
    }).catch((e: unknown) => e);
    g.model.dispose();
    expect(fired).toBe(true);
    expect(err).toMatchObject({ name: 'GpuDeviceError', code: 'BACKEND', details: { kind: 'out-of-memory' } });
    expect((err as Error).message).toMatch(/ran out of memory: synthetic/);
  }, 120_000);
});
