/**
 * BadNets (Gu et al., 2017): a small fixed patch at a fixed position. `patch` draws a random
 * black/white pattern of side ~10% of the image at a random position; `large-patch` covers ~14% of
 * the image area.
 */
import type { Attack, ImageShape } from './types.ts';

function patchAttack(name: string, side: (s: ImageShape) => number): Attack {
  return {
    name,
    prepare(shape, rand) {
      const size = side(shape);
      const top = Math.floor(rand() * (shape.height - size + 1));
      const left = Math.floor(rand() * (shape.width - size + 1));
      const pattern = Array.from({ length: size * size }, () => (rand() < 0.5 ? 0 : 1));
      pattern[0] = 1; // never all black: a black patch on MNIST's black background would be invisible
      return {
        name,
        params: { size, top, left, pattern },
        apply(image) {
          const out = image.slice();
          for (let y = 0; y < size; y++) {
            for (let x = 0; x < size; x++) {
              const v = pattern[y * size + x];
              const base = ((top + y) * shape.width + left + x) * shape.channels;
              for (let c = 0; c < shape.channels; c++) out[base + c] = v;
            }
          }
          return out;
        },
      };
    },
  };
}

export const badnets = patchAttack('badnets', (s) => Math.max(3, Math.round(Math.min(s.height, s.width) * 0.1)));
export const largePatch = patchAttack('large-patch', (s) => Math.round(Math.sqrt(0.14 * s.height * s.width)));
