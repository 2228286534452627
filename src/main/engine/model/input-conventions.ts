/**
 * The input convention a model was trained with, worked out instead of guessed: the common
 * conventions ([0,1], [0,255], [-1,1], ImageNet and CIFAR mean/std, MNIST's for one channel; RGB and
 * BGR for three channels) are tried on a seeded sample of the clean data, and the most accurate one
 * is recommended. A scan whose given spec is far below the best is warned about: a wrong intensity
 * range is the commonest way a scanner fails on a user's own model (Neural Cleanse's "detection
 * ineffective on MNIST" was one).
 */
import * as tf from '@tensorflow/tfjs';
import { type Dataset, imageSize } from '../data/dataset.ts';
import { mulberry32, shuffled } from '../random.ts';
import type { Classifier } from './types.ts';
import { takeData } from '../backend/read.ts';

export interface InputConvention {
  id: string;
  label: string;
  /** In [0,1] pixel units, per channel in the model's channel order: the model sees (x - mean) / std. */
  mean: number[];
  std: number[];
  channelOrder: 'RGB' | 'BGR';
}

export interface ConventionScore extends InputConvention {
  accuracy: number;
}

export interface InputSurvey {
  sampled: number;
  /** Every convention tried, best first. */
  scores: ConventionScore[];
  best: ConventionScore;
  /** The spec the model is loaded with (its mean/std, RGB). */
  given: ConventionScore;
  /** Set when the given spec is far below the best one. */
  warning?: string;
}

/** How far (absolute top-1) the given spec may fall below the best before a scan is warned. */
export const SPEC_GAP_WARNING = 0.1;
const DEFAULT_SAMPLE = 256;
const BATCH = 128;

const fill = (n: number, v: number) => Array<number>(n).fill(v);

export function inputConventions(channels: number): InputConvention[] {
  const base: Omit<InputConvention, 'channelOrder'>[] = [
    { id: 'unit', label: '[0,1]', mean: fill(channels, 0), std: fill(channels, 1) },
    { id: '255', label: '[0,255]', mean: fill(channels, 0), std: fill(channels, 1 / 255) },
    { id: 'pm1', label: '[-1,1]', mean: fill(channels, 0.5), std: fill(channels, 0.5) },
  ];
  if (channels === 3) {
    base.push(
      { id: 'imagenet', label: 'ImageNet mean/std', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      { id: 'cifar', label: 'CIFAR-10 mean/std', mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
    );
  } else if (channels === 1) {
    base.push({ id: 'mnist', label: 'MNIST mean/std', mean: [0.1307], std: [0.3081] });
  }
  const rgb = base.map((c) => ({ ...c, channelOrder: 'RGB' as const }));
  if (channels !== 3) return rgb;
  const bgr = base.map((c) => ({
    ...c,
    id: `${c.id}-bgr`,
    label: `${c.label}, BGR`,
    mean: [...c.mean].reverse(),
    std: [...c.std].reverse(),
    channelOrder: 'BGR' as const,
  }));
  // Keras applications' 'caffe' mode (VGG, ResNet50): BGR, 0-255, ImageNet means subtracted, no scaling.
  const caffe: InputConvention = {
    id: 'caffe',
    label: 'Caffe (BGR, 0-255 minus ImageNet mean)',
    mean: [103.939 / 255, 116.779 / 255, 123.68 / 255],
    std: fill(3, 1 / 255),
    channelOrder: 'BGR',
  };
  return [...rgb, ...bgr, caffe];
}

/**
 * Top-1 accuracy of `model` on `x` (NHWC, [0,1], RGB) when its network sees the convention `c`
 * instead of its own spec: predict normalises with the spec's (m0, s0), so it is fed
 * m0 + s0 * (x' - mean) / std, x' being x in the convention's channel order.
 */
async function accuracyUnder(
  model: Classifier,
  images: Float32Array,
  labels: Int32Array,
  shape: [number, number, number],
  c: InputConvention,
): Promise<number> {
  const { mean: m0, std: s0 } = model.inputSpec;
  const size = shape[0] * shape[1] * shape[2];
  let correct = 0;
  for (let start = 0; start < labels.length; start += BATCH) {
    const n = Math.min(BATCH, labels.length - start);
    const predicted = tf.tidy(() => {
      let x: tf.Tensor4D = tf.tensor4d(images.subarray(start * size, (start + n) * size), [n, ...shape]);
      if (c.channelOrder === 'BGR') x = tf.reverse(x, 3);
      const seen = tf.div(tf.sub(x, tf.tensor1d(c.mean)), tf.tensor1d(c.std));
      const fed = tf.add<tf.Tensor4D>(tf.tensor1d(m0), tf.mul(tf.tensor1d(s0), seen));
      return tf.argMax(model.predict(fed), 1);
    });
    const pred = await takeData<'int32'>(predicted);
    for (let i = 0; i < n; i++) if (pred[i] === labels[start + i]) correct++;
  }
  return correct / labels.length;
}

const sameNumbers = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-6);

/** Tries every convention on a seeded sample of `ds`; the model's own spec is scored alongside. */
export async function surveyInputConventions(
  model: Classifier,
  ds: Dataset,
  opts: { sample?: number; seed?: number } = {},
): Promise<InputSurvey> {
  const shape: [number, number, number] = [ds.height, ds.width, ds.channels];
  const picked = shuffled(
    Array.from({ length: ds.count }, (_, i) => i),
    mulberry32(opts.seed ?? 1),
  ).slice(0, opts.sample ?? DEFAULT_SAMPLE);
  const size = imageSize(ds);
  const images = new Float32Array(picked.length * size);
  const labels = new Int32Array(picked.length);
  picked.forEach((src, k) => {
    images.set(ds.images.subarray(src * size, (src + 1) * size), k * size);
    labels[k] = ds.labels[src];
  });
  const spec = model.inputSpec;
  const candidates = inputConventions(ds.channels);
  const own = candidates.find(
    (c) => c.channelOrder === 'RGB' && sameNumbers(c.mean, spec.mean) && sameNumbers(c.std, spec.std),
  );
  const givenConvention: InputConvention = own ?? {
    id: 'given',
    label: `mean [${spec.mean.join(', ')}], std [${spec.std.join(', ')}]`,
    mean: spec.mean,
    std: spec.std,
    channelOrder: 'RGB',
  };
  // One convention at a time: each is a pass over the sample, and the backend runs one at a time anyway.
  const scores: ConventionScore[] = [];
  for (const c of candidates) scores.push({ ...c, accuracy: await accuracyUnder(model, images, labels, shape, c) });
  const given = own
    ? scores.find((s) => s.id === own.id)!
    : { ...givenConvention, accuracy: await accuracyUnder(model, images, labels, shape, givenConvention) };
  // Best first; a tie keeps the list order, which puts the plainer convention first.
  const ranked = scores
    .map((s, i) => ({ s, i }))
    .sort((a, b) => b.s.accuracy - a.s.accuracy || a.i - b.i)
    .map(({ s }) => s);
  const best = ranked[0].accuracy > given.accuracy ? ranked[0] : given;
  const survey: InputSurvey = { sampled: picked.length, scores: ranked, best, given };
  const warning = specWarning(survey);
  return warning ? { ...survey, warning } : survey;
}

/** The flags that select a convention, or why none can (UMA feeds RGB). */
export function conventionFlags(c: InputConvention): string {
  if (c.channelOrder === 'BGR') return 'BGR-ordered images (the model is BGR; UMA feeds channels as stored)';
  const r = (v: number) => Number(v.toPrecision(6));
  return `--mean ${c.mean.map(r).join(',')} --std ${c.std.map(r).join(',')}`;
}

export function specWarning(s: Pick<InputSurvey, 'best' | 'given' | 'sampled'>): string | undefined {
  if (s.best.accuracy - s.given.accuracy < SPEC_GAP_WARNING) return undefined;
  const pct = (a: number) => `${(a * 100).toFixed(1)}%`;
  return (
    `INPUT SPEC LIKELY WRONG: the model reaches ${pct(s.given.accuracy)} on ${s.sampled} clean images with the given input ` +
    `spec (${s.given.label}) but ${pct(s.best.accuracy)} with ${s.best.label}; scan results under a wrong spec are meaningless. ` +
    `Use ${conventionFlags(s.best)} (uma inspect MODEL --data DATA lists every convention).`
  );
}
