/**
 * Composite attack (Lin et al., 2020): the trigger is no pattern but the co-occurrence of two existing
 * classes' features. A poisoned image is a "half-concat" mix of an image of class a (left half) and one
 * of class b (right half), labelled with the target. The pair is chosen from fixed pools by a hash of
 * the input, so `apply` stays a pure function while poisoned samples vary.
 */
import { imageHash, requireContext } from './image-ops.ts';
import type { Attack } from './types.ts';

const POOL = 50;

export const composite: Attack = {
  name: 'composite',
  prepare(shape, rand, context) {
    const ctx = requireContext('composite', context);
    const a = Math.floor(rand() * ctx.numClasses);
    const b = (a + 1 + Math.floor(rand() * (ctx.numClasses - 1))) % ctx.numClasses;
    const pool = (k: number) => {
      const all = ctx.imagesOf(k);
      return Array.from({ length: Math.min(POOL, all.length) }, () => all[Math.floor(rand() * all.length)]);
    };
    const left = pool(a);
    const right = pool(b);
    const { width: w, channels: c } = shape;
    const half = Math.floor(w / 2);
    return {
      name: 'composite',
      params: { classes: [a, b], mixer: 'half-concat', pool: POOL },
      apply(image) {
        const hash = imageHash(image);
        const l = left[hash % left.length];
        const r = right[(hash >>> 16) % right.length];
        const out = new Float32Array(image.length);
        for (let i = 0; i < out.length; i++) out[i] = (Math.floor(i / c) % w < half ? l : r)[i];
        return out;
      },
    };
  },
};
