/**
 * Broken, hostile and unusual ONNX inputs: each fails with the right UmaError code and a message that
 * names the problem, and none of them takes the process down.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UmaError } from '../../../src/shared/errors.ts';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { loadOnnx } from '../../../src/main/engine/model/onnx/index.ts';
import { mulberry32 } from '../../../src/main/engine/random.ts';
import { buildModel, randomFloats, type ModelDef } from './onnx-builder.ts';

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../fixtures/onnx/${name}.onnx`, import.meta.url)));
const CNN = fixture('cnn');
const WRN = fixture('wrn');

async function loadError(bytes: Uint8Array, opts = {}): Promise<UmaError> {
  try {
    const c = await loadOnnx(bytes, { name: 'suspect.onnx', ...opts });
    c.dispose();
  } catch (err) {
    expect(err).toBeInstanceOf(UmaError);
    return err as UmaError;
  }
  throw new Error('expected the load to fail');
}

/** x [1,2,4,4] -> Conv(w: 3x2x3x3, pad 1) -> Flatten: a valid 48-output "classifier". */
function convModel(weights = randomFloats(54, 7)): ModelDef {
  return {
    input: [1, 2, 4, 4],
    initializers: { w: { dims: [3, 2, 3, 3], floats: weights } },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Flatten', inputs: ['c'], outputs: ['y'] },
    ],
  };
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('ONNX import errors', () => {
  it('refuses empty, truncated, random and non-ONNX bytes as BAD_MODEL', async () => {
    expect((await loadError(new Uint8Array())).message).toMatch(/empty/);
    for (const cut of [20, 1000, CNN.length >> 1, CNN.length - 3]) {
      const e = await loadError(CNN.subarray(0, cut));
      expect(e.code, `cut at ${cut}`).toBe('BAD_MODEL');
      expect(e.message).toMatch(/suspect\.onnx: not (a readable ONNX model|an ONNX model)/);
    }
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = mulberry32(seed);
      const junk = Uint8Array.from({ length: 4096 }, () => Math.floor(r() * 256));
      expect((await loadError(junk)).code, `seed ${seed}`).toBe('BAD_MODEL');
    }
    const json = new TextEncoder().encode('{"modelTopology": {}, "weightsManifest": []}');
    expect((await loadError(json)).code).toBe('BAD_MODEL');
  });

  it('turns damaged files into UmaErrors, never a crash, a foreign exception or a corrupted heap', async () => {
    const r = mulberry32(5);
    for (const source of [CNN, WRN]) {
      for (let trial = 0; trial < 60; trial++) {
        const bytes = source.slice();
        const flips = 1 + Math.floor(r() * 6);
        for (let k = 0; k < flips; k++) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
        try {
          (await loadOnnx(bytes, { name: `damaged-${trial}` })).dispose(); // a flip inside weight data still loads
        } catch (err) {
          expect(err, `trial ${trial}: ${(err as Error).message}`).toBeInstanceOf(UmaError);
          expect(['BAD_MODEL', 'UNSUPPORTED_MODEL']).toContain((err as UmaError).code);
        }
      }
    }
    // The WASM heap is intact: an ordinary model still loads and runs.
    const c = await loadOnnx(buildModel(convModel()), { name: 'after' });
    expect(tf.tidy(() => c.predict(tf.ones([1, 4, 4, 2])).shape)).toEqual([1, 48]);
    c.dispose();
  });

  it('refuses window geometry that would make the WASM kernels write out of bounds', async () => {
    const def = convModel();
    def.nodes[0].attrs = { pads: [1, 1, 1, 1], dilations: [1, 36] };
    const e = await loadError(buildModel(def));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toMatch(
      /node Conv_0 \(Conv\): the window is larger than the padded input \(input 4x4, kernel 3x3, strides 1,1, dilations 1,36/,
    );
    def.nodes[0].attrs = { strides: [0, 1] };
    expect((await loadError(buildModel(def))).message).toMatch(/strides and dilations must be at least 1/);
    const padded: ModelDef = {
      input: [1, 1, 4, 4],
      initializers: { p: { dims: [8], ints: [0, 0, 100000, 100000, 0, 0, 100000, 100000] } },
      nodes: [
        { op: 'Pad', inputs: ['x', 'p'], outputs: ['q'] },
        { op: 'Flatten', inputs: ['q'], outputs: ['y'] },
      ],
    };
    expect((await loadError(buildModel(padded))).message).toMatch(
      /node Pad_0 \(Pad\): implausible output shape \[1, 1, 200004, 200004\]/,
    );
  });

  it('names an unknown op and its node (UNSUPPORTED_MODEL)', async () => {
    const def = convModel();
    def.nodes.splice(1, 0, { op: 'FancyActivation', name: 'mystery_node', inputs: ['c'], outputs: ['c2'] });
    def.nodes[2].inputs = ['c2'];
    const e = await loadError(buildModel(def));
    expect(e.code).toBe('UNSUPPORTED_MODEL');
    expect(e.message).toMatch(/unsupported operator 'FancyActivation' at node 'mystery_node'/);

    def.nodes[1] = { op: 'Gelu', domain: 'com.microsoft', name: 'ms_gelu', inputs: ['c'], outputs: ['c2'] };
    expect((await loadError(buildModel(def))).message).toMatch(/'com\.microsoft\.Gelu' at node 'ms_gelu'/);
  });

  it('names the node whose initializer is missing (BAD_MODEL)', async () => {
    const def = convModel();
    def.initializers = {};
    const e = await loadError(buildModel(def));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toMatch(/node Conv_0 \(Conv\): input 'w' is neither .* \(missing initializer\?\)/);
  });

  it('names the node whose shape depends on image values (BAD_MODEL)', async () => {
    const def: ModelDef = {
      input: [1, 1, 2, 2],
      nodes: [
        { op: 'Flatten', inputs: ['x'], outputs: ['f'] },
        { op: 'Cast', inputs: ['f'], outputs: ['s'], attrs: { to: 7 } },
        { op: 'Reshape', name: 'data_dependent', inputs: ['x', 's'], outputs: ['y'] },
      ],
    };
    const e = await loadError(buildModel(def));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toMatch(/node data_dependent \(Reshape\): .*computed from the image values/);
  });

  it('asks for the size when the input height/width are dynamic, and loads once given', async () => {
    const def = convModel();
    def.input = ['N', 2, 'H', 'W'];
    const e = await loadError(buildModel(def));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toMatch(/input's height is dynamic \('H'\)/);
    const c = await loadOnnx(buildModel(def), { name: 'dyn', inputSpec: { height: 4, width: 4 } });
    expect(c.numClasses).toBe(48);
    c.dispose();
  });

  it('refuses a graph whose output is not [1, classes] for one image', async () => {
    const def = convModel();
    def.nodes.pop();
    def.output = 'c';
    const e = await loadError(buildModel(def));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toMatch(/output shape \[1, 3, 4, 4\] .* not \[1, classes\]/);
  });

  it('rejects a wrongly shaped batch at predict with SHAPE_MISMATCH naming expected and got', async () => {
    const c = await loadOnnx(buildModel(convModel()), { name: 'm' });
    const before = tf.memory().numTensors;
    const x = tf.zeros<tf.Rank.R4>([2, 4, 4, 3]);
    let err: unknown;
    try {
      c.predict(x);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UmaError);
    expect((err as UmaError).code).toBe('SHAPE_MISMATCH');
    expect((err as UmaError).message).toMatch(/expected images \[N, 4, 4, 2\] \(NHWC\), got \[2, 4, 4, 3\]/);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    c.dispose();
  });

  it('warns about non-finite weights, naming the tensors and counting the values', async () => {
    const w = randomFloats(54, 7);
    w[3] = NaN;
    w[10] = Infinity;
    w[11] = NaN;
    const c = await loadOnnx(buildModel(convModel(w)), { name: 'nan' });
    expect(c.report.warnings.join('\n')).toMatch(
      /3 non-finite weight value\(s\) \(NaN\/Inf\) in 1 tensor\(s\): w \(3\)/,
    );
    expect(c.report.warnings.join('\n')).not.toMatch(/opset/);
    c.dispose();
  });

  it('warns when the opset is outside the tested range', async () => {
    const c = await loadOnnx(buildModel({ ...convModel(), opset: 22 }), { name: 'new' });
    expect(c.report.warnings.join('\n')).toMatch(
      /opset 22 \(uma-test\) is outside the range the importer is tested on/,
    );
    c.dispose();
  });
});
