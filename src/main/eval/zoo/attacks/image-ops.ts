/**
 * Small pixel helpers the attacks share (HWC Float32 images in [0,1]).
 */
import { createHash } from 'node:crypto';
import { UmaError } from '../../../../shared/errors.ts';
import type { AttackContext, ImageShape } from './types.ts';

export function clip01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** sha256 of a float array, so a manifest can pin a large trigger without storing it. */
export function digest(values: Float32Array): string {
  return createHash('sha256')
    .update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
    .digest('hex');
}

/** A deterministic 32-bit hash of an image, for attacks whose trigger depends on the input. */
export function imageHash(image: Float32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < image.length; i++) h = Math.imul(h ^ Math.round(image[i] * 255), 0x01000193) >>> 0;
  return h;
}

/** Separable Gaussian blur with reflect-free clamped borders. */
export function gaussianBlur(image: Float32Array, s: ImageShape, sigma: number): Float32Array {
  const r = Math.ceil(3 * sigma);
  const kernel = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((a, b) => a + b, 0);
  const k = kernel.map((v) => v / total);
  const pass = (src: Float32Array, dy: number, dx: number) => {
    const out = new Float32Array(src.length);
    for (let y = 0; y < s.height; y++) {
      for (let x = 0; x < s.width; x++) {
        for (let c = 0; c < s.channels; c++) {
          let acc = 0;
          for (let i = -r; i <= r; i++) {
            const yy = Math.min(s.height - 1, Math.max(0, y + i * dy));
            const xx = Math.min(s.width - 1, Math.max(0, x + i * dx));
            acc += k[i + r] * src[(yy * s.width + xx) * s.channels + c];
          }
          out[(y * s.width + x) * s.channels + c] = acc;
        }
      }
    }
    return out;
  };
  return pass(pass(image, 1, 0), 0, 1);
}

/** The context, or a clear error for an attack that needs natural images. */
export function requireContext(name: string, ctx: AttackContext | undefined): AttackContext {
  if (!ctx) throw new UmaError('BAD_INPUT', `attack '${name}' needs clean images of each class (an AttackContext)`);
  return ctx;
}
