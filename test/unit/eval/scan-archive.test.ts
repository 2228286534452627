/**
 * The scan archive (src/main/eval/scan-archive.ts) as `uma bench --archive` uses it: an archived scan
 * of the same model file is restored and tabulated without rescanning, one of another file is not,
 * and a scan cached beside a model is added to the archive.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchCorpus, cachePath } from '../../../src/main/eval/bench.ts';
import { archiveShelf } from '../../../src/main/eval/scan-archive.ts';
import type { Manifest } from '../../../src/main/eval/zoo/corpus.ts';
import { sha256Hex } from '../../../src/main/util/digest.ts';
import { resolveParams } from '../../../src/shared/scan-params.ts';
import { scanFixture, tempDir, writeModel } from '../../fixtures/reports/scan-fixture.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const ID = 'mnist-torch-mlp-clean-2';
const params = resolveParams({ maxPerClass: 100 });

/** A corpus of one entry (manifest + seeded model bytes) and an empty archive folder beside it. */
function setup(): { corpus: string; entry: string; archive: string; sha: string } {
  const root = tempDir('uma-archive-');
  dirs.push(root);
  const corpus = path.join(root, 'corpus');
  const entry = path.join(corpus, ID);
  fs.mkdirSync(entry, { recursive: true });
  const manifest = {
    id: ID,
    recipe: { dataset: 'mnist', arch: 'mlp', kind: 'clean' },
    seed: 2,
    attempts: 1,
    cleanAccuracy: 0.97,
    asr: null,
    attack: null,
    trainSeconds: 1,
    modelFile: 'model.onnx',
    half: 'tune',
  };
  fs.writeFileSync(path.join(entry, 'manifest.json'), JSON.stringify(manifest));
  const sha = sha256Hex(fs.readFileSync(writeModel(entry, 'model.onnx')));
  return { corpus, entry, archive: path.join(root, 'archive'), sha };
}

function scanOf(sha: string): string {
  return JSON.stringify(scanFixture({ classes: 4, modelSha256: sha }).result);
}

async function tabulate(corpus: string, archive: string, log: string[]) {
  return benchCorpus({
    corpus,
    methods: ['uma'],
    profile: 'tuned',
    params,
    seed: 1,
    cachedOnly: true,
    archive,
    log: (l) => log.push(l),
  });
}

describe('uma bench --archive', () => {
  it('restores an archived scan of the same model file and tabulates it without rescanning', async () => {
    const { corpus, entry, archive, sha } = setup();
    const name = path.basename(cachePath(entry, 'uma', params, 1));
    fs.mkdirSync(path.join(archive, ID), { recursive: true });
    fs.writeFileSync(path.join(archive, ID, name), scanOf(sha));
    const log: string[] = [];
    const records = await tabulate(corpus, archive, log);
    expect(records.map((r) => [r.id, r.method])).toEqual([[ID, 'uma']]);
    expect(fs.readFileSync(path.join(entry, name), 'utf8')).toBe(scanOf(sha));
    expect(log).toEqual([`${ID}: 1 scan(s) restored from the archive`]);
  });

  it('leaves out an archived scan of another model file and says so', async () => {
    const { corpus, entry, archive } = setup();
    const name = path.basename(cachePath(entry, 'uma', params, 1));
    fs.mkdirSync(path.join(archive, ID), { recursive: true });
    fs.writeFileSync(path.join(archive, ID, name), scanOf('b'.repeat(64)));
    const log: string[] = [];
    expect(await tabulate(corpus, archive, log)).toEqual([]);
    expect(fs.existsSync(path.join(entry, name))).toBe(false);
    expect(log).toEqual([`${ID}: ${name} in the archive scanned another model file (sha256 differs): not used`]);
  });

  it('leaves out an archived file that is not a scan and names it', async () => {
    const { corpus, entry, archive } = setup();
    const name = path.basename(cachePath(entry, 'uma', params, 1));
    fs.mkdirSync(path.join(archive, ID), { recursive: true });
    fs.writeFileSync(path.join(archive, ID, name), '{"model": trunc');
    const log: string[] = [];
    expect(await tabulate(corpus, archive, log)).toEqual([]);
    expect(fs.existsSync(path.join(entry, name))).toBe(false);
    expect(log).toEqual([`${ID}: ${name} in the archive is not a scan with a model digest: not used`]);
  });

  it('adds a scan cached beside the model to the archive, and not a stale one of another file', async () => {
    const { corpus, entry, archive, sha } = setup();
    const file = cachePath(entry, 'uma', params, 1);
    fs.writeFileSync(file, scanOf(sha));
    const stale = cachePath(entry, 'uma-noablation', params, 1);
    fs.writeFileSync(stale, scanOf('c'.repeat(64)));
    const log: string[] = [];
    const records = await tabulate(corpus, archive, log);
    expect(records).toHaveLength(1);
    expect(fs.readdirSync(path.join(archive, ID))).toEqual([path.basename(file)]);
    expect(fs.readFileSync(path.join(archive, ID, path.basename(file)), 'utf8')).toBe(scanOf(sha));
    expect(log).toEqual([`${ID}: 1 scan(s) added to the archive`]);
  });

  it('refuses a manifest id that is not a plain folder name', () => {
    for (const id of ['', '..', '../escape', '.hidden'])
      expect(() => archiveShelf('/tmp/archive', { id } as Manifest)).toThrow(/cannot name a scan archive folder/);
  });
});
