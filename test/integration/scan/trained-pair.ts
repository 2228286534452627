/**
 * A seeded clean MNIST CNN and its BadNets-trojaned twin, trained in seconds on 80% of the MNIST test
 * split (../shared/datasets); the other 20% are the scanner's clean samples.
 */
import { join } from 'node:path';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { loadDataset, stratifiedSplit, type Dataset } from '../../../src/main/engine/data/index.ts';
import type { LayersClassifier } from '../../../src/main/engine/model/layers.ts';
import { badnets } from '../../../src/main/engine/zoo/attacks/badnets.ts';
import { trainModel } from '../../../src/main/engine/zoo/trainer.ts';

export interface TrainedPair {
  clean: LayersClassifier;
  trojaned: LayersClassifier;
  target: number;
  asr: number;
  held: Dataset;
}

export const MNIST = join(import.meta.dirname, '../../../../shared/datasets/mnist/t10k-images-idx3-ubyte.gz');

export async function trainPair(): Promise<TrainedPair> {
  await initBackend('wasm');
  const [train, held] = stratifiedSplit(loadDataset(MNIST), 0.8, 11);
  const troj = await trainModel({ arch: 'mnist-cnn', train, test: held, attack: badnets, target: 3, epochs: 4, seed: 11 });
  const clean = await trainModel({ arch: 'mnist-cnn', train, test: held, epochs: 4, seed: 12 });
  return { clean: clean.classifier, trojaned: troj.classifier, target: 3, asr: troj.asr!, held };
}
