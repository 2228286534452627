import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../src/main/engine/random.ts';
import { ATTACKS, attackByName } from '../../../../src/main/eval/zoo/attacks/index.ts';
import { dct2 } from '../../../../src/main/eval/zoo/attacks/dct.ts';
import type { AttackContext, ImageShape, PreparedAttack } from '../../../../src/main/eval/zoo/attacks/types.ts';

const GRAY: ImageShape = { height: 28, width: 28, channels: 1 };
const RGB: ImageShape = { height: 32, width: 32, channels: 3 };

function randomImage(s: ImageShape, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: s.height * s.width * s.channels }, () => r());
}

function constant(s: ImageShape, v: number): Float32Array {
  return new Float32Array(s.height * s.width * s.channels).fill(v);
}

/** Ten classes of random images, so attacks built from natural images have something to draw. */
function context(s: ImageShape): AttackContext {
  const pools = Array.from({ length: 10 }, (_, k) => Array.from({ length: 5 }, (_, i) => randomImage(s, 100 * k + i)));
  return { numClasses: 10, imagesOf: (k) => pools[k] };
}

function prepare(name: string, s: ImageShape, seed = 7): PreparedAttack {
  return attackByName(name).prepare(s, mulberry32(seed), context(s));
}

/** A blending attack's alpha, expected to lie in [lo, hi]. */
function blendAlpha(a: PreparedAttack, lo: number, hi: number): number {
  const alpha = a.params.alpha as number;
  expect(alpha).toBeGreaterThanOrEqual(lo);
  expect(alpha).toBeLessThanOrEqual(hi);
  return alpha;
}

/** What a blend put behind x: out = (1 - alpha) x + alpha p, solved for p. */
function unblend(out: Float32Array, x: Float32Array, alpha: number): Float32Array {
  return out.map((v, i) => (v - (1 - alpha) * x[i]) / alpha);
}

describe('every attack', () => {
  for (const name of Object.keys(ATTACKS)) {
    for (const s of [GRAY, RGB]) {
      it(`${name} on ${s.channels} channel(s): seeded, in [0,1], changes the image`, () => {
        const x = randomImage(s, 1);
        const a = prepare(name, s).apply(x);
        expect(prepare(name, s).apply(x)).toEqual(a);
        expect(prepare(name, s, 8).apply(x)).not.toEqual(a);
        expect(a.length).toBe(x.length);
        for (const v of a) expect(v >= 0 && v <= 1).toBe(true);
        const changed = a.reduce((n, v, i) => n + (Math.abs(v - x[i]) > 1e-6 ? 1 : 0), 0);
        expect(changed).toBeGreaterThan(0);
        expect(JSON.parse(JSON.stringify(prepare(name, s).params))).toEqual(prepare(name, s).params);
      });
    }
  }
});

describe('defining properties', () => {
  it('badnets and large-patch change a square of ~1% and ~14% of the image', () => {
    for (const [name, area] of [
      ['badnets', 0.01],
      ['large-patch', 0.14],
    ] as const) {
      const a = prepare(name, GRAY);
      const { size, top, left } = a.params as { size: number; top: number; left: number };
      expect((size * size) / (28 * 28)).toBeCloseTo(area, 1);
      const out = a.apply(constant(GRAY, 0.5));
      out.forEach((v, i) => {
        const y = Math.floor(i / 28);
        const x = i % 28;
        const inside = y >= top && y < top + size && x >= left && x < left + size;
        expect(v === 0.5).toBe(!inside);
      });
    }
  });

  it('blend mixes a fixed pattern with alpha in [0.1, 0.2]', () => {
    const a = prepare('blend', RGB);
    const alpha = blendAlpha(a, 0.1, 0.2);
    const x = randomImage(RGB, 2);
    const y = randomImage(RGB, 3);
    // the same pattern behind every image
    const px = unblend(a.apply(x), x, alpha);
    const py = unblend(a.apply(y), y, alpha);
    px.forEach((v, i) => expect(v).toBeCloseTo(py[i], 3));
  });

  it('filter is one translation-invariant per-channel operation that keeps flat regions flat', () => {
    const a = prepare('filter', RGB);
    const { gain, lift } = a.params as { gain: number[]; lift: number[] };
    const flat = a.apply(constant(RGB, 0.4));
    flat.forEach((v, i) => expect(v).toBeCloseTo(Math.min(1, gain[i % 3] * 0.4 + lift[i % 3]), 5));
    // shifting the input by one column shifts the output (away from the borders)
    const x = randomImage(RGB, 4);
    const shifted = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) shifted[i] = x[(i - 3 + x.length) % x.length];
    const fx = a.apply(x);
    const fs = a.apply(shifted);
    for (let y = 2; y < 30; y++)
      for (let col = 3; col < 30; col++)
        for (let c = 0; c < 3; c++) expect(fs[(y * 32 + col) * 3 + c]).toBeCloseTo(fx[(y * 32 + col - 1) * 3 + c], 5);
  });

  it("frequency puts the trigger's DCT energy on the chosen coefficients of every channel", () => {
    const a = prepare('frequency', RGB);
    const coeffs = a.params.coefficients as { u: number; v: number; value: number }[];
    for (const c of coeffs) expect(c.u >= 16 && c.v >= 16).toBe(true);
    const x = constant(RGB, 0.5); // mid-grey: no clipping, so the difference is the trigger itself
    const out = a.apply(x);
    for (let ch = 0; ch < 3; ch++) {
      const plane = Array.from({ length: 32 * 32 }, (_, i) => out[i * 3 + ch] - x[i * 3 + ch]);
      const d = dct2(plane, 32, 32);
      const total = d.reduce((s, v) => s + v * v, 0);
      const expected = new Map<number, number>();
      for (const c of coeffs) expected.set(c.u * 32 + c.v, (expected.get(c.u * 32 + c.v) ?? 0) + c.value);
      let chosen = 0;
      for (const [i, value] of expected) {
        expect(d[i]).toBeCloseTo(value, 2);
        chosen += d[i] * d[i];
      }
      expect(chosen / total).toBeGreaterThan(0.999);
    }
  });

  it('composite is the left half of a class-a image beside the right half of a class-b image', () => {
    const ctx = context(GRAY);
    const a = attackByName('composite').prepare(GRAY, mulberry32(7), ctx);
    const [ca, cb] = a.params.classes as number[];
    expect(ca).not.toBe(cb);
    const out = a.apply(randomImage(GRAY, 5));
    const row = (img: Float32Array, y: number, from: number, to: number) =>
      Array.from(img.subarray(y * 28 + from, y * 28 + to));
    const leftMatch = ctx
      .imagesOf(ca)
      .some((img) => [0, 13, 27].every((y) => row(img, y, 0, 14).every((v, i) => v === row(out, y, 0, 14)[i])));
    const rightMatch = ctx
      .imagesOf(cb)
      .some((img) => [0, 13, 27].every((y) => row(img, y, 14, 28).every((v, i) => v === row(out, y, 14, 28)[i])));
    expect(leftMatch && rightMatch).toBe(true);
  });

  it('reflection blends a smooth (blurred) image with alpha in [0.3, 0.4]', () => {
    const a = prepare('reflection', GRAY);
    const alpha = blendAlpha(a, 0.3, 0.4);
    const x = constant(GRAY, 0.2);
    const ghost = unblend(a.apply(x), x, alpha);
    // a blurred image varies far less from pixel to pixel than the random images it came from
    const tv = (img: Float32Array) => img.reduce((s, v, i) => s + (i % 28 ? Math.abs(v - img[i - 1]) : 0), 0);
    expect(tv(ghost)).toBeLessThan(tv(randomImage(GRAY, 0)) / 4);
  });

  it('sig adds the same horizontal sinusoid to every row', () => {
    const a = prepare('sig', GRAY);
    const { delta, frequency } = a.params as { delta: number; frequency: number };
    const out = a.apply(constant(GRAY, 0.5));
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++)
        expect(out[y * 28 + x] - 0.5).toBeCloseTo(delta * Math.sin((2 * Math.PI * x * frequency) / 28), 5);
    expect(delta).toBeGreaterThanOrEqual(20 / 255);
  });

  it('wanet keeps flat images flat and moves a ramp by its warp field (1.5-2 px mean)', () => {
    const a = prepare('wanet', GRAY);
    const { strength, field } = a.params as { strength: number; field: number[] };
    expect(field.reduce((s, v) => s + Math.abs(v), 0) / field.length).toBeCloseTo(strength, 5);
    expect(strength).toBeGreaterThanOrEqual(1.5);
    expect(strength).toBeLessThanOrEqual(2);
    a.apply(constant(GRAY, 0.3)).forEach((v) => expect(v).toBeCloseTo(0.3, 5));
    // on a horizontal ramp, bilinear resampling returns the displaced x; interior pixels move by the field
    const ramp = Float32Array.from({ length: 28 * 28 }, (_, i) => (i % 28) / 27);
    const out = a.apply(ramp);
    let moved = 0;
    for (let y = 4; y < 24; y++)
      for (let x = 4; x < 24; x++) moved = Math.max(moved, Math.abs(out[y * 28 + x] - ramp[y * 28 + x]) * 27);
    expect(moved).toBeGreaterThan(0.3);
    expect(moved).toBeLessThanOrEqual(Math.max(...field.map(Math.abs)) + 1e-4);
  });

  it('composite and reflection refuse to run without clean images', () => {
    for (const name of ['composite', 'reflection'])
      expect(() => attackByName(name).prepare(GRAY, mulberry32(1))).toThrow(/clean images/);
    expect(() => attackByName('nope')).toThrow(/unknown attack/);
  });
});
