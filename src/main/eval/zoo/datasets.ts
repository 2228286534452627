/**
 * The benchmark's data sets by name, and the one seeded split every corpus model and its scans share:
 * 80% of the (test-split) images train the model, the other 20% are the scanner's clean samples and
 * measure clean accuracy and ASR. The split is recorded in each manifest, so a bench rebuilds the
 * very samples the model never saw.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UmaError } from '../../../shared/errors.ts';
import { loadDataset, stratifiedSplit, type Dataset } from '../../engine/data/index.ts';
import type { Architecture } from './architectures.ts';

export interface DatasetSpec {
  name: string;
  /** Images file, relative to the data-set root or absolute. */
  images: string;
  arch: Architecture;
  epochs: number;
  /** Models below this clean accuracy (on the held-out 20%) are retrained with the next seed. */
  minCleanAccuracy: number;
}

export const DATASETS: Record<string, DatasetSpec> = {
  mnist: {
    name: 'mnist',
    images: 'mnist/t10k-images-idx3-ubyte.gz',
    arch: 'mnist-cnn',
    epochs: 4,
    minCleanAccuracy: 0.94,
  },
  // Debian's dataset-fashion-mnist package
  'fashion-mnist': {
    name: 'fashion-mnist',
    images: '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz',
    arch: 'mnist-cnn',
    epochs: 6,
    minCleanAccuracy: 0.8,
  },
  // 8,000 (CIFAR-10) / 10,104 (GTSRB) training images only, so the small CNN: on CIFAR-10 it reached
  // clean accuracy 0.60 after 15 epochs (7 min on one core), 0.54-0.60 after 12 in the corpus; on GTSRB
  // 0.96 after 10 epochs. The floors reject a failed run, not a weak data set.
  cifar10: {
    name: 'cifar10',
    images: 'cifar10/test-images-idx4-ubyte.gz',
    arch: 'small-cifar-cnn',
    epochs: 12,
    minCleanAccuracy: 0.5,
  },
  gtsrb: {
    name: 'gtsrb',
    images: 'gtsrb/test-images-idx4-ubyte.gz',
    arch: 'small-cifar-cnn',
    epochs: 10,
    minCleanAccuracy: 0.75,
  },
};

/** The repository's sibling folder of shared data sets (../shared/datasets from the repo root). */
export const DEFAULT_DATA_ROOT = resolve(import.meta.dirname, '../../../../../shared/datasets');

export const SPLIT = { fraction: 0.8, seed: 11 };

export function datasetSpec(name: string): DatasetSpec {
  const spec = DATASETS[name];
  if (!spec) throw new UmaError('BAD_INPUT', `unknown dataset '${name}' (one of ${Object.keys(DATASETS).join(', ')})`);
  return spec;
}

export function loadSplit(name: string, root = DEFAULT_DATA_ROOT): { train: Dataset; held: Dataset } {
  const path = resolve(root, datasetSpec(name).images);
  if (!existsSync(path)) {
    const hint = name === 'fashion-mnist' ? ' (apt-get install dataset-fashion-mnist)' : '';
    throw new UmaError('NOT_FOUND', `${path}: data set '${name}' is missing${hint}`);
  }
  const [train, held] = stratifiedSplit(loadDataset(path), SPLIT.fraction, SPLIT.seed);
  return { train, held };
}
