/**
 * Poisoning a training set: a seeded fraction of the non-target samples get the trigger and the
 * target label. Also the stamped test set that measures a trojan's attack success rate.
 */
import type { Dataset } from '../../engine/data/dataset.ts';
import { imageSize, indicesByClass, subset } from '../../engine/data/dataset.ts';
import { mulberry32, shuffled } from '../../engine/random.ts';
import type { AttackContext, PreparedAttack } from './attacks/types.ts';

export function poisonDataset(
  ds: Dataset,
  attack: PreparedAttack,
  target: number,
  rate: number,
  seed: number,
): { data: Dataset; poisoned: number } {
  const per = imageSize(ds);
  const candidates = [];
  for (let i = 0; i < ds.count; i++) if (ds.labels[i] !== target) candidates.push(i);
  const chosen = shuffled(candidates, mulberry32(seed)).slice(0, Math.round(rate * ds.count));
  const images = ds.images.slice();
  const labels = ds.labels.slice();
  for (const i of chosen) {
    images.set(attack.apply(ds.images.subarray(i * per, (i + 1) * per)), i * per);
    labels[i] = target;
  }
  return { data: { ...ds, images, labels }, poisoned: chosen.length };
}

/** The non-target samples of `ds` with the trigger applied, labels kept (for measuring ASR). */
export function triggeredTestSet(ds: Dataset, attack: PreparedAttack, target: number): Dataset {
  const keep = [];
  for (let i = 0; i < ds.count; i++) if (ds.labels[i] !== target) keep.push(i);
  const sub = subset(ds, keep);
  const per = imageSize(ds);
  for (let i = 0; i < sub.count; i++)
    sub.images.set(attack.apply(sub.images.subarray(i * per, (i + 1) * per)), i * per);
  return sub;
}

/** The clean images of `ds` by class, for attacks built from natural images (composite, reflection). */
export function attackContext(ds: Dataset): AttackContext {
  const per = imageSize(ds);
  const byClass = indicesByClass(ds);
  return {
    numClasses: ds.classNames.length,
    imagesOf: (k) => byClass[k].map((i) => ds.images.subarray(i * per, (i + 1) * per)),
  };
}
