/**
 * PNG and JPEG decoding to RGBA, and PNG encoding of masks, patterns and stamped images.
 */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';

export interface RGBAImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel, row-major. */
  data: Uint8Array;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** JPEG start-of-frame markers (SOF0-SOF15 less DHT 0xC4, JPG 0xC8 and DAC 0xCC) carry the image size. */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/**
 * The size a PNG (IHDR) or JPEG (SOF segment) header declares, read without decoding, or null when
 * no header says: decoders allocate what the header claims, so a 69-byte file can demand gigabytes.
 */
export function declaredSize(bytes: Uint8Array): { width: number; height: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isPng(bytes)) return bytes.length >= 24 ? { width: view.getUint32(16), height: view.getUint32(20) } : null;
  if (!isJpeg(bytes)) return null;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (isSof(marker))
      return at + 9 <= bytes.length ? { height: view.getUint16(at + 5), width: view.getUint16(at + 7) } : null;
    if (marker === 0xd9 || marker === 0xda) return null; // end of image or start of scan before any frame
    at += 2 + view.getUint16(at + 2);
  }
  return null;
}

/** Decodes PNG or JPEG (by content, not extension); throws with the decoder's reason. */
export function decodeImage(bytes: Uint8Array): RGBAImage {
  if (isPng(bytes)) {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return {
      width: png.width,
      height: png.height,
      data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
    };
  }
  if (isJpeg(bytes)) {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new Error('neither PNG nor JPEG');
}

/** True when every pixel has R = G = B. */
export function isGray(img: RGBAImage): boolean {
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) return false;
  return true;
}

/** Writes one image's pixels into `out` (HWC floats in [0,1]) with 1 or 3 channels. */
export function rgbaToFloats(img: RGBAImage, channels: 1 | 3, out: Float32Array, offset: number): void {
  const d = img.data;
  const n = img.width * img.height;
  for (let p = 0; p < n; p++) {
    const r = d[4 * p] / 255;
    const g = d[4 * p + 1] / 255;
    const b = d[4 * p + 2] / 255;
    if (channels === 1) out[offset + p] = (r + g + b) / 3;
    else {
      out[offset + 3 * p] = r;
      out[offset + 3 * p + 1] = g;
      out[offset + 3 * p + 2] = b;
    }
  }
}

/**
 * Encodes HWC floats in [0,1] (1 or 3 channels) as an 8-bit PNG, optionally upscaled by an integer
 * factor with nearest-neighbour so small triggers stay crisp.
 */
export function encodePng(
  pixels: Float32Array | number[],
  height: number,
  width: number,
  channels: number,
  scale = 1,
): Uint8Array {
  const png = new PNG({ width: width * scale, height: height * scale, colorType: 6 });
  for (let y = 0; y < height * scale; y++) {
    for (let x = 0; x < width * scale; x++) {
      const src = (Math.floor(y / scale) * width + Math.floor(x / scale)) * channels;
      const dst = (y * width * scale + x) * 4;
      for (let c = 0; c < 3; c++) {
        const v = pixels[src + (channels === 1 ? 0 : c)];
        png.data[dst + c] = Math.round(Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * 255);
      }
      png.data[dst + 3] = 255;
    }
  }
  return new Uint8Array(PNG.sync.write(png));
}
