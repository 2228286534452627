/** Top-1 accuracy of a classifier over a clean-data set, in batches so memory stays flat; forward only (inferLogits). */
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../../../shared/errors.ts';
import type { Dataset } from '../data/dataset.ts';
import { inferLogits } from '../model/common.ts';
import type { Classifier } from '../model/types.ts';
import { takeData } from '../backend/read.ts';

const BATCH = 128;

export interface CleanAccuracy {
  accuracy: number;
  correct: number;
  count: number;
  source: string;
}

export async function topOneAccuracy(model: Classifier, ds: Dataset): Promise<CleanAccuracy> {
  const { height, width, channels } = model.inputSpec;
  if (ds.height !== height || ds.width !== width || ds.channels !== channels) {
    throw new UmaError(
      'SHAPE_MISMATCH',
      `${ds.source}: images are ${ds.height}x${ds.width}x${ds.channels}, the model takes ${height}x${width}x${channels}`,
    );
  }
  if (ds.count === 0) throw new UmaError('BAD_DATA', `${ds.source}: no images`);
  const size = height * width * channels;
  let correct = 0;
  for (let start = 0; start < ds.count; start += BATCH) {
    const n = Math.min(BATCH, ds.count - start);
    const x = tf.tensor4d(ds.images.subarray(start * size, (start + n) * size), [n, height, width, channels]);
    const logits = await inferLogits(model, x);
    const argmax = tf.argMax(logits, 1);
    tf.dispose([x, logits]);
    const predicted = await takeData<'int32'>(argmax);
    for (let i = 0; i < n; i++) if (predicted[i] === ds.labels[start + i]) correct++;
  }
  return { accuracy: correct / ds.count, correct, count: ds.count, source: ds.source };
}
