import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHITECTURES, buildArchitecture } from '../../../../src/main/eval/zoo/architectures.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const INPUT: Record<string, [number, number, number]> = {
  'mnist-cnn': [28, 28, 1],
  'small-cifar-cnn': [32, 32, 3],
  'authors-cifar-cnn': [32, 32, 3],
  'resnet-mini': [32, 32, 3],
};

function weightsEqual(a: tf.LayersModel, b: tf.LayersModel): boolean {
  const wa = a.getWeights();
  const wb = b.getWeights();
  return (
    wa.length === wb.length && wa.every((w, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(w, wb[i]))).dataSync()[0]) === 0)
  );
}

describe('corpus architectures', () => {
  it("have the documented sizes (the authors' CNN 1.34M parameters) and give one logit per class", () => {
    const params: Record<string, number> = {};
    for (const arch of ARCHITECTURES) {
      const m = buildArchitecture(arch, INPUT[arch], 43, 7);
      params[arch] = m.countParams();
      expect(m.outputs[0].shape).toEqual([null, 43]);
      expect(m.layers.at(-1)!.getConfig().activation ?? 'linear').toBe('linear');
      m.dispose();
    }
    expect(params['authors-cifar-cnn']).toBe(1_341_226 + 33 * 513);
    expect(params['small-cifar-cnn']).toBeLessThan(params['authors-cifar-cnn'] / 8);
    expect(params['mnist-cnn']).toBeLessThan(params['small-cifar-cnn']);
  });

  it('rebuild identical weights from the same seed and different ones from another', () => {
    for (const arch of ARCHITECTURES) {
      const [a, b, c] = [7, 7, 8].map((seed) => buildArchitecture(arch, INPUT[arch], 10, seed));
      expect(weightsEqual(a, b)).toBe(true);
      expect(weightsEqual(a, c)).toBe(false);
      [a, b, c].forEach((m) => m.dispose());
    }
  });
});
