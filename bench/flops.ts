/**
 * Arithmetic of a scan, counted from the kernels tfjs actually runs: each stage's step is run once
 * under tf.profile on this thread and the multiply-adds of its convolutions and matrix products are
 * summed from the kernels' shapes (2 FLOPs per multiply-add; element-wise ops are left out, they are
 * a few percent). Stage totals multiply a step's count by the steps the scan took. Also the WASM
 * backend's convolution peak on one thread, the ceiling each stage is compared against.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../src/main/engine/data/index.ts';
import type { Classifier } from '../src/main/engine/model/types.ts';
import type { ScanContext } from '../src/main/engine/scan/context.ts';
import { referenceSteps } from '../src/main/engine/scan/uma/reference.ts';
import { squash, stamp } from '../src/main/engine/scan/uma/stamp.ts';
import type { ScanResult } from '../src/shared/results.ts';
import type { ScanParams } from '../src/shared/scan-params.ts';

interface KernelShapes {
  name: string;
  inputShapes: number[][];
  outputShapes: number[][];
}

const size = (s: number[] | undefined) => (s ?? []).reduce((a, b) => a * b, 1);

/** FLOPs of one kernel call; 0 for kernels that are not convolutions or matrix products. */
export function kernelFlops(k: KernelShapes): number {
  const [a, b] = k.inputShapes;
  const out = k.outputShapes[0];
  switch (k.name) {
    case 'Conv2D':
    case 'FusedConv2D': // x NHWC, filter [kh, kw, cin, cout]
      return (2 * size(out) * size(b)) / b[3];
    case 'Conv2DBackpropInput': // dy, filter
      return (2 * size(a) * size(b)) / b[3];
    case 'Conv2DBackpropFilter': // x, dy -> filter
      return (2 * size(b) * size(out)) / out[3];
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2D': // filter [kh, kw, cin, multiplier]
      return 2 * size(out) * b[0] * b[1];
    case 'DepthwiseConv2dNativeBackpropInput':
      return 2 * size(a) * b[0] * b[1];
    case 'DepthwiseConv2dNativeBackpropFilter':
      return 2 * size(b) * out[0] * out[1];
    case 'BatchMatMul':
    case '_FusedMatMul':
    case 'FusedMatMul': {
      // [B, M, K] x [B, K, N] in either transposition: K from the three sizes
      const batch = out.length === 3 ? out[0] : 1;
      return 2 * size(out) * Math.sqrt((size(a) * size(b)) / (size(out) * batch));
    }
    default:
      return 0;
  }
}

export async function profileFlops(fn: () => tf.TensorContainer): Promise<number> {
  const info = await tf.profile(() => tf.tidy(fn));
  tf.dispose(info.result);
  return info.kernels.reduce((s, k) => s + kernelFlops(k as unknown as KernelShapes), 0);
}

/**
 * GFLOP/s of a 3x3, 64 -> 64 channel convolution on 32 x 32 x 32 inputs on this thread (best of reps).
 * The output is read and freed outside tf.tidy: a typed array returned from tidy is walked element by
 * element in search of tensors (~800 ms for this output), which once made this "peak" read 1 GFLOP/s.
 */
export function convPeakGflops(reps = 5): number {
  const x = tf.randomUniform<tf.Rank.R4>([32, 32, 32, 64], 0, 1, 'float32', 1);
  const w = tf.randomUniform<tf.Rank.R4>([3, 3, 64, 64], -0.1, 0.1, 'float32', 2);
  const flops = 2 * 32 * 32 * 32 * 64 * 9 * 64;
  const run = () => {
    const y = tf.conv2d(x, w, 1, 'same');
    y.dataSync();
    y.dispose();
  };
  run();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    run();
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  tf.dispose([x, w]);
  return flops / best / 1e9;
}

/** The first n samples (repeated when the data has fewer) as one batch. */
function batchOf(data: Dataset, n: number): tf.Tensor4D {
  const per = data.height * data.width * data.channels;
  const out = new Float32Array(n * per);
  for (let i = 0; i < n; i++)
    out.set(data.images.subarray((i % data.count) * per, ((i % data.count) + 1) * per), i * per);
  return tf.tensor4d(out, [n, data.height, data.width, data.channels]);
}

/**
 * FLOPs per stage of a finished UMA scan of `model` on `data` (the samples the scan used), from one
 * profiled step of each stage.
 */
export async function scanFlops(
  model: Classifier,
  data: Dataset,
  p: ScanParams,
  result: ScanResult,
): Promise<Record<string, number>> {
  const n = data.count;
  const classes = result.classes.length;
  const forwardPerSample = (await profileFlops(() => model.predict(batchOf(data, 8)))) / 8;

  // inversion: forward + input gradient of stamped batches, inversionSteps per restart per class
  const m = tf.variable(tf.zeros([data.height, data.width]));
  const pat = tf.variable(tf.zeros([data.height, data.width, data.channels]));
  const x = batchOf(data, p.inversionBatch);
  const inversionStep = await profileFlops(
    () =>
      tf.variableGrads(() => tf.sum<tf.Scalar>(model.predict(stamp(x, squash(m, p.maskSquash), pat))), [m, pat]).grads,
  );
  tf.dispose([m, pat, x]);

  // ablation: the trainable back part forward and backward per step, then an accuracy pass per class;
  // prepare: M's logits and the frozen front's activations on every sample, once per scan
  const copy = await model.clone();
  copy.freeze(p.freezeRatio);
  const split = copy.splitAtFreeze?.() ?? null;
  const xa = batchOf(data, p.ablationBatchOther + p.ablationBatchTarget);
  const h = split ? split.front(xa) : xa;
  const x8 = batchOf(data, 8);
  const h8 = split ? split.front(x8) : x8;
  const frontPerSample = split ? (await profileFlops(() => split.front(x8))) / 8 : 0;
  const backPerSample = split ? (await profileFlops(() => split.back(h8))) / 8 : forwardPerSample;
  tf.dispose([x8, h8]);
  const ablationStep = await profileFlops(
    () =>
      tf.variableGrads(
        () => tf.sum<tf.Scalar>(split ? split.back(h) : copy.predict(h as tf.Tensor4D)),
        copy.trainableVariables(),
      ).grads,
  );
  tf.dispose([xa, h]);
  copy.dispose();
  const ablationSteps = result.classes.reduce((s, c) => s + (c.ablationSteps ?? 0), 0);

  // reference: full training steps at referenceBatch, then one accuracy pass
  const ref = await model.reinitialized(1);
  ref.freeze(0);
  ref.setTraining(true);
  const xr = batchOf(data, p.referenceBatch);
  const referenceStep = await profileFlops(
    () => tf.variableGrads(() => tf.sum<tf.Scalar>(ref.predict(xr)), ref.trainableVariables()).grads,
  );
  tf.dispose(xr);
  ref.dispose();
  const refSteps = referenceSteps({ data } as ScanContext, p);

  const perClassOthers = result.data.perClass.map((c) => n - c);
  const transferSamples = perClassOthers.reduce(
    (s, o) => s + (p.transferMaxSamples > 0 ? Math.min(o, p.transferMaxSamples) : o),
    0,
  );
  return {
    reference: result.reference?.kind === 'trained' ? refSteps * referenceStep + n * forwardPerSample : 0,
    prepare: n * (forwardPerSample + frontPerSample),
    ablation: ablationSteps * ablationStep + classes * n * backPerSample,
    inversion: classes * p.inversionRestarts * p.inversionSteps * inversionStep,
    transfer: result.reference?.kind === 'none' ? 0 : transferSamples * forwardPerSample,
  };
}
