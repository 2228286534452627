import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { registerWasmKernels } from '../../../src/main/engine/backend/wasm-kernels.ts';
import { expectWasmMatchesCpu, maxRelErr, runOn, snapshot, useBackend } from './kernel-helpers.ts';

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

/** Output size of a conv along one axis, for the dy shape. */
function outSize(inp: number, f: number, s: number, d: number, pad: Pad, axis: 1 | 2): number {
  const ef = (f - 1) * d + 1;
  if (pad === 'same') return Math.ceil(inp / s);
  if (pad === 'valid') return Math.floor((inp - ef) / s) + 1;
  return Math.floor((inp + pad[axis][0] + pad[axis][1] - ef) / s) + 1;
}

interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  fh: number;
  fw: number;
  s: number;
  pad: Pad;
}

const CASES: Case[] = [];
for (const s of [1, 2]) {
  for (const pad of [
    'same',
    'valid',
    [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  ] as Pad[]) {
    CASES.push({ n: 1, h: 7, w: 9, cin: 3, cout: 4, fh: 3, fw: 3, s, pad });
    CASES.push({ n: 3, h: 8, w: 5, cin: 2, cout: 5, fh: 2, fw: 3, s, pad });
    CASES.push({ n: 2, h: 11, w: 11, cin: 4, cout: 3, fh: 5, fw: 5, s, pad });
  }
}

/** The shape of a case's dy: its conv output size along each axis, `channels` deep. */
function dyShape(c: Case, channels: number): number[] {
  return [c.n, outSize(c.h, c.fh, c.s, 1, c.pad, 1), outSize(c.w, c.fw, c.s, 1, c.pad, 2), channels];
}

const label = (c: Case) =>
  `n${c.n} ${c.h}x${c.w}x${c.cin}->${c.cout} f${c.fh}x${c.fw} s${c.s} pad ${JSON.stringify(c.pad)}`;

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  await initBackend('wasm');
  registerWasmKernels();
});

describe('project WASM gradient kernels match the cpu backend', () => {
  it.each(CASES.map((c) => [label(c), c] as const))('Conv2DBackpropFilter %s', (_l, c) => {
    const x = snapshot([c.n, c.h, c.w, c.cin], 1);
    const dy = snapshot(dyShape(c, c.cout), 2);
    expectWasmMatchesCpu(
      'Conv2DBackpropFilter',
      { x, dy },
      { strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC', filterShape: [c.fh, c.fw, c.cin, c.cout] },
    );
  });

  it('Conv2DBackpropFilter over more samples than one chunk of its product (partial sums added)', () => {
    // 3x3x8 taps x 64x64 outputs = 295k values per sample: a chunk of 2^22 holds 14 of the 20 samples
    const c: Case = { n: 20, h: 64, w: 64, cin: 8, cout: 2, fh: 3, fw: 3, s: 1, pad: 'same' };
    expectWasmMatchesCpu(
      'Conv2DBackpropFilter',
      { x: snapshot([c.n, c.h, c.w, c.cin], 5), dy: snapshot(dyShape(c, c.cout), 6) },
      { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 8, 2] },
    );
  });

  it.each(CASES.map((c) => [label(c), c] as const))('Conv2DBackpropInput %s', (_l, c) => {
    const filter = snapshot([c.fh, c.fw, c.cin, c.cout], 3);
    const dy = snapshot(dyShape(c, c.cout), 4);
    expectWasmMatchesCpu(
      'Conv2DBackpropInput',
      { dy, filter },
      { strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC', inputShape: [c.n, c.h, c.w, c.cin] },
    );
  });

  const DW = CASES.filter((_c, i) => i % 2 === 0).flatMap((c) => [
    { ...c, mult: 1 },
    { ...c, mult: 2 },
  ]);
  it.each(DW.map((c) => [`${label(c)} mult ${c.mult}`, c] as const))(
    'DepthwiseConv2dNativeBackpropFilter %s',
    (_l, c) => {
      const x = snapshot([c.n, c.h, c.w, c.cin], 5);
      const dy = snapshot(dyShape(c, c.cin * c.mult), 6);
      expectWasmMatchesCpu(
        'DepthwiseConv2dNativeBackpropFilter',
        { x, dy },
        { strides: [c.s, c.s], dilations: [1, 1], pad: c.pad, filterShape: [c.fh, c.fw, c.cin, c.mult] },
      );
    },
  );

  it.each(DW.map((c) => [`${label(c)} mult ${c.mult}`, c] as const))(
    'DepthwiseConv2dNativeBackpropInput %s',
    (_l, c) => {
      const filter = snapshot([c.fh, c.fw, c.cin, c.mult], 7);
      const dy = snapshot(dyShape(c, c.cin * c.mult), 8);
      expectWasmMatchesCpu(
        'DepthwiseConv2dNativeBackpropInput',
        { dy, filter },
        { strides: [c.s, c.s], dilations: [1, 1], pad: c.pad, inputShape: [c.n, c.h, c.w, c.cin] },
      );
    },
  );
});

/**
 * tfjs's cpu kernels ignore dilations, so dilated cases are checked against the definition:
 * y[n,o,p,co] = sum_{i,j,ci} xpad[n, o*s + i*d, p*s + j*d, ci] * w[i,j,ci,co].
 */
function naiveGrads(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  c: Case & { d: number; pt: number; pl: number; ho: number; wo: number },
) {
  const dW = new Float32Array(c.fh * c.fw * c.cin * c.cout);
  const dX = new Float32Array(c.n * c.h * c.w * c.cin);
  for (let n = 0; n < c.n; n++)
    for (let o = 0; o < c.ho; o++)
      for (let p = 0; p < c.wo; p++)
        for (let i = 0; i < c.fh; i++)
          for (let j = 0; j < c.fw; j++) {
            const y = o * c.s + i * c.d - c.pt;
            const xx = p * c.s + j * c.d - c.pl;
            if (y < 0 || y >= c.h || xx < 0 || xx >= c.w) continue;
            for (let ci = 0; ci < c.cin; ci++)
              for (let co = 0; co < c.cout; co++) {
                const g = dy[((n * c.ho + o) * c.wo + p) * c.cout + co];
                const xi = ((n * c.h + y) * c.w + xx) * c.cin + ci;
                const wi = ((i * c.fw + j) * c.cin + ci) * c.cout + co;
                dW[wi] += x[xi] * g;
                dX[xi] += w[wi] * g;
              }
          }
  return { dW, dX };
}

describe('dilated convolutions (attribute honoured by the project kernels)', () => {
  const dilated = [
    {
      n: 2,
      h: 9,
      w: 10,
      cin: 2,
      cout: 3,
      fh: 3,
      fw: 3,
      s: 1,
      d: 2,
      pad: [
        [0, 0],
        [2, 2],
        [2, 2],
        [0, 0],
      ] as Pad,
      pt: 2,
      pl: 2,
    },
    { n: 1, h: 12, w: 11, cin: 3, cout: 2, fh: 3, fw: 2, s: 1, d: 3, pad: 'valid' as Pad, pt: 0, pl: 0 },
    {
      n: 3,
      h: 13,
      w: 13,
      cin: 2,
      cout: 2,
      fh: 3,
      fw: 3,
      s: 2,
      d: 2,
      pad: [
        [0, 0],
        [1, 0],
        [0, 1],
        [0, 0],
      ] as Pad,
      pt: 1,
      pl: 0,
    },
  ];
  it.each(dilated.map((c) => [`${c.h}x${c.w} s${c.s} d${c.d} pad ${JSON.stringify(c.pad)}`, c] as const))(
    'filter and input gradients %s',
    (_l, c) => {
      const ho = outSize(c.h, c.fh, c.s, c.d, c.pad, 1);
      const wo = outSize(c.w, c.fw, c.s, c.d, c.pad, 2);
      const x = snapshot([c.n, c.h, c.w, c.cin], 9);
      const filter = snapshot([c.fh, c.fw, c.cin, c.cout], 10);
      const dy = snapshot([c.n, ho, wo, c.cout], 11);
      const want = naiveGrads(x.data, filter.data, dy.data, { ...c, ho, wo });
      const base = { strides: [c.s, c.s], dilations: [c.d, c.d], pad: c.pad, dataFormat: 'NHWC' };
      const dW = runOn(
        'wasm',
        'Conv2DBackpropFilter',
        { x, dy },
        { ...base, filterShape: [c.fh, c.fw, c.cin, c.cout] },
      );
      const dX = runOn('wasm', 'Conv2DBackpropInput', { dy, filter }, { ...base, inputShape: [c.n, c.h, c.w, c.cin] });
      expect(maxRelErr(dW.data, want.dW)).toBeLessThan(1e-4);
      expect(maxRelErr(dX.data, want.dX)).toBeLessThan(1e-4);
    },
  );
});

describe('training through the WASM backend', () => {
  it('computes conv weight gradients equal to the cpu backend (tf.grads end to end)', () => {
    const xs = snapshot([4, 10, 10, 3], 12);
    const ws = snapshot([3, 3, 3, 6], 13);
    const grads = (backend: string) => {
      useBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor(xs.data, xs.shape);
        const w = tf.tensor(ws.data, ws.shape);
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          tf
            .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')
            .square()
            .sum();
        const [gx, gw] = tf.grads(f)([x, w]);
        return [gx.dataSync() as Float32Array, gw.dataSync() as Float32Array];
      });
    };
    const [cx, cw] = grads('cpu');
    const [wx, ww] = grads('wasm');
    expect(maxRelErr(wx, cx)).toBeLessThan(1e-4);
    expect(maxRelErr(ww, cw)).toBeLessThan(1e-4);
  });

  it('frees every intermediate tensor', () => {
    useBackend('wasm');
    const x = tf.tensor(snapshot([2, 8, 8, 3], 14).data, [2, 8, 8, 3]);
    const dy = tf.tensor(snapshot([2, 4, 4, 5], 15).data, [2, 4, 4, 5]);
    const before = tf.memory().numTensors;
    const bytesBefore = tf.engine().backend.numDataIds();
    const out = tf.engine().runKernel<tf.Tensor>(
      'Conv2DBackpropFilter',
      { x, dy },
      {
        strides: [2, 2],
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: [3, 3, 3, 5],
      },
    );
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(tf.engine().backend.numDataIds()).toBe(bytesBefore + 1);
    tf.dispose([x, dy, out]);
  });
});
