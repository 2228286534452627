/**
 * Issue 15, defects 4, 5 and 10 (data side): decompression and pixel bombs are refused from their
 * headers before anything is allocated, special files and link loops are named, a symlinked class
 * folder is followed, and colour converted to grayscale for a 1-channel model is reported.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../src/main/engine/data/index.ts';
import { encodePng } from '../../../src/main/engine/data/image-codec.ts';
import { parseIdx } from '../../../src/main/engine/data/idx.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'uma-hostile-data-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function idxHeader(shape: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head[2] = 0x08;
  head[3] = shape.length;
  shape.forEach((s, i) => head.writeUInt32BE(s, 4 + 4 * i));
  return head;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A tiny PNG whose IHDR claims width x height (8-bit RGBA); its pixel data is a few bytes. */
function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    sig,
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 3, 0, 0, 0, 0, 1])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG start whose SOF0 segment claims width x height. */
function jpegClaiming(width: number, height: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, 0, 0, 0, 0, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), sof, Buffer.from([0xff, 0xd9])]);
}

const png = (h: number, w: number, ch: number, v: number) => encodePng(new Float32Array(h * w * ch).fill(v), h, w, ch);

describe('bombs', () => {
  it('refuses a gzipped IDX whose header claims a gigabyte, from the header', () => {
    const bomb = gzipSync(Buffer.concat([idxHeader([16384, 256, 256]), Buffer.alloc(2 ** 16)]));
    expect(() => parseIdx(bomb, 'bomb.gz')).toThrow(/bomb\.gz: the header claims 16384x256x256 values, more than/);
  });

  it('inflates a gzipped IDX only as far as its header reaches', () => {
    const data = Buffer.concat([
      idxHeader([2, 2, 2]),
      Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]),
      Buffer.alloc(4 * 2 ** 20, 7),
    ]);
    const parsed = parseIdx(gzipSync(data), 'trailing.gz');
    expect(parsed.shape).toEqual([2, 2, 2]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // The decoded buffer holds the header and its data, not the 4 MiB that follow.
    expect(parsed.data.buffer.byteLength).toBeLessThan(2 ** 20);
  });

  it('refuses a 20000x20000 PNG or JPEG by its header, before decoding', () => {
    for (const [name, bytes] of [
      ['x.png', pngClaiming(20000, 20000)],
      ['x.jpg', jpegClaiming(20000, 20000)],
    ] as const) {
      const root = tmp();
      mkdirSync(join(root, 'a'));
      writeFileSync(join(root, 'a', name), bytes);
      expect(() => loadDataset(root)).toThrow(/declares 20000x20000 pixels, more than/);
    }
  });

  it('refuses an image whose header size differs from the first before decoding it', () => {
    const root = tmp();
    mkdirSync(join(root, 'a'));
    writeFileSync(join(root, 'a', '1.png'), png(4, 4, 1, 0.5));
    writeFileSync(join(root, 'a', '2.png'), pngClaiming(4000, 4000));
    expect(() => loadDataset(root)).toThrow(/2\.png: 4000x4000 differs from .*1\.png \(4x4\)/);
  });
});

describe('special files and links', () => {
  it('names a FIFO given as an IDX file, a device image and a link loop given as the data', () => {
    const root = tmp();
    const fifo = join(root, 'images-idx3-ubyte');
    execFileSync('mkfifo', [fifo]);
    writeFileSync(join(root, 'labels-idx1-ubyte'), idxHeader([0]));
    expect(() => loadDataset(fifo)).toThrow(/a FIFO/);
    const loop = join(root, 'loop');
    symlinkSync(loop, loop);
    expect(() => loadDataset(loop)).toThrow(/loop: symbolic link loop/);
    const folder = join(root, 'folder');
    mkdirSync(join(folder, 'a'), { recursive: true });
    symlinkSync('/dev/zero', join(folder, 'a', 'zero.png'));
    expect(() => loadDataset(folder)).toThrow(/zero\.png: a device/);
  });

  it('follows a class folder that is a symbolic link to a folder, and names a class-folder link loop', () => {
    const root = tmp();
    const elsewhere = tmp();
    mkdirSync(join(root, 'a'));
    mkdirSync(join(elsewhere, 'b'));
    writeFileSync(join(root, 'a', 'x.png'), png(2, 2, 1, 0.25));
    writeFileSync(join(elsewhere, 'b', 'y.png'), png(2, 2, 1, 0.75));
    symlinkSync(join(elsewhere, 'b'), join(root, 'b'));
    const ds = loadDataset(root);
    expect(ds.classNames).toEqual(['a', 'b']);
    expect(ds.count).toBe(2);
    symlinkSync(join(root, 'c'), join(root, 'c'));
    expect(() => loadDataset(root)).toThrow(/c: symbolic link loop/);
  });
});

describe('colour for a 1-channel model', () => {
  it('converts, and says so in the data set warnings', () => {
    const root = tmp();
    mkdirSync(join(root, 'a'));
    const px = new Float32Array(2 * 2 * 3);
    px[0] = 1;
    writeFileSync(join(root, 'a', 'red.png'), encodePng(px, 2, 2, 3));
    writeFileSync(join(root, 'a', 'gray.png'), png(2, 2, 1, 0.5));
    const ds = loadDataset(root, { channels: 1 });
    expect(ds.channels).toBe(1);
    expect(ds.warnings).toEqual([
      "1 of 2 images are in colour; converted to grayscale (mean of R, G and B) for the model's 1-channel input",
    ]);
    expect(loadDataset(root, { channels: 3 }).warnings).toBeUndefined();
  });
});
