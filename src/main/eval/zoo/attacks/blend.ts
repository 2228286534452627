/**
 * Blended injection (Chen et al., 2017): a fixed uniform-noise pattern p mixed into every pixel,
 * x' = (1 - alpha) x + alpha p, with alpha drawn in [0.1, 0.2]. Invisible as a patch, spread over the
 * whole image.
 */
import { digest } from './image-ops.ts';
import type { Attack } from './types.ts';

export const blend: Attack = {
  name: 'blend',
  prepare(shape, rand) {
    const alpha = 0.1 + 0.1 * rand();
    const pattern = Float32Array.from({ length: shape.height * shape.width * shape.channels }, () => rand());
    return {
      name: 'blend',
      params: { alpha, pattern: 'uniform', patternSha256: digest(pattern) },
      apply: (image) => image.map((v, i) => (1 - alpha) * v + alpha * pattern[i]),
    };
  },
};
