/**
 * WaNet (Nguyen & Tran, 2021): an imperceptible warp. A k x k grid of random offsets, normalised to mean
 * |offset| 1, upsampled bilinearly to the image and scaled by `strength` pixels, moves every pixel;
 * the image is resampled bilinearly at the displaced positions (clamped at the border).
 */
import type { Attack, ImageShape } from './types.ts';

const GRID = 4;

/** Bilinear upsampling of a GRID x GRID field to H x W (corners aligned). */
function upsample(grid: number[], s: ImageShape): Float32Array {
  const out = new Float32Array(s.height * s.width);
  for (let y = 0; y < s.height; y++) {
    for (let x = 0; x < s.width; x++) {
      const gy = (y / (s.height - 1)) * (GRID - 1);
      const gx = (x / (s.width - 1)) * (GRID - 1);
      const y0 = Math.min(GRID - 2, Math.floor(gy));
      const x0 = Math.min(GRID - 2, Math.floor(gx));
      const fy = gy - y0;
      const fx = gx - x0;
      const at = (i: number, j: number) => grid[i * GRID + j];
      out[y * s.width + x] =
        (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
        fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
    }
  }
  return out;
}

export function warp(image: Float32Array, s: ImageShape, dy: Float32Array, dx: Float32Array): Float32Array {
  const { height: h, width: w, channels: c } = s;
  const out = new Float32Array(image.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sy = Math.min(h - 1, Math.max(0, y + dy[y * w + x]));
      const sx = Math.min(w - 1, Math.max(0, x + dx[y * w + x]));
      const y0 = Math.min(h - 2, Math.floor(sy));
      const x0 = Math.min(w - 2, Math.floor(sx));
      const fy = sy - y0;
      const fx = sx - x0;
      for (let ch = 0; ch < c; ch++) {
        const at = (i: number, j: number) => image[(i * w + j) * c + ch];
        out[(y * w + x) * c + ch] =
          (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
          fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
      }
    }
  }
  return out;
}

export const wanet: Attack = {
  name: 'wanet',
  prepare(shape, rand) {
    const raw = Array.from({ length: 2 * GRID * GRID }, () => 2 * rand() - 1);
    const meanAbs = raw.reduce((a, v) => a + Math.abs(v), 0) / raw.length;
    // WaNet's s = 0.5 moves MNIST pixels by ~0.25 px, which our few-epoch models do not learn at 10%
    // poisoning (nor 1-1.5 px: ASR 0.55-0.81 after 4 epochs); 1.5-2 px is learned and barely visible.
    const strength = 1.5 + 0.5 * rand();
    const field = raw.map((v) => (strength * v) / meanAbs);
    const dy = upsample(field.slice(0, GRID * GRID), shape);
    const dx = upsample(field.slice(GRID * GRID), shape);
    return {
      name: 'wanet',
      params: { grid: GRID, strength, field },
      apply: (image) => warp(image, shape, dy, dx),
    };
  },
};
