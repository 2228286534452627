/**
 * SIG (Barni et al., 2019): a horizontal sinusoid added to the image,
 * x'(i, j) = clip(x(i, j) + delta sin(2 pi j f / W)), the same in every row and channel.
 */
import { clip01 } from './image-ops.ts';
import type { Attack } from './types.ts';

export const sig: Attack = {
  name: 'sig',
  prepare(shape, rand) {
    // Barni et al. use delta = 20/255 (MNIST 20-30/255), f = 6; drawn around those so models differ.
    const delta = (20 + 10 * rand()) / 255;
    const frequency = 4 + Math.floor(rand() * 5);
    const wave = Float32Array.from(
      { length: shape.width },
      (_, j) => delta * Math.sin((2 * Math.PI * j * frequency) / shape.width),
    );
    return {
      name: 'sig',
      params: { delta, frequency },
      apply(image) {
        const out = new Float32Array(image.length);
        for (let i = 0; i < image.length; i++)
          out[i] = clip01(image[i] + wave[Math.floor(i / shape.channels) % shape.width]);
        return out;
      },
    };
  },
};
