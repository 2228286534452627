/**
 * Reflection backdoor (Refool, Liu et al. 2020), out-of-focus variant: a natural image, flipped and
 * blurred like a reflection in glass, blended in, x' = clip((1 - alpha) x + alpha blur(R)). One fixed
 * reflection image per model, taken from the clean data.
 */
import { clip01, digest, gaussianBlur, requireContext } from './image-ops.ts';
import type { Attack } from './types.ts';

export const reflection: Attack = {
  name: 'reflection',
  prepare(shape, rand, context) {
    const ctx = requireContext('reflection', context);
    const cls = Math.floor(rand() * ctx.numClasses);
    const images = ctx.imagesOf(cls);
    const source = images[Math.floor(rand() * images.length)];
    const { height: h, width: w, channels: c } = shape;
    const flipped = new Float32Array(source.length);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) flipped[(y * w + x) * c + ch] = source[(y * w + (w - 1 - x)) * c + ch];
    const sigma = 1 + rand();
    const ghost = gaussianBlur(flipped, shape, sigma);
    const alpha = 0.3 + 0.1 * rand();
    return {
      name: 'reflection',
      params: { sourceClass: cls, sigma, alpha, reflectionSha256: digest(ghost) },
      apply: (image) => image.map((v, i) => clip01((1 - alpha) * v + alpha * ghost[i])),
    };
  },
};
