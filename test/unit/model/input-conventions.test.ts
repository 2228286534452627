/**
 * Working out a model's input convention: the survey scores every common convention on a seeded
 * clean sample and flags a loaded spec far below the best; the ONNX importer says when the graph
 * normalises its input itself instead of warning that it carries no normalisation.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { makeDataset, type Dataset } from '../../../src/main/engine/data/index.ts';
import {
  inputConventions,
  specWarning,
  surveyInputConventions,
} from '../../../src/main/engine/model/input-conventions.ts';
import { LayersClassifier } from '../../../src/main/engine/model/layers.ts';
import type { Classifier, InputSpec } from '../../../src/main/engine/model/types.ts';
import { loadOnnx } from '../../../src/main/engine/model/onnx/index.ts';
import { buildModel, randomFloats, type ModelDef } from './onnx-builder.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('input convention survey', () => {
  it('lists RGB and BGR variants for colour models, MNIST statistics for grey ones', () => {
    const colour = inputConventions(3).map((c) => c.id);
    expect(colour).toEqual(
      expect.arrayContaining(['unit', '255', 'pm1', 'imagenet', 'cifar', 'unit-bgr', 'imagenet-bgr', 'caffe']),
    );
    expect(inputConventions(1).map((c) => c.id)).toEqual(['unit', '255', 'pm1', 'mnist']);
    const bgr = inputConventions(3).find((c) => c.id === 'imagenet-bgr')!;
    expect(bgr.mean).toEqual([0.406, 0.456, 0.485]);
  });

  /**
   * A 2x2 image set whose class is the brightness of channel `c` (0.2 dark, 0.8 bright; the other
   * channels the opposite), and a linear model reading channel `reads`: sum - 2 decides, so the
   * model is right on [0,1] pixels and wrong on [0,255] ones.
   */
  function brightness(channels: number, c: number): Dataset {
    const count = 40;
    const images = new Float32Array(count * 4 * channels);
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      labels[i] = i % 2;
      for (let p = 0; p < 4; p++) {
        for (let k = 0; k < channels; k++)
          images[(i * 4 + p) * channels + k] = (k === c) === (labels[i] === 1) ? 0.8 : 0.2;
      }
    }
    return makeDataset({
      images,
      labels,
      count,
      height: 2,
      width: 2,
      channels,
      classNames: ['dark', 'bright'],
      source: 'synthetic',
    });
  }

  async function reader(channels: number, reads: number, spec?: Partial<InputSpec>): Promise<Classifier> {
    const kernel = new Float32Array(4 * channels * 2);
    for (let p = 0; p < 4; p++) {
      kernel[(p * channels + reads) * 2] = -1;
      kernel[(p * channels + reads) * 2 + 1] = 1;
    }
    const m = tf.sequential({
      layers: [tf.layers.flatten({ inputShape: [2, 2, channels] }), tf.layers.dense({ units: 2 })],
    });
    m.layers[1].setWeights([tf.tensor2d(kernel, [4 * channels, 2]), tf.tensor1d([2, -2])]);
    return LayersClassifier.fromModel(m, 'reader', spec);
  }

  it('finds a [0,1] model right as loaded, and flags a [0,255] spec as far below the best', async () => {
    const ds = brightness(1, 0);
    const right = await reader(1, 0);
    const ok = await surveyInputConventions(right, ds, { seed: 3 });
    expect(ok.sampled).toBe(40);
    expect([ok.given.id, ok.given.accuracy, ok.warning]).toEqual(['unit', 1, undefined]);
    expect(ok.scores.find((s) => s.id === '255')!.accuracy).toBe(0.5);
    right.dispose();

    const wrong = await reader(1, 0, { mean: [0], std: [1 / 255] });
    const bad = await surveyInputConventions(wrong, ds, { seed: 3 });
    expect([bad.given.id, bad.given.accuracy, bad.best.id, bad.best.accuracy]).toEqual(['255', 0.5, 'unit', 1]);
    // The same network under the same convention whatever spec it was loaded with.
    expect(bad.scores.map((x) => [x.id, x.accuracy])).toEqual(ok.scores.map((x) => [x.id, x.accuracy]));
    expect(bad.warning).toMatch(
      /INPUT SPEC LIKELY WRONG: the model reaches 50\.0% on 40 clean images with the given input spec \(\[0,255\]\) but 100\.0% with \[0,1\]/,
    );
    expect(bad.warning).toMatch(/--mean 0 --std 1 /);
    wrong.dispose();
  });

  it('recognises a BGR model fed RGB images', async () => {
    const ds = brightness(3, 0); // class = brightness of R
    const bgr = await reader(3, 2); // reads its channel 2, which is R for a BGR model
    const s = await surveyInputConventions(bgr, ds, { seed: 3 });
    expect(s.given.accuracy).toBe(0);
    expect(s.best.id).toBe('unit-bgr');
    expect(s.best.accuracy).toBe(1);
    expect(s.warning).toMatch(/Use BGR-ordered images \(the model is BGR/);
    bgr.dispose();
  });

  it('warns only past the gap', () => {
    const c = { id: 'x', label: 'x', mean: [0], std: [1], channelOrder: 'RGB' as const };
    expect(
      specWarning({ sampled: 10, given: { ...c, accuracy: 0.85 }, best: { ...c, accuracy: 0.9 } }),
    ).toBeUndefined();
    expect(
      specWarning({ sampled: 10, given: { ...c, accuracy: 0.5 }, best: { ...c, label: 'y', accuracy: 0.9 } }),
    ).toMatch(/50\.0% .* but 90\.0% with y/);
  });
});

describe('ONNX input normalisation warning', () => {
  const conv = (pre: ModelDef['nodes']): ModelDef => ({
    input: [1, 1, 4, 4],
    initializers: {
      w: { dims: [2, 1, 3, 3], floats: randomFloats(18, 5) },
      m: { dims: [1], floats: [0.5] },
      s: { dims: [1], floats: [0.25] },
    },
    nodes: [
      ...pre,
      { op: 'Conv', inputs: [pre.length ? 'n' : 'x', 'w'], outputs: ['c'] },
      { op: 'Flatten', inputs: ['c'], outputs: ['y'] },
    ],
  });

  it("says 'the graph normalises its input' when Sub/Div on the input precede the first Conv", async () => {
    const own = await loadOnnx(
      buildModel(
        conv([
          { op: 'Sub', inputs: ['x', 'm'], outputs: ['d'] },
          { op: 'Div', inputs: ['d', 's'], outputs: ['n'] },
        ]),
      ),
      { name: 'normalising' },
    );
    expect(own.report.warnings.join()).toMatch(/the graph normalises its input/);
    expect(own.report.warnings.join()).not.toMatch(/carries no input normalisation/);
    own.dispose();
    const plain = await loadOnnx(buildModel(conv([])), { name: 'plain' });
    expect(plain.report.warnings.join()).toMatch(/carries no input normalisation/);
    plain.dispose();
  });
});
