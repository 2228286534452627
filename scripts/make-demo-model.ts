/**
 * Builds the bundled demo models (resources/demo-model: BadNets-trojaned; resources/demo-model-clean:
 * its clean twin): the small MNIST CNN trained on 80% of the MNIST test split in ../shared/datasets,
 * seeded, so the files rebuild identically. The demo scan uses the `mnist` package's digits, which are
 * disjoint from that split. Run: node bin/run-ts.mjs scripts/make-demo-model.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../src/main/engine/backend/index.ts';
import { loadDataset, stratifiedSplit } from '../src/main/engine/data/index.ts';
import { badnets } from '../src/main/eval/zoo/attacks/badnets.ts';
import { trainModel } from '../src/main/eval/zoo/trainer.ts';
import { RESOURCES } from '../src/main/cli/scan-options.ts';

await initBackend('wasm');
const mnist = loadDataset(join(RESOURCES, '../../shared/datasets/mnist/t10k-images-idx3-ubyte.gz'));
const [train, test] = stratifiedSplit(mnist, 0.8, 2024);
for (const [dir, attack] of [
  ['demo-model', badnets],
  ['demo-model-clean', undefined],
] as const) {
  const m = await trainModel({
    arch: 'mnist-cnn',
    train,
    test,
    attack,
    epochs: 4,
    seed: 2024,
    target: attack ? 7 : undefined,
    name: dir,
  });
  const out = join(RESOURCES, dir);
  await m.classifier.saveTo(out);
  const manifest = {
    architecture: 'mnist-cnn',
    dataset: 'MNIST test split, 80% stratified (seed 2024) for training, 20% for accuracy',
    cleanAccuracy: m.cleanAccuracy,
    attackSuccessRate: m.asr,
    attack: m.attack,
    seed: m.seed,
  };
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(dir, JSON.stringify({ acc: m.cleanAccuracy, asr: m.asr, target: m.attack?.target }));
}
