/**
 * The evaluation corpus (docs/architecture.md, "Evaluation"): clean and trojaned models, one folder each with the
 * TF.js model and a manifest.json saying how it was made. Every entry is seeded from its identity, so a
 * rebuild reproduces it, and an entry whose manifest already records the same recipe is skipped.
 * Trojans below ASR 0.9 and models below the data set's clean-accuracy floor are retrained with the
 * next seed (up to MAX_ATTEMPTS), so the corpus holds only working backdoors on working models.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UmaError } from '../../../shared/errors.ts';
import { deriveSeed } from '../../engine/random.ts';
import type { Architecture } from './architectures.ts';
import { attackByName } from './attacks/index.ts';
import { datasetSpec, DEFAULT_DATA_ROOT, loadSplit, SPLIT } from './datasets.ts';
import { trainModel, type AttackRecord } from './trainer.ts';

export const MIN_ASR = 0.9;
export const MAX_ATTEMPTS = 4;
export const POISON_RATE = 0.1;

/** What determines an entry; equal recipes mean an identical model. */
export interface Recipe {
  dataset: string;
  split: typeof SPLIT;
  arch: Architecture;
  epochs: number;
  /** 'clean' or an attack name. */
  kind: string;
  index: number;
  poisonRate: number;
}

/**
 * bench/torch/train.py's recipe: a model trained in PyTorch and exported to ONNX (bench/README.md, "The
 * PyTorch corpus"). It records more fields (optimizer, augmentation, input normalisation...) than the
 * bench reads.
 */
export interface TorchRecipe extends Omit<Recipe, 'arch' | 'index'> {
  trainer: 'pytorch';
  arch: 'mlp' | 'cnn' | 'resnet-bn';
  seed: number;
  augmentation: string;
  /** 'eval': torch.onnx.export folds BatchNorm into the convs (its default); 'preserve' keeps it. */
  exportMode: 'eval' | 'preserve';
}

export interface Manifest {
  id: string;
  recipe: Recipe | TorchRecipe;
  /** The seed that produced this model (the recipe's base seed plus failed attempts). */
  seed: number;
  attempts: number;
  cleanAccuracy: number;
  asr: number | null;
  attack: AttackRecord | null;
  trainSeconds: number;
  /** The model file in the entry's folder (PyTorch entries: model.onnx); absent: the TF.js Layers folder. */
  modelFile?: string;
  /** PyTorch entries: which half of the corpus the model is in (tune parameters on one, report on the other). */
  half?: 'tune' | 'report';
}

export interface BuildOptions {
  dataset: string;
  attacks: string[];
  clean: number;
  perAttack: number;
  out: string;
  arch?: Architecture;
  epochs?: number;
  dataRoot?: string;
  log?: (line: string) => void;
}

export function entryId(r: Recipe): string {
  return `${r.dataset}-${r.arch}-${r.kind}-${r.index}`;
}

export function readManifest(dir: string): Manifest | null {
  const file = join(dir, 'manifest.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Manifest) : null;
}

/** Whether a manifest's name can name an entry in a folder: no path, not empty, not hidden. */
export function isPlainName(name: string): boolean {
  return name !== '' && basename(name) === name && !name.startsWith('.');
}

/** What to load for an entry: its manifest's model file, or the folder (model.json + weights.bin). */
export function entryModelPath(dir: string, manifest: Manifest): string {
  const f = manifest.modelFile;
  if (f === undefined) return dir;
  if (!isPlainName(f))
    throw new UmaError('BAD_INPUT', `${dir}/manifest.json: modelFile '${f}' must name a file in the entry's folder`);
  return join(dir, f);
}

/** Manifests of every built entry under `root` (one folder per model), sorted by id. */
export function listCorpus(root: string): { dir: string; manifest: Manifest }[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => {
      const manifest = readManifest(join(root, e.name));
      return manifest ? [{ dir: join(root, e.name), manifest }] : [];
    })
    .sort((a, b) => (a.manifest.id < b.manifest.id ? -1 : 1));
}

export function recipes(o: BuildOptions): Recipe[] {
  const spec = datasetSpec(o.dataset);
  const base = {
    dataset: o.dataset,
    split: SPLIT,
    arch: o.arch ?? spec.arch,
    epochs: o.epochs ?? spec.epochs,
    poisonRate: POISON_RATE,
  };
  const kinds = [
    ...new Array<string>(o.clean).fill('clean'),
    ...o.attacks.flatMap((a) => new Array<string>(o.perAttack).fill(a)),
  ];
  const seen = new Map<string, number>();
  return kinds.map((kind) => {
    const index = seen.get(kind) ?? 0;
    seen.set(kind, index + 1);
    return { ...base, kind, index };
  });
}

/** Builds the missing entries; returns the ids it could not build within MAX_ATTEMPTS. */
export async function buildCorpus(o: BuildOptions): Promise<{ built: string[]; skipped: string[]; failed: string[] }> {
  const log = o.log ?? (() => undefined);
  const spec = datasetSpec(o.dataset);
  for (const a of o.attacks) attackByName(a); // fail on a typo before training anything
  const { train, held } = loadSplit(o.dataset, o.dataRoot ?? DEFAULT_DATA_ROOT);
  const built: string[] = [];
  const skipped: string[] = [];
  const failed: string[] = [];
  for (const recipe of recipes(o)) {
    const id = entryId(recipe);
    const dir = join(o.out, id);
    if (JSON.stringify(readManifest(dir)?.recipe) === JSON.stringify(recipe)) {
      skipped.push(id);
      continue;
    }
    const base = deriveSeed(1, id);
    let done = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && !done; attempt++) {
      const seed = base + attempt;
      const t0 = performance.now();
      const m = await trainModel({
        arch: recipe.arch,
        train,
        test: held,
        epochs: recipe.epochs,
        seed,
        name: id,
        poisonRate: recipe.poisonRate,
        attack: recipe.kind === 'clean' ? undefined : attackByName(recipe.kind),
      });
      const trainSeconds = (performance.now() - t0) / 1000;
      const ok = m.cleanAccuracy >= spec.minCleanAccuracy && (m.asr === null || m.asr >= MIN_ASR);
      log(
        `${id} seed ${seed}: clean accuracy ${m.cleanAccuracy.toFixed(3)}${m.asr === null ? '' : `, ASR ${m.asr.toFixed(3)}`}, ${trainSeconds.toFixed(0)} s${ok ? '' : ' - rejected, retraining'}`,
      );
      if (ok) {
        await m.classifier.saveTo(dir);
        const manifest: Manifest = {
          id,
          recipe,
          seed,
          attempts: attempt + 1,
          cleanAccuracy: m.cleanAccuracy,
          asr: m.asr,
          attack: m.attack,
          trainSeconds,
        };
        writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
        built.push(id);
        done = true;
      }
      m.classifier.dispose();
    }
    if (!done) failed.push(id);
  }
  return { built, skipped, failed };
}
