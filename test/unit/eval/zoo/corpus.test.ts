import { describe, expect, it } from 'vitest';
import { main } from '../../../../src/main/cli/index.ts';
import { entryId, entryModelPath, recipes, type Manifest } from '../../../../src/main/eval/zoo/corpus.ts';

function capture() {
  const lines: string[] = [];
  return { lines, io: { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), isTTY: false } };
}

describe('corpus recipes', () => {
  it("numbers clean models and each attack's models from 0, with the data set's defaults", () => {
    const r = recipes({ dataset: 'mnist', attacks: ['blend', 'sig'], clean: 2, perAttack: 2, out: 'x' });
    expect(r.map(entryId)).toEqual([
      'mnist-mnist-cnn-clean-0',
      'mnist-mnist-cnn-clean-1',
      'mnist-mnist-cnn-blend-0',
      'mnist-mnist-cnn-blend-1',
      'mnist-mnist-cnn-sig-0',
      'mnist-mnist-cnn-sig-1',
    ]);
    expect(r[0]).toMatchObject({ arch: 'mnist-cnn', epochs: 4, poisonRate: 0.1, split: { fraction: 0.8, seed: 11 } });
    expect(recipes({ dataset: 'cifar10', attacks: [], clean: 1, perAttack: 0, out: 'x', epochs: 2 })[0]).toMatchObject({
      arch: 'small-cifar-cnn',
      epochs: 2,
    });
  });
});

describe('entryModelPath', () => {
  const manifest = (modelFile?: string) => ({ id: 'x', modelFile }) as Manifest;
  it("loads the TF.js folder, or the manifest's modelFile inside it, and refuses one outside", () => {
    expect(entryModelPath('/c/e', manifest())).toBe('/c/e');
    expect(entryModelPath('/c/e', manifest('model.onnx'))).toBe('/c/e/model.onnx');
    for (const bad of ['../model.onnx', 'sub/model.onnx', '/abs.onnx', '..', ''])
      expect(() => entryModelPath('/c/e', manifest(bad)), bad).toThrow(/must name a file in the entry's folder/);
  });
});

describe('uma zoo / uma bench input errors', () => {
  it('names the bad dataset, attack or corpus (exit 2) before training anything', async () => {
    for (const [argv, message] of [
      [['zoo', 'build', '--dataset', 'svhn'], /unknown dataset 'svhn'/],
      [['zoo', 'build', '--dataset', 'mnist', '--attacks', 'badnets,nope'], /unknown attack 'nope'/],
      [['zoo', 'rebuild', '--dataset', 'mnist'], /only subcommand is 'build'/],
      [['bench', '/no/such/corpus'], /no such corpus folder/],
      [['bench', '.', '--methods', 'abs'], /'abs' is not one of/],
      [['bench', '.', '--profile', 'fast'], /--profile must be one of tuned, authors/],
    ] as const) {
      const { lines, io } = capture();
      expect(await main([...argv], io)).toBe(2);
      expect(lines.join('\n')).toMatch(message);
    }
  });
});
