/**
 * IDX files (the MNIST format): big-endian magic 0x00 0x00 type ndims, ndims big-endian uint32 sizes,
 * then the data in C order. Gzipped files are detected by their magic bytes, whatever their name, and
 * inflated only as far as the header's data reaches.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Gunzip } from 'fflate';
import { UmaError } from '../../../shared/errors.ts';
import { readRegularFile } from '../files.ts';
import { makeDataset, type Dataset } from './dataset.ts';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** Values an IDX file may hold (1 GiB as float32 images); a header that claims more is refused. */
export const MAX_IDX_VALUES = 2 ** 28;
/** Compressed bytes fed to the inflater at a time: deflate expands at most ~1000x, so ~16 MiB out per step. */
const GZIP_STEP = 16 * 1024;
/** The longest IDX header: 4 bytes, then 4 per dimension (at most 255). */
const MAX_HEADER = 4 + 4 * 255;

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/**
 * The shape and data offset of an IDX header, or null while `buf` is too short to hold it. Checks
 * the magic, the element type and the size the header claims, so a bomb is refused before its data.
 */
interface IdxHeader {
  shape: number[];
  /** Where the data starts, and how many bytes of it the shape needs. */
  offset: number;
  size: number;
}

function readHeader(buf: Uint8Array, name: string): IdxHeader | null {
  if (buf.length < 4) return null;
  if (buf[0] !== 0 || buf[1] !== 0) throw new UmaError('BAD_DATA', `${name}: not an IDX file (bad magic)`);
  if (buf[2] !== UBYTE)
    throw new UmaError(
      'BAD_DATA',
      `${name}: IDX element type 0x${buf[2].toString(16)} is not supported (only unsigned bytes, 0x08)`,
    );
  const ndims = buf[3];
  if (ndims === 0) throw new UmaError('BAD_DATA', `${name}: truncated IDX header`);
  const offset = 4 + 4 * ndims;
  if (buf.length < offset) return null;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((a, b) => a * b, 1);
  if (size > MAX_IDX_VALUES) {
    const claim = `${shape.join('x')} values, more than the ${MAX_IDX_VALUES} a data set may hold`;
    throw new UmaError('BAD_DATA', `${name}: the header claims ${claim}`);
  }
  return { shape, offset, size };
}

/** Inflates `raw` a step at a time until `enough` says so or the input ends; what came out so far. */
type Enough = (chunks: Uint8Array[], have: number) => boolean;

function inflateUntil(raw: Uint8Array, name: string, enough: Enough): { chunks: Uint8Array[]; have: number } {
  const chunks: Uint8Array[] = [];
  let have = 0;
  const gz = new Gunzip((chunk) => {
    chunks.push(chunk);
    have += chunk.length;
  });
  for (let at = 0; !enough(chunks, have) && at < raw.length; at += GZIP_STEP) {
    try {
      gz.push(raw.subarray(at, at + GZIP_STEP), at + GZIP_STEP >= raw.length);
    } catch (err) {
      throw new UmaError('BAD_DATA', `${name}: corrupt gzip stream (${(err as Error).message})`);
    }
  }
  return { chunks, have };
}

/**
 * Inflates a gzipped IDX file no further than its header's data: the header is inflated first (a
 * header that claims too much is refused then), the data by zlib with that many bytes as its limit,
 * and only a file with bytes beyond that (rare) is inflated step by step up to the limit.
 */
function gunzipIdx(raw: Uint8Array, name: string): Uint8Array {
  let found: IdxHeader | null = null;
  const head = inflateUntil(raw, name, (chunks, have) => {
    found = readHeader(concat(chunks, Math.min(have, MAX_HEADER)), name);
    return found !== null;
  });
  const h = found as IdxHeader | null; // assigned in the callback, which TypeScript's narrowing does not follow
  if (!h) return concat(head.chunks, head.have);
  const need = h.offset + h.size;
  try {
    return gunzipSync(raw, { maxOutputLength: need });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') {
      throw new UmaError('BAD_DATA', `${name}: corrupt gzip stream (${(err as Error).message})`);
    }
  }
  const all = inflateUntil(raw, name, (_, have) => have >= need);
  return concat(all.chunks, Math.min(all.have, need));
}

/** The first `length` bytes of `chunks` joined. */
function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    if (at >= length) break;
    out.set(c.subarray(0, length - at), at);
    at += c.length;
  }
  return out;
}

export function parseIdx(raw: Uint8Array, name: string): IdxArray {
  const buf = isGzip(raw) ? gunzipIdx(raw, name) : raw;
  const h = readHeader(buf, name);
  if (!h) {
    throw new UmaError(
      'BAD_DATA',
      buf.length < 4 ? `${name}: not an IDX file (bad magic)` : `${name}: truncated IDX header`,
    );
  }
  if (buf.length - h.offset < h.size) {
    throw new UmaError(
      'BAD_DATA',
      `${name}: truncated: header says ${h.shape.join('x')} (${h.size} bytes), file holds ${buf.length - h.offset}`,
    );
  }
  return { shape: h.shape, data: buf.subarray(h.offset, h.offset + h.size) };
}

function readIdx(path: string): IdxArray {
  return parseIdx(readRegularFile(path), path);
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
    throw new UmaError(
      'BAD_DATA',
      `${imagesPath}: no labels file beside it (expected a name with 'labels' in place of 'images'); give one with --labels`,
    );
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
    throw new UmaError(
      'BAD_DATA',
      `${imagesPath}: images must be N x H x W or N x H x W x C, not ${images.shape.join(' x ')}`,
    );
  }
  const [count, height, width, channels = 1] = images.shape;
  if (labels.shape.length !== 1 || labels.shape[0] !== count) {
    throw new UmaError(
      'BAD_DATA',
      `${labelsPath}: ${labels.shape.join(' x ')} labels do not match ${count} images in ${imagesPath}`,
    );
  }
  const floats = new Float32Array(images.data.length);
  for (let i = 0; i < floats.length; i++) floats[i] = images.data[i] / 255;
  const classNames = classNamesOf(labels.data, opts.classNames);
  return makeDataset({
    images: floats,
    labels: Int32Array.from(labels.data),
    count,
    height,
    width,
    channels,
    classNames,
    source: imagesPath,
  });
}
