/**
 * What the models answer on images stamped with a class's reversed trigger (scans/stamped-predictions):
 * the trigger as stored with the scan (its mask and pattern PNGs), stamped by the engine's stamp onto
 * seeded clean images of the other classes from the scan's own data, then one forward pass of the
 * suspect model (and of the clean reference model, when the scan was given one) over the images as
 * they are and stamped. The answer the gallery shows beside the trigger: does it move the model?
 */
import * as tf from '@tensorflow/tfjs';
import type { StampedPredictions, TopOne } from '../../shared/api.ts';
import { UmaError } from '../../shared/errors.ts';
import type { CaseDb } from '../cases/db.ts';
import { getEvidence } from '../cases/evidence.ts';
import { getScan } from '../cases/scans.ts';
import { imageSize, indicesByClass } from '../engine/data/dataset.ts';
import { decodeImage, encodePng, rgbaToFloats } from '../engine/data/image-codec.ts';
import { loadDataset } from '../engine/data/index.ts';
import { inferLogits } from '../engine/model/common.ts';
import type { Classifier } from '../engine/model/types.ts';
import { deriveSeed, mulberry32, shuffled } from '../engine/random.ts';
import { stamp } from '../engine/scan/uma/stamp.ts';
import { classImages } from './dto.ts';
import { loadEvidenceModel } from './models.ts';

/** A stored trigger PNG as HWC floats in [0,1], checked against the model's input size. */
function pngFloats(png: Uint8Array, what: string, h: number, w: number, channels: 1 | 3): Float32Array {
  const img = decodeImage(png);
  if (img.height !== h || img.width !== w) {
    throw new UmaError(
      'SHAPE_MISMATCH',
      `the stored trigger ${what} is ${img.height}x${img.width}; the model takes ${h}x${w} images`,
    );
  }
  const out = new Float32Array(h * w * channels);
  rgbaToFloats(img, channels, out, 0);
  return out;
}

/** Top-1 class and softmax probability of each row of a model's logits. */
async function topOnes(model: Classifier, x: tf.Tensor4D): Promise<TopOne[]> {
  const logits = await inferLogits(model, x);
  const probs = tf.softmax(logits);
  const rows = await probs.array();
  tf.dispose([logits, probs]);
  return rows.map((r) => {
    const classIndex = r.indexOf(Math.max(...r));
    return { classIndex, probability: r[classIndex] };
  });
}

export async function stampedPredictions(
  cdb: CaseDb,
  scanId: number,
  classIndex: number,
  count: number,
): Promise<StampedPredictions> {
  const scan = getScan(cdb, scanId);
  if (classIndex >= scan.numClasses)
    throw new UmaError('NOT_FOUND', `scan ${scanId} has ${scan.numClasses} classes; there is no class ${classIndex}`);
  if (!scan.job)
    throw new UmaError('NOT_FOUND', `scan ${scanId} records no clean data to stamp images from (it was imported)`);
  const images = classImages(cdb, scanId, classIndex);
  const models: Classifier[] = [];
  const tensors: tf.Tensor[] = [];
  try {
    const model = await loadEvidenceModel(cdb, getEvidence(cdb, scan.evidenceId));
    models.push(model);
    const refId = scan.job.referenceEvidenceId;
    const refEvidence = refId === undefined ? null : getEvidence(cdb, refId);
    const reference = refEvidence && (await loadEvidenceModel(cdb, refEvidence));
    if (reference) models.push(reference);

    const { height: h, width: w } = model.inputSpec;
    const channels = model.inputSpec.channels === 1 ? 1 : 3;
    const data = loadDataset(scan.job.data, { labelsPath: scan.job.labels, classNames: scan.classNames, channels });
    if (data.height !== h || data.width !== w) {
      throw new UmaError(
        'SHAPE_MISMATCH',
        `${data.source}: images are ${data.height}x${data.width}, the model takes ${h}x${w}`,
      );
    }
    const others = indicesByClass(data).flatMap((idx, c) => (c === classIndex ? [] : idx));
    if (others.length === 0) throw new UmaError('BAD_DATA', `${data.source} has no images of other classes`);
    const picks = shuffled(others, mulberry32(deriveSeed(scan.seed, 'stamped-predictions', classIndex))).slice(
      0,
      count,
    );

    const per = imageSize(data);
    const clean = new Float32Array(picks.length * per);
    picks.forEach((i, j) => clean.set(data.images.subarray(i * per, (i + 1) * per), j * per));
    const x = tf.tensor4d(clean, [picks.length, h, w, channels]);
    const mask = tf.tensor2d(pngFloats(images.mask, 'mask', h, w, 1), [h, w]);
    const pattern = tf.tensor3d(pngFloats(images.pattern, 'pattern', h, w, channels), [h, w, channels]);
    tensors.push(x, mask, pattern);
    // The stored mask is the squashed one (what the scan stamped with): stamp takes it as it is.
    const stamped = stamp(x, mask, pattern);
    tensors.push(stamped);
    const both = tf.concat([x, stamped]);
    tensors.push(both);
    const stampedPixels = (await stamped.data()) as Float32Array;

    const answers = async (m: Classifier) => {
      const all = await topOnes(m, both);
      return picks.map((_, j) => ({ clean: all[j], stamped: all[picks.length + j] }));
    };
    const suspect = await answers(model);
    const ref = reference ? await answers(reference) : null;
    return {
      scanId,
      classIndex,
      classNames: scan.classNames,
      data: data.source,
      reference: refEvidence?.displayName ?? null,
      referenceNote: refEvidence
        ? `the clean reference model the scan was given (evidence ${refEvidence.id})`
        : 'the scan trained its own reference model, which is not kept; start a scan with a trusted clean model as ' +
          'its reference to compare here',
      examples: picks.map((sample, j) => ({
        sample,
        label: data.labels[sample],
        clean: encodePng(clean.subarray(j * per, (j + 1) * per), h, w, channels),
        stamped: encodePng(stampedPixels.subarray(j * per, (j + 1) * per), h, w, channels),
        suspect: suspect[j],
        reference: ref ? ref[j] : null,
      })),
    };
  } finally {
    tf.dispose(tensors);
    for (const m of models) m.dispose();
  }
}
