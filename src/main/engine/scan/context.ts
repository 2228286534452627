/**
 * What every per-class unit of a scan needs, built once per thread: the suspect model M, the clean
 * samples as one tensor, M's logits on them, the target logits l_k, and (lazily) the frozen front's
 * activations, which are identical for every ablated copy.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.ts';
import { indicesByClass } from '../data/dataset.ts';
import { takeData } from '../backend/read.ts';
import type { Classifier } from '../model/types.ts';

export const EVAL_BATCH = 256;

/** Applies `fn` over the first axis in batches and concatenates (keeps memory flat on big sets). */
export function batched(fn: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, batch = EVAL_BATCH): tf.Tensor {
  const n = x.shape[0];
  if (n <= batch) return tf.tidy(() => fn(x));
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < n; i += batch) {
    parts.push(tf.tidy(() => fn(tf.slice(x, i, Math.min(batch, n - i)))));
  }
  const out = tf.concat(parts);
  tf.dispose(parts);
  return out;
}

export function gather(x: tf.Tensor, idx: readonly number[]): tf.Tensor {
  return tf.tidy(() => tf.gather(x, tf.tensor1d(idx as number[], 'int32')));
}

export class ScanContext {
  readonly x: tf.Tensor4D;
  readonly labels: Int32Array;
  readonly numClasses: number;
  readonly byClass: number[][];
  /** M's logits on every sample, [n, N]. */
  readonly logits: tf.Tensor2D;
  /** l_k: the mean logit M gives class k on samples of the other classes. */
  readonly targetLogits: number[];
  private fronts = new Map<number, tf.Tensor>();

  /** Builds the context; async because M's logits are read back (no backend may need a sync read). */
  static async create(model: Classifier, data: Dataset): Promise<ScanContext> {
    model.setTraining(false);
    const x = tf.tensor4d(data.images, [data.count, data.height, data.width, data.channels]);
    const logits = batched((b) => model.predict(b as tf.Tensor4D), x) as tf.Tensor2D;
    const l = await logits.data();
    const n = model.numClasses;
    const targetLogits = Array.from({ length: n }, (_, k) => {
      let sum = 0;
      let count = 0;
      for (let i = 0; i < data.count; i++) {
        if (data.labels[i] !== k) {
          sum += l[i * n + k];
          count++;
        }
      }
      return count ? sum / count : 0;
    });
    return new ScanContext(model, data, x, logits, targetLogits);
  }

  private constructor(readonly model: Classifier, readonly data: Dataset, x: tf.Tensor4D, logits: tf.Tensor2D, targetLogits: number[]) {
    this.numClasses = model.numClasses;
    this.labels = data.labels;
    this.byClass = indicesByClass(data);
    this.x = x;
    this.logits = logits;
    this.targetLogits = targetLogits;
  }

  /** Indices of every sample not of class k (D_o). */
  others(k: number): number[] {
    return this.byClass.flatMap((idx, c) => (c === k ? [] : idx));
  }

  /**
   * The frozen front's activations on every sample for a freeze ratio, computed once. `front` must
   * come from a copy frozen at that ratio; frozen weights equal M's, so any copy's front serves.
   */
  frontActivations(ratio: number, front: (x: tf.Tensor4D) => tf.Tensor): tf.Tensor {
    let h = this.fronts.get(ratio);
    if (!h) {
      h = batched((b) => front(b as tf.Tensor4D), this.x);
      this.fronts.set(ratio, h);
    }
    return h;
  }

  /** Top-1 accuracy of `predict` on the samples at `idx`. */
  async accuracy(predict: (x: tf.Tensor) => tf.Tensor, inputs: tf.Tensor, idx: readonly number[]): Promise<number> {
    if (idx.length === 0) return NaN;
    const pred = tf.tidy(() => {
      const sub = gather(inputs, idx);
      return tf.argMax(batched(predict, sub), 1);
    });
    const p = await takeData<'int32'>(pred);
    let hit = 0;
    idx.forEach((i, j) => {
      if (p[j] === this.labels[i]) hit++;
    });
    return hit / idx.length;
  }

  dispose(): void {
    tf.dispose([this.x, this.logits, ...this.fronts.values()]);
    this.fronts.clear();
  }
}
