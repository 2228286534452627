/**
 * What every per-class unit of a scan needs, built once per thread: the suspect model M and the clean
 * samples as one tensor. Ablation also needs M's logits on every sample, the target logits l_k and the
 * frozen front's activations (identical for every ablated copy): these are computed once per scan, in
 * shards spread over the threads (prepareShard), joined in shared memory and adopted by every thread,
 * instead of each thread computing all of them.
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

/** M's logits and the frozen front's activations on every sample, in shared memory (ablation's inputs). */
export interface AblationInputs {
  /** [n, N] row-major. */
  logits: Float32Array;
  /** At the scan's freeze ratio; null when the model has no single-tensor cut there. */
  front: { shape: number[]; values: Float32Array } | null;
}

/** One shard of AblationInputs: rows [from, to). */
export interface AblationShard {
  from: number;
  to: number;
  logits: Float32Array;
  front: { shape: number[]; values: Float32Array } | null;
}

/**
 * Row ranges of `count` samples for `parts` threads, cut at multiples of EVAL_BATCH so every row is
 * computed in the same batch as one thread computing all of them would (results stay bit-identical).
 */
export function shardRanges(count: number, parts: number): [number, number][] {
  const batches = Math.ceil(count / EVAL_BATCH);
  const per = Math.ceil(batches / Math.max(1, parts));
  const out: [number, number][] = [];
  for (let b = 0; b < batches; b += per) out.push([b * EVAL_BATCH, Math.min(count, (b + per) * EVAL_BATCH)]);
  return out;
}

/** Joins shards (any order) into one AblationInputs over `count` rows, in SharedArrayBuffers. */
export function joinShards(shards: readonly AblationShard[], count: number, numClasses: number): AblationInputs {
  const sharedF32 = (n: number) => new Float32Array(new SharedArrayBuffer(n * Float32Array.BYTES_PER_ELEMENT));
  const logits = sharedF32(count * numClasses);
  const first = shards[0]?.front;
  const perRow = first ? first.shape.slice(1).reduce((a, b) => a * b, 1) : 0;
  const front = first ? { shape: [count, ...first.shape.slice(1)], values: sharedF32(count * perRow) } : null;
  for (const s of shards) {
    logits.set(s.logits, s.from * numClasses);
    if (front && s.front) front.values.set(s.front.values, s.from * perRow);
  }
  return { logits, front };
}

export function gather(x: tf.Tensor, idx: readonly number[]): tf.Tensor {
  return tf.tidy(() => tf.gather(x, tf.tensor1d(idx as number[], 'int32')));
}

export class ScanContext {
  readonly x: tf.Tensor4D;
  readonly labels: Int32Array;
  readonly numClasses: number;
  readonly byClass: number[][];
  private adopted: { logits: tf.Tensor2D; targetLogits: number[]; front: tf.Tensor | null } | null = null;

  constructor(
    readonly model: Classifier,
    readonly data: Dataset,
  ) {
    model.setTraining(false);
    this.numClasses = model.numClasses;
    this.labels = data.labels;
    this.byClass = indicesByClass(data);
    this.x = tf.tensor4d(data.images, [data.count, data.height, data.width, data.channels]);
  }

  /**
   * Computes rows [from, to) of AblationInputs: M's logits and, when `freezeRatio`'s cut exists, the
   * frozen front's activations (from a copy frozen at that ratio: frozen weights equal M's, so any
   * copy's front serves).
   */
  async prepareShard(from: number, to: number, freezeRatio: number): Promise<AblationShard> {
    const rows = tf.slice(this.x, from, to - from);
    const copy = await this.model.clone();
    try {
      const logits = batched((b) => this.model.predict(b as tf.Tensor4D), rows);
      const logitValues = await takeData(logits);
      copy.freeze(freezeRatio);
      const split = copy.splitAtFreeze?.() ?? null;
      let front: AblationShard['front'] = null;
      if (split) {
        const h = batched((b) => split.front(b as tf.Tensor4D), rows);
        front = { shape: h.shape, values: await takeData(h) };
      }
      return { from, to, logits: logitValues, front };
    } finally {
      rows.dispose();
      copy.dispose();
    }
  }

  /** Takes the scan's shared AblationInputs (once; later calls with the same scan's inputs do nothing). */
  adopt(inputs: AblationInputs): void {
    if (this.adopted) return;
    const N = this.numClasses;
    const l = inputs.logits;
    const targetLogits = Array.from({ length: N }, (_, k) => {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < this.data.count; i++) {
        if (this.labels[i] !== k) {
          sum += l[i * N + k];
          n++;
        }
      }
      return n ? sum / n : 0;
    });
    this.adopted = {
      logits: tf.tensor2d(l, [this.data.count, N]),
      targetLogits,
      front: inputs.front ? tf.tensor(inputs.front.values, inputs.front.shape) : null,
    };
  }

  private get ablationInputs() {
    if (!this.adopted) throw new Error('ablation inputs used before the scan shared them with this thread');
    return this.adopted;
  }

  /** M's logits on every sample, [n, N]. */
  get logits(): tf.Tensor2D {
    return this.ablationInputs.logits;
  }

  /** l_k: the mean logit M gives class k on samples of the other classes. */
  get targetLogits(): number[] {
    return this.ablationInputs.targetLogits;
  }

  /** The frozen front's activations on every sample, at the scan's freeze ratio (null: no cut there). */
  get frontActivations(): tf.Tensor | null {
    return this.ablationInputs.front;
  }

  /** Indices of every sample not of class k (D_o). */
  others(k: number): number[] {
    return this.byClass.flatMap((idx, c) => (c === k ? [] : idx));
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
    tf.dispose([this.x, this.adopted?.logits, this.adopted?.front].filter((t): t is tf.Tensor => !!t));
    this.adopted = null;
  }
}
