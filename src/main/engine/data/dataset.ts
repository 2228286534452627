/**
 * A clean-sample set: NHWC float32 images in [0,1] with integer labels and class names. Every loader
 * returns one; the scanner splits and subsets it with the seeded helpers below.
 */
import { UmaError } from '../../../shared/errors.ts';
import { mulberry32, shuffled } from '../random.ts';

export interface Dataset {
  images: Float32Array;
  labels: Int32Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
  /** Where it came from, for reports ("demo", a folder, an IDX file). */
  source: string;
  /** What the loader changed that the analyst should know (colour converted to grayscale). */
  warnings?: string[];
}

export function imageSize(ds: Pick<Dataset, 'height' | 'width' | 'channels'>): number {
  return ds.height * ds.width * ds.channels;
}

/** Validates shapes and labels, so a malformed set fails here with a named problem, not mid-scan. */
export function makeDataset(ds: Dataset): Dataset {
  const per = imageSize(ds);
  if (ds.count === 0) throw new UmaError('BAD_DATA', `${ds.source}: the data set holds no images`);
  if (ds.images.length !== ds.count * per) {
    throw new UmaError(
      'BAD_DATA',
      `${ds.source}: ${ds.images.length} values do not make ${ds.count} images of ${ds.height}x${ds.width}x${ds.channels}`,
    );
  }
  if (ds.labels.length !== ds.count) {
    throw new UmaError('BAD_DATA', `${ds.source}: ${ds.labels.length} labels for ${ds.count} images`);
  }
  const n = ds.classNames.length;
  for (let i = 0; i < ds.count; i++) {
    const y = ds.labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= n) {
      throw new UmaError('BAD_DATA', `${ds.source}: label ${y} of image ${i} is out of range 0..${n - 1}`);
    }
  }
  return ds;
}

/** Sample indices of each class, in data order. */
export function indicesByClass(ds: Pick<Dataset, 'labels' | 'classNames' | 'count'>): number[][] {
  const out: number[][] = ds.classNames.map(() => []);
  for (let i = 0; i < ds.count; i++) out[ds.labels[i]].push(i);
  return out;
}

export function classCounts(ds: Pick<Dataset, 'labels' | 'classNames' | 'count'>): number[] {
  return indicesByClass(ds).map((idx) => idx.length);
}

/** The samples at `indices`, in that order. */
export function subset(ds: Dataset, indices: readonly number[], source = ds.source): Dataset {
  const per = imageSize(ds);
  const images = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  indices.forEach((src, dst) => {
    images.set(ds.images.subarray(src * per, (src + 1) * per), dst * per);
    labels[dst] = ds.labels[src];
  });
  return { ...ds, images, labels, count: indices.length, source };
}

/**
 * Seeded stratified split: each class contributes `fraction` of its samples (rounded, at least one
 * when it has two or more) to the first part; the rest go to the second.
 */
export function stratifiedSplit(ds: Dataset, fraction: number, seed: number): [Dataset, Dataset] {
  if (!(fraction > 0 && fraction < 1))
    throw new UmaError('BAD_INPUT', `split fraction must be in (0,1), not ${fraction}`);
  const rand = mulberry32(seed);
  const first: number[] = [];
  const second: number[] = [];
  for (const idx of indicesByClass(ds)) {
    const order = shuffled(idx, rand);
    let k = Math.round(order.length * fraction);
    if (order.length >= 2) k = Math.min(Math.max(k, 1), order.length - 1);
    first.push(...order.slice(0, k));
    second.push(...order.slice(k));
  }
  first.sort((a, b) => a - b);
  second.sort((a, b) => a - b);
  return [subset(ds, first), subset(ds, second)];
}

/** Keeps at most `perClass` samples of each class, chosen with the seed. */
export function limitPerClass(ds: Dataset, perClass: number, seed: number): Dataset {
  const rand = mulberry32(seed);
  const keep = indicesByClass(ds).flatMap((idx) => shuffled(idx, rand).slice(0, perClass));
  keep.sort((a, b) => a - b);
  return subset(ds, keep);
}

/** Fails with a named problem when a class has no samples (a scan needs every class). */
export function requireEveryClass(ds: Dataset): void {
  const empty = classCounts(ds).flatMap((c, k) => (c === 0 ? [`${k} (${ds.classNames[k]})`] : []));
  if (empty.length)
    throw new UmaError(
      'BAD_DATA',
      `${ds.source}: no samples of class ${empty.join(', ')}; every class needs clean samples`,
    );
}
