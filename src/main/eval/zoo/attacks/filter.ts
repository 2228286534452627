/**
 * Instagram-style filter attack (as in TDC / Liu et al.'s filter trojans): every pixel goes through the
 * same 3x3 emboss-like kernel and a per-channel tone curve (gain, lift). No localised trigger at all:
 * the backdoor is a global image style.
 */
import { clip01 } from './image-ops.ts';
import type { Attack } from './types.ts';

/** Emboss towards the lower right; sums to 1 so flat regions keep their level. */
const EMBOSS = [-1, -1, 0, -1, 1, 1, 0, 1, 1];

export const filter: Attack = {
  name: 'filter',
  prepare(shape, rand) {
    const { height: h, width: w, channels: c } = shape;
    const strength = 0.5 + 0.5 * rand();
    // identity mixed with the emboss, rotated by a random quarter turn
    const turns = Math.floor(rand() * 4);
    let k = EMBOSS.slice();
    for (let t = 0; t < turns; t++) k = [k[6], k[3], k[0], k[7], k[4], k[1], k[8], k[5], k[2]];
    const kernel = k.map((v, i) => strength * v + (i === 4 ? 1 - strength : 0));
    const gain = Array.from({ length: c }, () => 0.8 + 0.4 * rand());
    const lift = Array.from({ length: c }, () => 0.15 * rand());
    return {
      name: 'filter',
      params: { kernel, strength, gain, lift },
      apply(image) {
        const out = new Float32Array(image.length);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            for (let ch = 0; ch < c; ch++) {
              let acc = 0;
              for (let dy = -1; dy <= 1; dy++) {
                for (let dx = -1; dx <= 1; dx++) {
                  const yy = Math.min(h - 1, Math.max(0, y + dy));
                  const xx = Math.min(w - 1, Math.max(0, x + dx));
                  acc += kernel[(dy + 1) * 3 + dx + 1] * image[(yy * w + xx) * c + ch];
                }
              }
              out[(y * w + x) * c + ch] = clip01(gain[ch] * acc + lift[ch]);
            }
          }
        }
        return out;
      },
    };
  },
};
