import { describe, expect, it, beforeAll } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  loadDataset,
  stratifiedSplit,
  limitPerClass,
  classCounts,
  requireEveryClass,
} from '../../../src/main/engine/data/index.ts';
import { encodePng } from '../../../src/main/engine/data/image-codec.ts';
import { parseIdx } from '../../../src/main/engine/data/idx.ts';

const SHARED = join(import.meta.dirname, '../../../../shared/datasets');

function idx(shape: number[], data: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head[2] = 0x08;
  head[3] = shape.length;
  shape.forEach((s, i) => head.writeUInt32BE(s, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'uma-data-'));
}

function png(h: number, w: number, ch: number, v: number): Uint8Array {
  return encodePng(new Float32Array(h * w * ch).fill(v), h, w, ch);
}

describe('IDX loader', () => {
  it('reads gzipped and raw files with labels found beside the images', () => {
    const dir = tmp();
    const pixels = [0, 255, 51, 102, 0, 0, 255, 255];
    writeFileSync(join(dir, 'a-images-idx3-ubyte.gz'), gzipSync(idx([2, 2, 2], pixels)));
    writeFileSync(join(dir, 'a-labels-idx1-ubyte.gz'), gzipSync(idx([2], [1, 0])));
    writeFileSync(join(dir, 'b-images-idx3-ubyte'), idx([2, 2, 2], pixels));
    writeFileSync(join(dir, 'b-labels-idx1-ubyte'), idx([2], [1, 0]));
    for (const f of ['a-images-idx3-ubyte.gz', 'b-images-idx3-ubyte']) {
      const ds = loadDataset(join(dir, f));
      expect([ds.count, ds.height, ds.width, ds.channels]).toEqual([2, 2, 2, 1]);
      expect(Array.from(ds.images.slice(0, 4))).toEqual(Array.from(new Float32Array([0, 1, 0.2, 0.4])));
      expect(Array.from(ds.labels)).toEqual([1, 0]);
      expect(ds.classNames).toEqual(['0', '1']);
    }
  });

  it('reads the shared CIFAR-10 test split as 32x32x3', () => {
    const ds = loadDataset(join(SHARED, 'cifar10/test-images-idx4-ubyte.gz'));
    expect([ds.count, ds.height, ds.width, ds.channels]).toEqual([10000, 32, 32, 3]);
    expect(classCounts(ds)).toEqual(Array(10).fill(1000));
  });

  it('names the problem in bad files', () => {
    const dir = tmp();
    expect(() => parseIdx(Buffer.from('hello world'), 'x.idx')).toThrow(/x\.idx: not an IDX file/);
    expect(() => parseIdx(idx([3, 2, 2], [1, 2, 3]), 't.idx')).toThrow(/t\.idx: truncated/);
    expect(() => parseIdx(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 'z.gz')).toThrow(/z\.gz: corrupt gzip/);
    writeFileSync(join(dir, 'c-images-idx3-ubyte'), idx([2, 1, 1], [0, 0]));
    expect(() => loadDataset(join(dir, 'c-images-idx3-ubyte'))).toThrow(/no labels file beside it/);
    writeFileSync(join(dir, 'c-labels-idx1-ubyte'), idx([3], [0, 1, 2]));
    expect(() => loadDataset(join(dir, 'c-images-idx3-ubyte'))).toThrow(/labels do not match 2 images/);
    writeFileSync(join(dir, 'c-labels-idx1-ubyte'), idx([2], [0, 7]));
    expect(() => loadDataset(join(dir, 'c-images-idx3-ubyte'), { classNames: ['a', 'b'] })).toThrow(
      /label 7 of image 1 is out of range 0\.\.1/,
    );
  });
});

describe('image folder loader', () => {
  let root: string;
  beforeAll(() => {
    root = tmp();
    for (const [cls, v] of [
      ['cat', 0.2],
      ['dog', 0.8],
    ] as const) {
      mkdirSync(join(root, cls));
      for (let i = 0; i < 3; i++) writeFileSync(join(root, cls, `${i}.png`), png(4, 5, 3, v));
    }
  });

  it('orders classes by sorted folder name and reads gray images as one channel', () => {
    const ds = loadDataset(root);
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect([ds.count, ds.height, ds.width, ds.channels]).toEqual([6, 4, 5, 1]);
    expect(Array.from(ds.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(ds.images[0]).toBeCloseTo(51 / 255, 5);
    const swapped = loadDataset(root, { classNames: ['dog', 'cat'] });
    expect(swapped.labels[0]).toBe(0);
    expect(swapped.images[0]).toBeCloseTo(204 / 255, 5); // dog images come first, as class 0
    expect(loadDataset(root, { channels: 3 }).channels).toBe(3);
  });

  it('reads colour images as three channels', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'a'));
    const px = new Float32Array(2 * 2 * 3);
    px[0] = 1; // one red pixel
    writeFileSync(join(dir, 'a', 'x.png'), encodePng(px, 2, 2, 3));
    const ds = loadDataset(dir);
    expect(ds.channels).toBe(3);
    expect(Array.from(ds.images.slice(0, 3))).toEqual([1, 0, 0]);
  });

  it('names each bad input', () => {
    expect(() => loadDataset(join(root, 'nope'))).toThrow(/nope: no such file or folder/);
    const empty = tmp();
    expect(() => loadDataset(empty)).toThrow(/no class sub-folders/);
    const noImages = tmp();
    mkdirSync(join(noImages, 'a'));
    mkdirSync(join(noImages, 'b'));
    writeFileSync(join(noImages, 'a', '0.png'), png(2, 2, 1, 0));
    writeFileSync(join(noImages, 'b', 'readme.txt'), 'x');
    expect(() => loadDataset(noImages)).toThrow(/b: class 'b' has no PNG or JPEG images/);
    const broken = tmp();
    mkdirSync(join(broken, 'a'));
    writeFileSync(join(broken, 'a', 'bad.png'), 'not a png');
    expect(() => loadDataset(broken)).toThrow(/bad\.png: unreadable image/);
    const mixed = tmp();
    mkdirSync(join(mixed, 'a'));
    writeFileSync(join(mixed, 'a', '0.png'), png(2, 2, 1, 0));
    writeFileSync(join(mixed, 'a', '1.png'), png(3, 2, 1, 0));
    expect(() => loadDataset(mixed)).toThrow(/1\.png: 2x3 differs from .*0\.png \(2x2\)/);
    expect(() => loadDataset(root, { classNames: ['cat', 'cow'] })).toThrow(/class folder\(s\) cow not found/);
  });
});

describe('demo set and splits', () => {
  it('bundles about 1,000 MNIST digits per class', () => {
    const ds = loadDataset('demo');
    expect([ds.height, ds.width, ds.channels]).toEqual([28, 28, 1]);
    const counts = classCounts(ds);
    expect(counts).toHaveLength(10);
    for (const c of counts) expect(c).toBeGreaterThan(800);
    expect(Math.max(...ds.images.slice(0, 784 * 10))).toBeLessThanOrEqual(1);
  });

  it('splits each class in proportion, repeatably for a seed', () => {
    const ds = loadDataset('demo');
    const [a, b] = stratifiedSplit(ds, 0.2, 42);
    expect(a.count + b.count).toBe(ds.count);
    classCounts(a).forEach((c, k) => expect(Math.abs(c - 0.2 * classCounts(ds)[k])).toBeLessThanOrEqual(1));
    const [a2] = stratifiedSplit(ds, 0.2, 42);
    const [a3] = stratifiedSplit(ds, 0.2, 43);
    expect(Array.from(a2.images.slice(0, 5000))).toEqual(Array.from(a.images.slice(0, 5000)));
    expect(Buffer.from(a3.images.buffer).equals(Buffer.from(a.images.buffer))).toBe(false);
    const small = limitPerClass(ds, 7, 1);
    expect(classCounts(small)).toEqual(Array(10).fill(7));
    requireEveryClass(small);
    expect(() => requireEveryClass({ ...small, classNames: [...small.classNames, 'ghost'] })).toThrow(
      /no samples of class 10 \(ghost\)/,
    );
  });
});
