/**
 * Orthonormal 2-D DCT-II of one channel plane and its inverse, for the frequency-domain attack (and its
 * tests, which check where the trigger's energy lies).
 */
function alpha(u: number, n: number): number {
  return u === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
}

function basis(n: number): Float64Array {
  const b = new Float64Array(n * n);
  for (let u = 0; u < n; u++)
    for (let x = 0; x < n; x++) b[u * n + x] = alpha(u, n) * Math.cos((Math.PI * (2 * x + 1) * u) / (2 * n));
  return b;
}

/** Coefficients [H*W] of a plane [H*W] (row-major). */
export function dct2(plane: ArrayLike<number>, h: number, w: number): Float64Array {
  const bh = basis(h);
  const bw = basis(w);
  const out = new Float64Array(h * w);
  for (let u = 0; u < h; u++) {
    for (let v = 0; v < w; v++) {
      let acc = 0;
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) acc += bh[u * h + y] * bw[v * w + x] * plane[y * w + x];
      out[u * w + v] = acc;
    }
  }
  return out;
}

/** The plane [H*W] whose coefficients are the sparse `coeffs` (u, v, value). */
export function idct2Sparse(coeffs: { u: number; v: number; value: number }[], h: number, w: number): Float64Array {
  const bh = basis(h);
  const bw = basis(w);
  const out = new Float64Array(h * w);
  for (const { u, v, value } of coeffs)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] += value * bh[u * h + y] * bw[v * w + x];
  return out;
}
