/**
 * Issue 15, defects 2, 4 and 10 (model side): damaged or hostile TF.js manifests, shard paths out of
 * the model's folder, special files given as the model and symbolic link loops each fail with a
 * named UmaError, never a TypeError, a hang or a silent acceptance.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UmaError } from '../../../src/shared/errors.ts';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { loadModelFile, modelDigest } from '../../../src/main/engine/model/load.ts';

const DEMO = fileURLToPath(new URL('../../../resources/demo-model/', import.meta.url));
const demoJson = JSON.parse(readFileSync(join(DEMO, 'model.json'), 'utf8'));
let dir: string;
let n = 0;

beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'uma-hostile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the demo model whose model.json is `edit`ed; returns its folder. */
function variant(edit: (json: typeof demoJson) => void): string {
  const d = join(dir, `v${n++}`);
  mkdirSync(d);
  const json = structuredClone(demoJson);
  edit(json);
  writeFileSync(join(d, 'model.json'), JSON.stringify(json));
  copyFileSync(join(DEMO, 'weights.bin'), join(d, 'weights.bin'));
  return d;
}

async function refusal(path: string): Promise<UmaError> {
  try {
    (await loadModelFile(path)).dispose();
  } catch (err) {
    if (!(err instanceof UmaError)) throw new Error(`not a named error: ${(err as Error).stack}`);
    return err;
  }
  throw new Error(`${path} was accepted`);
}

const group = (json: typeof demoJson) => json.weightsManifest[0];

describe('TF.js manifests', () => {
  const cases: [string, (j: typeof demoJson) => void, RegExp][] = [
    ['paths: null', (j) => (group(j).paths = null), /weightsManifest\.0\.paths/],
    ['paths: [null]', (j) => (group(j).paths = [null]), /weightsManifest\.0\.paths\.0/],
    ['paths: [1]', (j) => (group(j).paths = [1]), /weightsManifest\.0\.paths\.0/],
    ['paths: ["."]', (j) => (group(j).paths = ['.']), /not a regular file|out of the model's folder/],
    ['shape: null', (j) => (group(j).weights[0].shape = null), /weights\.0\.shape/],
    ['weightsManifest: [null]', (j) => (j.weightsManifest = [null]), /weightsManifest\.0/],
    ['weightsManifest: [{}]', (j) => (j.weightsManifest = [{}]), /weightsManifest\.0\.paths/],
    [
      'duplicate layer names',
      (j) => (j.modelTopology.config.layers[1].config.name = j.modelTopology.config.layers[0].config.name),
      /duplicate layer name/,
    ],
    ['duplicate weight names', (j) => (group(j).weights[1].name = group(j).weights[0].name), /duplicate weight name/],
    [
      'quantized weights',
      (j) => (group(j).weights[0].quantization = { dtype: 'uint8', min: 0, scale: 1 }),
      /quantized/,
    ],
    ['a layer without config', (j) => delete j.modelTopology.config.layers[0].config, /layers\.0\.config/],
    [
      'shard path out of the folder',
      (j) => (group(j).paths = ['../../../../../../dev/zero']),
      /out of the model's folder|not a regular file/,
    ],
    ['absolute shard path', (j) => (group(j).paths = ['/dev/zero']), /out of the model's folder|a device/],
  ];
  for (const [what, edit, message] of cases) {
    it(`refuses ${what} with a named error`, async () => {
      const err = await refusal(variant(edit));
      expect(err.message).toMatch(message);
    });
  }

  it('refuses a shard that is a symlink to /dev/zero inside the folder', async () => {
    const d = variant(() => undefined);
    rmSync(join(d, 'weights.bin'));
    symlinkSync('/dev/zero', join(d, 'weights.bin'));
    expect((await refusal(d)).message).toMatch(/out of the model's folder|a device/);
  });
});

describe('special files given as the model', () => {
  it('refuses a FIFO, a /dev/zero symlink and a symlink loop, each by name', async () => {
    const fifo = join(dir, 'pipe.onnx');
    execFileSync('mkfifo', [fifo]);
    expect((await refusal(fifo)).message).toMatch(/a FIFO/);
    const zero = join(dir, 'zero.onnx');
    symlinkSync('/dev/zero', zero);
    expect((await refusal(zero)).message).toMatch(/a device/);
    const loop = join(dir, 'loop.onnx');
    symlinkSync(loop, loop);
    expect((await refusal(loop)).message).toMatch(/symbolic link loop/);
    expect(() => modelDigest(loop)).toThrow(/symbolic link loop/);
    expect(() => modelDigest(zero)).toThrow(/a device/);
  });
});
