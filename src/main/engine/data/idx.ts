/**
 * IDX files (the MNIST format): big-endian magic 0x00 0x00 type ndims, ndims big-endian uint32 sizes,
 * then the data in C order. Gzipped files are detected by their magic bytes, whatever their name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UmaError } from '../../../shared/errors.ts';
import { makeDataset, type Dataset } from './dataset.ts';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

export function parseIdx(raw: Uint8Array, name: string): IdxArray {
  let buf = raw;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (err) {
      throw new UmaError('BAD_DATA', `${name}: corrupt gzip stream (${(err as Error).message})`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new UmaError('BAD_DATA', `${name}: not an IDX file (bad magic)`);
  if (buf[2] !== UBYTE) throw new UmaError('BAD_DATA', `${name}: IDX element type 0x${buf[2].toString(16)} is not supported (only unsigned bytes, 0x08)`);
  const ndims = buf[3];
  const header = 4 + 4 * ndims;
  if (ndims === 0 || buf.length < header) throw new UmaError('BAD_DATA', `${name}: truncated IDX header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((a, b) => a * b, 1);
  if (buf.length - header < size) {
    throw new UmaError('BAD_DATA', `${name}: truncated: header says ${shape.join('x')} (${size} bytes), file holds ${buf.length - header}`);
  }
  return { shape, data: buf.subarray(header, header + size) };
}

function readIdx(path: string): IdxArray {
  if (!existsSync(path)) throw new UmaError('BAD_DATA', `${path}: no such file`);
  return parseIdx(readFileSync(path), path);
}

/** The labels file beside an images file: "t10k-images-idx3-ubyte.gz" -> "t10k-labels-idx1-ubyte.gz". */
export function labelsPathFor(imagesPath: string): string | undefined {
  const name = basename(imagesPath);
  if (!name.includes('images')) return undefined;
  const candidate = join(dirname(imagesPath), name.replace('images', 'labels').replace(/idx[34]/, 'idx1'));
  return existsSync(candidate) ? candidate : undefined;
}

export interface IdxOptions {
  labelsPath?: string;
  classNames?: string[];
}

function labelsFileOf(imagesPath: string, opts: IdxOptions): string {
  const labelsPath = opts.labelsPath ?? labelsPathFor(imagesPath);
  if (!labelsPath) {
    throw new UmaError('BAD_DATA', `${imagesPath}: no labels file beside it (expected a name with 'labels' in place of 'images'); give one with --labels`);
  }
  return labelsPath;
}

function classNamesOf(labels: ArrayLike<number>, given?: string[]): string[] {
  if (given) return given;
  let maxLabel = 0;
  for (let i = 0; i < labels.length; i++) maxLabel = Math.max(maxLabel, labels[i]);
  return Array.from({ length: maxLabel + 1 }, (_, k) => String(k));
}

/** The class names of an IDX set from its labels file alone (the images are not read). */
export function idxClasses(imagesPath: string, opts: IdxOptions = {}): string[] {
  return classNamesOf(readIdx(labelsFileOf(imagesPath, opts)).data, opts.classNames);
}

export function loadIdxDataset(imagesPath: string, opts: IdxOptions = {}): Dataset {
  const labelsPath = labelsFileOf(imagesPath, opts);
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.shape.length !== 3 && images.shape.length !== 4) {
    throw new UmaError('BAD_DATA', `${imagesPath}: images must be N x H x W or N x H x W x C, not ${images.shape.join(' x ')}`);
  }
  const [count, height, width, channels = 1] = images.shape;
  if (labels.shape.length !== 1 || labels.shape[0] !== count) {
    throw new UmaError('BAD_DATA', `${labelsPath}: ${labels.shape.join(' x ')} labels do not match ${count} images in ${imagesPath}`);
  }
  const floats = new Float32Array(images.data.length);
  for (let i = 0; i < floats.length; i++) floats[i] = images.data[i] / 255;
  const classNames = classNamesOf(labels.data, opts.classNames);
  return makeDataset({
    images: floats,
    labels: Int32Array.from(labels.data),
    count, height, width, channels, classNames,
    source: imagesPath,
  });
}
