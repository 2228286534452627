/**
 * What every per-class unit of a scan needs, built once per thread: the suspect model M, the clean
 * samples as one tensor, M's logits on them, the target logits l_k, and (lazily) the frozen front's
 * activations, which are identical for every ablated copy.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.ts';
import { indicesByClass } from '../data/dataset.ts';
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

  constructor(readonly model: Classifier, readonly data: Dataset) {
    model.setTraining(false);
    this.numClasses = model.numClasses;
    this.labels = data.labels;
    this.byClass = indicesByClass(data);
    this.x = tf.tensor4d(data.images, [data.count, data.height, data.width, data.channels]);
    this.logits = batched((b) => model.predict(b as tf.Tensor4D), this.x) as tf.Tensor2D;
    const l = this.logits.arraySync();
    this.targetLogits = Array.from({ length: this.numClasses }, (_, k) => {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < l.length; i++) {
        if (this.labels[i] !== k) {
          sum += l[i][k];
          n++;
        }
      }
      return n ? sum / n : 0;
    });
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
  accuracy(predict: (x: tf.Tensor) => tf.Tensor, inputs: tf.Tensor, idx: readonly number[]): number {
    if (idx.length === 0) return NaN;
    const pred = tf.tidy(() => {
      const sub = gather(inputs, idx);
      return tf.argMax(batched(predict, sub), 1);
    });
    const p = pred.dataSync();
    pred.dispose();
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
