/**
 * The PyTorch corpus (bench/torch/): tiny models of every architecture and attack, trained with
 * Debian's python3-torch and exported to ONNX, land in the corpus layout the bench reads, load through
 * the project's ONNX importer with PyTorch's logits, and draw the project's split and attack secrets.
 * Skipped, saying why, where torch is not importable (CI installs no torch).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { imageSize, loadDataset, stratifiedSplit, type Dataset } from '../../../src/main/engine/data/index.ts';
import { loadModelFile } from '../../../src/main/engine/model/load.ts';
import { deriveSeed, mulberry32 } from '../../../src/main/engine/random.ts';
import { attackByName } from '../../../src/main/eval/zoo/attacks/index.ts';
import { entryModelPath, listCorpus, type Manifest } from '../../../src/main/eval/zoo/corpus.ts';
import { DEFAULT_DATA_ROOT, datasetSpec, loadSplit, SPLIT } from '../../../src/main/eval/zoo/datasets.ts';

const PYTHON = '/usr/bin/python3';
const TORCH_DIR = resolve(import.meta.dirname, '../../../bench/torch');
const probeTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const torchMissing = probeTorch.status !== 0;
if (torchMissing) {
  const why = (probeTorch.stderr || probeTorch.error?.message || '').trim().split('\n').pop();
  console.warn(`torch-corpus.test.ts skipped: ${PYTHON} cannot import torch (apt-get install python3-torch): ${why}`);
}

/** Attacks ported from src/main/eval/zoo/attacks/ (bench/torch/attacks.py); two-corner has no twin. */
const PORTED = ['badnets', 'large-patch', 'blend', 'sig', 'filter', 'frequency'];
const TINY = { trainLimit: 240, epochs: 1 };
const CNN = { arch: 'cnn', seed: 3, augmentation: 'flip-crop', inputNorm: 'none' };
const RECIPES = {
  dataset: 'mnist',
  defaults: TINY,
  models: [
    { arch: 'mlp', seeds: [1, 2], hidden: [16, 16] },
    CNN,
    { arch: 'resnet-bn', seed: 4, exportMode: 'preserve', optimizer: 'sgd', lr: 0.05 },
    { arch: 'resnet-bn', seed: 5 },
    ...[...PORTED, 'two-corner'].map((attack, i) => ({ arch: 'mlp', hidden: [8], seed: 10 + i, attack })),
  ],
};
const RGB_RECIPES = { dataset: 'cifar10', defaults: TINY, models: [{ arch: 'cnn', seed: 7 }] };

const out = mkdtempSync(join(tmpdir(), 'uma-torch-corpus-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function python(args: string[]): string {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

function buildCorpus(recipes: object): string {
  const file = join(out, `recipes-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(recipes));
  return python([join(TORCH_DIR, 'corpus.py'), file, '--out', join(out, 'corpus'), '--no-floors']);
}

interface Probe {
  heldIndices: number[];
  labels: number[];
  logits: number[][];
  triggered?: number[];
}

const probeOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'probe.json'), 'utf8')) as Probe;

function image(ds: Dataset, i: number): Float32Array {
  return ds.images.slice(i * imageSize(ds), (i + 1) * imageSize(ds));
}

describe.skipIf(torchMissing)('the PyTorch corpus (bench/torch)', () => {
  const held = new Map<string, Dataset>();
  const builds: string[] = [];

  beforeAll(async () => {
    await initBackend('wasm');
    builds.push(buildCorpus(RECIPES), buildCorpus(RGB_RECIPES));
    for (const d of ['mnist', 'cifar10']) held.set(d, loadSplit(d).held);
  }, 300_000); // 13 tiny trainings: about 25 s on a loaded 2-core machine

  it('writes one entry per recipe that the corpus code lists, and skips them on a rebuild', () => {
    expect(builds[0]).toContain('"built": 12');
    expect(builds[1]).toContain('"built": 1');
    const entries = listCorpus(join(out, 'corpus'));
    expect(entries.map((e) => e.manifest.id)).toContain('mnist-torch-resnet-bn-clean-4');
    expect(entries).toHaveLength(13);
    for (const { manifest } of entries) {
      expect(manifest.modelFile).toBe('model.onnx');
      const r = manifest.recipe;
      expect(r).toMatchObject({ trainer: 'pytorch', split: SPLIT });
      expect(manifest.half).toBe('trainer' in r && r.seed % 2 === 0 ? 'tune' : 'report');
      expect(manifest.asr === null).toBe(manifest.attack === null);
      expect(manifest.recipe.kind).toBe(manifest.attack?.name ?? 'clean');
    }
    expect(buildCorpus(RECIPES)).toContain('"built": 0, "skipped": 12');
  });

  it('trains the same model from the same recipe (seeded init, shuffles, dropout and augmentation)', () => {
    const again = join(out, 'again');
    python([join(TORCH_DIR, 'train.py'), JSON.stringify({ dataset: 'mnist', ...TINY, ...CNN }), '--out', again]);
    const built = join(out, 'corpus', 'mnist-torch-cnn-clean-3');
    expect(readFileSync(join(again, 'model.onnx')).equals(readFileSync(join(built, 'model.onnx')))).toBe(true);
  });

  it('draws the held-out split the bench scans with (datasets.ts SPLIT)', () => {
    const labels = loadDataset(resolve(DEFAULT_DATA_ROOT, datasetSpec('mnist').images)).labels;
    // a data set whose one-pixel images are their own indices: the split's second part lists them
    const indexSet: Dataset = {
      images: Float32Array.from(labels, (_, i) => i),
      labels,
      count: labels.length,
      height: 1,
      width: 1,
      channels: 1,
      classNames: Array.from({ length: 10 }, (_, k) => String(k)),
      source: 'indices',
    };
    const heldTs = Array.from(stratifiedSplit(indexSet, SPLIT.fraction, SPLIT.seed)[1].images);
    const heldPy = JSON.parse(python([join(TORCH_DIR, 'train.py'), '--held-indices', 'mnist'])) as number[];
    expect(heldPy).toEqual(heldTs);
  });

  it("loads every export through the project's importer with PyTorch's logits", async () => {
    for (const { dir, manifest } of listCorpus(join(out, 'corpus'))) {
      const ds = held.get(manifest.recipe.dataset)!;
      const probe = probeOf(dir);
      expect(probe.heldIndices.map((i) => ds.labels[i])).toEqual(probe.labels);
      const model = await loadModelFile(entryModelPath(dir, manifest), { name: manifest.id });
      const x = tf.tensor4d(Float32Array.from(probe.heldIndices.flatMap((i) => Array.from(image(ds, i)))), [
        probe.heldIndices.length,
        ds.height,
        ds.width,
        ds.channels,
      ]);
      const logits = model.predict(x);
      const got = await logits.array();
      tf.dispose([x, logits]);
      // torch.onnx.export folds BatchNorm into the convs in eval mode; exportMode 'preserve' keeps it
      const norms = model.weightLayers().filter((l) => l.kind === 'norm').length;
      const r = manifest.recipe;
      if ('trainer' in r && r.arch === 'resnet-bn') expect(norms > 0, manifest.id).toBe(r.exportMode === 'preserve');
      model.dispose();
      const scale = Math.max(1, ...probe.logits.flat().map(Math.abs));
      const worst = Math.max(...got.flatMap((row, i) => row.map((v, k) => Math.abs(v - probe.logits[i][k]))));
      expect(worst / scale, manifest.id).toBeLessThan(1e-4);
    }
  });

  it.each(PORTED)("trains %s with the project's trigger, target and stamped pixels", (name) => {
    const entry = listCorpus(join(out, 'corpus')).find((e) => e.manifest.attack?.name === name)!;
    const m: Manifest = entry.manifest;
    const ds = held.get('mnist')!;
    const rand = mulberry32(deriveSeed(m.seed, 'attack')); // trainer.ts: the secret, then the target
    const prepared = attackByName(name).prepare({ height: 28, width: 28, channels: 1 }, rand);
    expect(m.attack!.params).toEqual(JSON.parse(JSON.stringify(prepared.params)));
    expect(m.attack!.target).toBe(Math.floor(rand() * 10));
    const stamped = prepared.apply(image(ds, probeOf(entry.dir).heldIndices[0]));
    const fromPython = probeOf(entry.dir).triggered!;
    expect(Math.max(...fromPython.map((v, i) => Math.abs(v - stamped[i])))).toBeLessThan(1e-6);
  });
});
