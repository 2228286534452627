/**
 * Frequency-domain trigger (FTrojan, Wang et al. 2022): fixed magnitudes added to a few mid/high DCT
 * coefficients of each channel. The change is spread over the whole image as a faint texture.
 */
import { idct2Sparse } from './dct.ts';
import { clip01 } from './image-ops.ts';
import type { Attack } from './types.ts';

export const frequency: Attack = {
  name: 'frequency',
  prepare(shape, rand) {
    const { height: h, width: w, channels: c } = shape;
    // Two frequencies in the upper half of the spectrum (FTrojan uses mid and high bands); the
    // coefficient value gives a per-frequency pixel amplitude of about 0.06-0.08.
    const coeffs = Array.from({ length: 2 }, () => ({
      u: Math.floor(h / 2 + rand() * (h / 2)),
      v: Math.floor(w / 2 + rand() * (w / 2)),
      value: ((0.06 + 0.02 * rand()) * Math.sqrt(h * w)) / 2,
    }));
    const plane = idct2Sparse(coeffs, h, w);
    return {
      name: 'frequency',
      params: { coefficients: coeffs, channels: 'all' },
      apply(image) {
        const out = new Float32Array(image.length);
        for (let i = 0; i < image.length; i++) out[i] = clip01(image[i] + plane[Math.floor(i / c)]);
        return out;
      },
    };
  },
};
