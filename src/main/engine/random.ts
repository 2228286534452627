/**
 * Seeded randomness for everything the engine draws (splits, batches, noise, initialisers), so a scan
 * repeats exactly for the same seed.
 */

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent seed for a named sub-stream (e.g. class k's inversion) from a base seed. */
export function deriveSeed(base: number, ...parts: (string | number)[]): number {
  let h = (base ^ 0x9e3779b9) >>> 0;
  for (const ch of parts.join('/')) {
    h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  }
  return (h ^ (h >>> 16)) >>> 0;
}

/** Fisher-Yates shuffle of a copy of `items` with the given random source. */
export function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * `count` seeded Gaussian draws (Box-Muller over mulberry32, both values of each pair used). Why not
 * `tf.randomNormal`: it is no kernel but a JS loop over seedrandom's alea and Marsaglia's polar method
 * at ~110 ns per value (~4% of an inversion step); this costs a fraction of that and, like it, repeats
 * bit for bit for a given seed (V8's Math.log/cos/sin are fdlibm ports, the same on every platform).
 */
export function normalArray(count: number, mean: number, std: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand())) * std; // 1 - rand() is in (0, 1]: log is finite
    const theta = 2 * Math.PI * rand();
    out[i] = mean + r * Math.cos(theta);
    if (i + 1 < count) out[i + 1] = mean + r * Math.sin(theta);
  }
  return out;
}
