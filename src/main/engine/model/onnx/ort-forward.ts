/**
 * Forward-only logits of an imported ONNX model on onnxruntime-node, from the very bytes it was loaded
 * from. Why: forward work that needs no gradient (the scan's logits and target logits, accuracy,
 * transfer tests, inspect) runs ~12x faster there than through the tfjs graph executor on WASM (a
 * Fashion-MNIST CNN at batch 80). It stays an optional engine behind the one Classifier interface:
 * used only where the file's own graph output *is* predict's output, and never required: when the
 * runtime does not load or the graph does not fit, the caller keeps tfjs and is told why.
 *
 * Layout: predict takes NHWC images in [0, 1]; the file's input is normalised and, for an NCHW model
 * (every PyTorch export), channels-first, so inputs are normalised and transposed before the run.
 * A file exported with a fixed batch size runs in chunks of that size, the last one zero-padded.
 * One intra-op thread per session: the scan already runs one worker per core.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import type * as Ort from 'onnxruntime-node';
import { normaliser } from '../common.ts';
import type { InputSpec } from '../types.ts';
import type { PreparedGraph } from './graph.ts';

export type OrtForwardResult = { ok: true; forward: OrtForward } | { ok: false; reason: string };

/** Why the file's graph cannot stand in for predict, or null when it can. */
export function ortUnfit(graph: PreparedGraph): string | null {
  const output = graph.model.outputs[0]?.name;
  if (graph.outputName !== output)
    return `the graph's output '${output}' is not predict's logits (a final softmax was dropped)`;
  return null;
}

export class OrtForward {
  private constructor(
    private readonly session: Ort.InferenceSession,
    private readonly ort: typeof Ort,
    private readonly spec: InputSpec,
    private readonly numClasses: number,
    /** The batch size the file was exported with, when it is fixed. */
    private readonly fixedBatch: number | undefined,
  ) {}

  /** Creates a session from `bytes`, or says why none can be used. */
  static async create(
    bytes: Uint8Array,
    graph: PreparedGraph,
    spec: InputSpec,
    numClasses: number,
  ): Promise<OrtForwardResult> {
    const unfit = ortUnfit(graph);
    if (unfit) return { ok: false, reason: unfit };
    let ort: typeof Ort;
    try {
      ort = createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;
    } catch (err) {
      return { ok: false, reason: `onnxruntime-node failed to load (${(err as Error).message.split('\n')[0]})` };
    }
    try {
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      const batch = graph.model.inputs[0].dims[0];
      return {
        ok: true,
        forward: new OrtForward(session, ort, spec, numClasses, typeof batch === 'number' ? batch : undefined),
      };
    } catch (err) {
      return { ok: false, reason: `onnxruntime could not create a session (${(err as Error).message.split('\n')[0]})` };
    }
  }

  /** NHWC images in [0, 1] -> logits [N, classes], as predict computes them (no gradient). */
  async logits(x: tf.Tensor4D): Promise<tf.Tensor2D> {
    const n = x.shape[0];
    const input = tf.tidy(() => {
      const normal = normaliser(this.spec)(x);
      return this.spec.layout === 'NCHW' ? tf.transpose(normal, [0, 3, 1, 2]) : normal;
    });
    const data = (await input.data()) as Float32Array;
    const [, ...image] = input.shape;
    input.dispose();
    const chunk = this.fixedBatch ?? n;
    const per = data.length / n;
    const logits = new Float32Array(n * this.numClasses);
    for (let start = 0; start < n; start += chunk) {
      const rows = Math.min(chunk, n - start);
      const part = rows === chunk ? data.subarray(start * per, (start + rows) * per) : new Float32Array(chunk * per);
      if (rows < chunk) part.set(data.subarray(start * per, (start + rows) * per));
      logits.set(
        (await this.run(part, [chunk, ...image])).subarray(0, rows * this.numClasses),
        start * this.numClasses,
      );
    }
    return tf.tensor2d(logits, [n, this.numClasses]);
  }

  private async run(data: Float32Array, shape: number[]): Promise<Float32Array> {
    const feeds = { [this.session.inputNames[0]]: new this.ort.Tensor('float32', data, shape) };
    const out = (await this.session.run(feeds))[this.session.outputNames[0]];
    if (out.data.length !== shape[0] * this.numClasses) {
      throw new Error(
        `onnxruntime returned ${out.data.length} values for ${shape[0]} images of ${this.numClasses} classes`,
      );
    }
    return out.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
