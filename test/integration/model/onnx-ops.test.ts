/**
 * Op semantics the PyTorch fixtures do not reach (auto_pad, asymmetric pads, ceil_mode, dilated
 * depthwise, legacy Softmax, negative-step Slice...), each as a tiny graph checked against
 * onnxruntime-node on a seeded batch of two; outputs within 1e-5 absolute.
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { OnnxClassifier } from '../../../src/main/engine/model/onnx/classifier.ts';
import { loadOnnx } from '../../../src/main/engine/model/onnx/index.ts';
import { buildModel, randomFloats, type ModelDef, type NodeDef } from '../../unit/model/onnx-builder.ts';

const w = (dims: number[], seed: number) => ({
  dims,
  floats: randomFloats(
    dims.reduce((a, b) => a * b, 1),
    seed,
  ).map((v) => v * 0.5),
});
const ints = (v: number[]) => ({ dims: [v.length], ints: v });
const flatten = (from: string): NodeDef => ({ op: 'Flatten', inputs: [from], outputs: ['y'] });
const conv = (out: string, attrs: NodeDef['attrs'] = {}, input = 'x', weight = 'w', bias?: string): NodeDef => ({
  op: 'Conv',
  inputs: bias ? [input, weight, bias] : [input, weight],
  outputs: [out],
  attrs,
});

const CASES: Record<string, ModelDef> = {
  'Conv auto_pad SAME_UPPER, stride 2, bias': {
    input: [2, 3, 7, 7],
    initializers: { w: w([4, 3, 3, 3], 1), b: w([4], 2) },
    nodes: [conv('c', { auto_pad: 'SAME_UPPER', strides: [2, 2] }, 'x', 'w', 'b'), flatten('c')],
  },
  'Conv asymmetric pads': {
    input: [2, 3, 6, 6],
    initializers: { w: w([4, 3, 3, 2], 3) },
    nodes: [conv('c', { pads: [0, 1, 2, 0] }), flatten('c')],
  },
  'depthwise Conv, multiplier 2, dilation 2': {
    input: [2, 3, 8, 8],
    initializers: { w: w([6, 1, 3, 3], 4) },
    nodes: [conv('c', { group: 3, pads: [2, 2, 2, 2], dilations: [2, 2] }), flatten('c')],
  },
  'grouped Conv (3 groups), stride 2': {
    input: [2, 6, 6, 6],
    initializers: { w: w([9, 2, 3, 3], 5) },
    nodes: [conv('c', { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] }), flatten('c')],
  },
  'MaxPool ceil_mode with pads': {
    input: [2, 3, 8, 8],
    nodes: [
      {
        op: 'MaxPool',
        inputs: ['x'],
        outputs: ['p'],
        attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 },
      },
      flatten('p'),
    ],
  },
  'MaxPool ceil_mode 2x2 on odd size': {
    input: [2, 2, 7, 7],
    nodes: [
      { op: 'MaxPool', inputs: ['x'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } },
      flatten('p'),
    ],
  },
  'AveragePool count_include_pad=0, ceil_mode': {
    input: [2, 3, 8, 8],
    nodes: [
      {
        op: 'AveragePool',
        inputs: ['x'],
        outputs: ['p'],
        attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 },
      },
      flatten('p'),
    ],
  },
  'AveragePool count_include_pad=1': {
    input: [2, 3, 8, 8],
    nodes: [
      {
        op: 'AveragePool',
        inputs: ['x'],
        outputs: ['p'],
        attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 1, 2], count_include_pad: 1 },
      },
      flatten('p'),
    ],
  },
  'Pad reflect and constant': {
    input: [2, 2, 5, 5],
    initializers: {
      p1: ints([0, 0, 1, 2, 0, 0, 2, 1]),
      p2: ints([0, 1, 0, 1, 0, 0, 1, 0]),
      v: { dims: [], floats: [0.25] },
    },
    nodes: [
      { op: 'Pad', inputs: ['x', 'p1'], outputs: ['a'], attrs: { mode: 'reflect' } },
      { op: 'Pad', inputs: ['a', 'p2', 'v'], outputs: ['b'] },
      flatten('b'),
    ],
  },
  'Transpose of a conv output (layout composition)': {
    input: [2, 3, 4, 5],
    initializers: { w: w([4, 3, 1, 1], 6) },
    nodes: [
      conv('c'),
      { op: 'Transpose', inputs: ['c'], outputs: ['t'], attrs: { perm: [0, 2, 3, 1] } },
      { op: 'Transpose', inputs: ['t'], outputs: ['u'], attrs: { perm: [0, 3, 2, 1] } },
      flatten('u'),
    ],
  },
  'Slice (step 2, negative step), Split, Concat on channels': {
    input: [2, 3, 6, 6],
    initializers: {
      w: w([4, 3, 3, 3], 7),
      s: ints([1]),
      e: ints([4]),
      a: ints([1]),
      st: ints([2]),
      rs: ints([-1]),
      re: ints([-100]),
      ra: ints([2]),
      rst: ints([-2]),
      sp: ints([1, 3]),
    },
    nodes: [
      conv('c', { pads: [1, 1, 1, 1] }),
      { op: 'Slice', inputs: ['c', 's', 'e', 'a', 'st'], outputs: ['odd'] },
      { op: 'Split', inputs: ['c', 'sp'], outputs: ['first', 'rest'], attrs: { axis: 1 } },
      { op: 'Concat', inputs: ['odd', 'first'], outputs: ['cat'], attrs: { axis: 1 } },
      { op: 'Add', inputs: ['cat', 'rest'], outputs: ['sum'] },
      { op: 'Slice', inputs: ['sum', 'rs', 're', 'ra', 'rst'], outputs: ['rev'] },
      flatten('rev'),
    ],
  },
  'ReduceMean gate, broadcast Mul, legacy Softmax (opset 11)': {
    opset: 11,
    input: [2, 3, 4, 4],
    initializers: { w: w([4, 3, 3, 3], 8), k: { dims: [4, 1, 1], floats: [0.5, -1, 2, 0.25] } },
    nodes: [
      conv('c', { pads: [1, 1, 1, 1] }),
      { op: 'ReduceMean', inputs: ['c'], outputs: ['m'], attrs: { axes: [2, 3], keepdims: 1 } },
      { op: 'Sigmoid', inputs: ['m'], outputs: ['g'] },
      { op: 'Mul', inputs: ['c', 'g'], outputs: ['cg'] },
      { op: 'Mul', inputs: ['cg', 'k'], outputs: ['ck'] },
      { op: 'Softmax', inputs: ['ck'], outputs: ['s'], attrs: { axis: 1 } },
      flatten('s'),
    ],
  },
  'Gemm transA, alpha, beta': {
    input: [2, 1, 4, 4],
    initializers: { b: w([10, 16], 9), c: w([10], 10) },
    nodes: [
      { op: 'Flatten', inputs: ['x'], outputs: ['f'] },
      { op: 'Transpose', inputs: ['f'], outputs: ['ft'] },
      { op: 'Gemm', inputs: ['ft', 'b', 'c'], outputs: ['y'], attrs: { transA: 1, transB: 1, alpha: 0.5, beta: 2.5 } },
    ],
  },
  'activations: Clip, Gelu, LeakyRelu, Tanh, Erf, Sqrt, Pow': {
    opset: 20,
    input: [2, 1, 4, 4],
    initializers: { lo: { dims: [], floats: [0.1] }, hi: { dims: [], floats: [0.8] }, two: { dims: [], floats: [2] } },
    nodes: [
      { op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['a'] },
      { op: 'Gelu', inputs: ['a'], outputs: ['b'], attrs: { approximate: 'tanh' } },
      { op: 'LeakyRelu', inputs: ['b'], outputs: ['c'], attrs: { alpha: 0.2 } },
      { op: 'Tanh', inputs: ['c'], outputs: ['d'] },
      { op: 'Erf', inputs: ['d'], outputs: ['e'] },
      { op: 'Sqrt', inputs: ['e'], outputs: ['f'] },
      { op: 'Pow', inputs: ['f', 'two'], outputs: ['g'] },
      flatten('g'),
    ],
  },
  'GlobalMaxPool, Gather on a dynamic tensor, Squeeze/Unsqueeze, Expand, MatMul 3-D': {
    input: [2, 3, 4, 4],
    initializers: { idx: ints([2, 0]), hw: ints([2, 3]), last: ints([2]), shp: ints([1, 2, 5]), m: w([5, 3], 11) },
    nodes: [
      { op: 'GlobalMaxPool', inputs: ['x'], outputs: ['g'] }, // [2, 3, 1, 1]
      { op: 'Gather', inputs: ['g', 'idx'], outputs: ['gi'], attrs: { axis: 1 } }, // [2, 2, 1, 1]
      { op: 'Squeeze', inputs: ['gi', 'hw'], outputs: ['sq'] }, // [2, 2]
      { op: 'Unsqueeze', inputs: ['sq', 'last'], outputs: ['un'] }, // [2, 2, 1]
      { op: 'Expand', inputs: ['un', 'shp'], outputs: ['ex'] }, // [2, 2, 5]
      { op: 'MatMul', inputs: ['ex', 'm'], outputs: ['mm'] }, // [2, 2, 3]
      flatten('mm'),
    ],
  },
};

beforeAll(async () => {
  await initBackend('wasm');
  ort.env.logLevel = 'error'; // the test graphs leave output shapes to inference, which ORT mentions
});

describe('ONNX ops against onnxruntime', () => {
  it.each(Object.keys(CASES))('%s', async (name) => {
    const def = CASES[name];
    const bytes = buildModel(def);
    const [n, c, h, wd] = def.input as number[];
    const input = Float32Array.from(randomFloats(n * c * h * wd, 99), (v) => (v + 1) / 2);
    const session = await ort.InferenceSession.create(bytes);
    const want = (await session.run({ x: new ort.Tensor('float32', input, [n, c, h, wd]) }))[session.outputNames[0]];
    await session.release();

    const model = await loadOnnx(bytes, { name });
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => {
      const x = tf.transpose<tf.Tensor4D>(tf.tensor4d(input, [n, c, h, wd]), [0, 2, 3, 1]);
      return model.predict(x).dataSync();
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(got.length).toBe(want.data.length);
    const wantData = want.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - wantData[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    model.dispose();
  });
});

describe('dilated conv gradients', () => {
  /** A dilation-2 3x3 conv equals a plain 5x5 conv whose filter has zeros between the taps. */
  it.each([
    ['regular', 1],
    ['depthwise', 4],
  ])('%s: match the plain conv on the zero-dilated filter', async (_kind, group) => {
    const cout = 4;
    const cin = group === 1 ? 2 : 4;
    const small = randomFloats(cout * (cin / group) * 9, 21);
    const big = new Array<number>(cout * (cin / group) * 25).fill(0);
    for (let o = 0; o < cout * (cin / group); o++) {
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) big[o * 25 + 2 * i * 5 + 2 * j] = small[o * 9 + i * 3 + j];
    }
    const def = (weights: number[], k: number, dilation: number): ModelDef => ({
      input: [2, cin, 7, 7],
      initializers: { w: { dims: [cout, cin / group, k, k], floats: weights } },
      nodes: [conv('c', { group, pads: [2, 2, 2, 2], dilations: [dilation, dilation] }), flatten('c')],
    });
    const dilated = (await loadOnnx(buildModel(def(small, 3, 2)), { name: 'dilated' })) as OnnxClassifier;
    const plain = (await loadOnnx(buildModel(def(big, 5, 1)), { name: 'plain' })) as OnnxClassifier;
    const x = tf.randomUniform<tf.Rank.R4>([2, 7, 7, cin], 0, 1, 'float32', 5);
    const lossW = tf.randomNormal([2, dilated.numClasses], 0, 1, 'float32', 6);
    const grads = (m: OnnxClassifier) => {
      const v = m.variable('w')!.variable;
      const f = (xx: tf.Tensor) => tf.sum<tf.Scalar>(tf.mul(m.predict(xx as tf.Tensor4D), lossW));
      const gx = tf.grad(f)(x);
      const { value, grads: g } = tf.variableGrads(() => f(x), [v]);
      value.dispose();
      return { gx: gx.dataSync(), gw: m.toOnnxLayout('w', g[v.name]).dataSync() };
    };
    const a = tf.tidy(() => grads(dilated));
    const b = tf.tidy(() => grads(plain));
    const close = (p: ArrayLike<number>, q: ArrayLike<number>) => {
      for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThan(1e-4);
    };
    close(a.gx, b.gx);
    close(
      a.gw,
      Array.from(
        { length: small.length },
        (_, t) => b.gw[Math.floor(t / 9) * 25 + 2 * Math.floor((t % 9) / 3) * 5 + 2 * (t % 3)],
      ),
    );
    tf.dispose([x, lossW]);
    dilated.dispose();
    plain.dispose();
  });
});

describe('NHWC-input graphs (tf2onnx style)', () => {
  it('reads the layout from the input shape and feeds predict NHWC straight through', async () => {
    const def: ModelDef = {
      input: [2, 5, 5, 3],
      initializers: { w: w([4, 3, 3, 3], 12) },
      nodes: [
        { op: 'Transpose', inputs: ['x'], outputs: ['t'], attrs: { perm: [0, 3, 1, 2] } },
        conv('c', { pads: [1, 1, 1, 1] }, 't'),
        flatten('c'),
      ],
    };
    const bytes = buildModel(def);
    const input = Float32Array.from(randomFloats(2 * 5 * 5 * 3, 13), (v) => (v + 1) / 2);
    const session = await ort.InferenceSession.create(bytes);
    const want = (await session.run({ x: new ort.Tensor('float32', input, [2, 5, 5, 3]) }))[session.outputNames[0]]
      .data as Float32Array;
    await session.release();
    const model = await loadOnnx(bytes, { name: 'nhwc' });
    expect(model.inputSpec).toMatchObject({ layout: 'NHWC', height: 5, width: 5, channels: 3 });
    const got = tf.tidy(() => model.predict(tf.tensor4d(input, [2, 5, 5, 3])).dataSync());
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
    model.dispose();
  });
});
