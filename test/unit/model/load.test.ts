/**
 * loadModelFile / loadModelSource / modelDigest: format sniffing, pickles refused without being
 * opened, TF.js Layers delegated to the Layers importer, and evidence hashes.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UmaError } from '../../../src/shared/errors.ts';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { LayersClassifier } from '../../../src/main/engine/model/layers.ts';
import { detectModelFormat, loadModelFile, loadModelSource, modelDigest } from '../../../src/main/engine/model/load.ts';

const CNN = fileURLToPath(new URL('../../fixtures/onnx/cnn.onnx', import.meta.url));
let dir: string;

beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'uma-load-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function refusal(path: string): UmaError {
  try {
    detectModelFormat(path);
  } catch (err) {
    return err as UmaError;
  }
  throw new Error('expected a refusal');
}

describe('model loading dispatcher', () => {
  it('loads .onnx, and ONNX bytes under another extension, by sniffing', async () => {
    const a = await loadModelFile(CNN);
    expect(a.format).toBe('onnx');
    expect(a.source.name).toBe('cnn.onnx');
    const renamed = join(dir, 'suspect.model');
    copyFileSync(CNN, renamed);
    expect(detectModelFormat(renamed)).toBe('onnx');
    // A worker rebuilds the same classifier from the source bytes.
    const b = await loadModelSource(a.source, a.inputSpec);
    const x = tf.randomUniform<tf.Rank.R4>([2, 28, 28, 1], 0, 1, 'float32', 1);
    expect(tf.tidy(() => Array.from(b.predict(x).dataSync()))).toEqual(
      tf.tidy(() => Array.from(a.predict(x).dataSync())),
    );
    tf.dispose(x);
    a.dispose();
    b.dispose();
  });

  it('refuses PyTorch pickles by extension or content, with export advice, without opening them', () => {
    const cases: [string, Uint8Array][] = [
      ['model.pt', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0])], // torch.save zip
      ['weights.pth', new Uint8Array([0x80, 0x02, 0x8a, 0x0a])], // legacy pickle protocol 2
      ['state.pkl', new Uint8Array([1, 2, 3])],
      ['last.ckpt', new Uint8Array([1, 2, 3])],
      ['pytorch_model.bin', new Uint8Array([1, 2, 3])],
      ['disguised.onnx', new Uint8Array([0x80, 0x04, 0x95, 0x10])], // pickle protocol 4 under an .onnx name
    ];
    for (const [name, bytes] of cases) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const e = refusal(path);
      expect(e, name).toBeInstanceOf(UmaError);
      expect(e.code, name).toBe('UNSUPPORTED_MODEL');
      expect(e.message).toMatch(/PyTorch checkpoint \(pickle\)/);
      expect(e.message).toMatch(/torch\.onnx\.export\(model, /);
      expect(e.message).toMatch(/never opens them/);
    }
  });

  it('names missing paths, empty folders, Keras 3 archives and unknown formats; takes .h5/.hdf5 as Keras', () => {
    expect(refusal(join(dir, 'nope.onnx')).code).toBe('NOT_FOUND');
    expect(refusal(dir).message).toMatch(/holds no model\.json/);
    writeFileSync(join(dir, 'k.keras'), 'x');
    expect(refusal(join(dir, 'k.keras')).message).toMatch(/Keras 3 \.keras archives are not supported/);
    writeFileSync(join(dir, 'k.hdf5'), 'x');
    expect(detectModelFormat(join(dir, 'k.hdf5'))).toBe('keras');
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    expect(refusal(join(dir, 'notes.txt')).code).toBe('UNSUPPORTED_MODEL');
  });

  it('loads TF.js Layers folders and model.json through the Layers importer; digests its files like the case database', async () => {
    const m = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.dense({ units: 3 })] });
    const layersDir = join(dir, 'layers');
    const original = await LayersClassifier.fromModel(m, 'tiny');
    await original.saveTo(layersDir);
    const fromDir = await loadModelFile(layersDir);
    const fromJson = await loadModelFile(join(layersDir, 'model.json'));
    expect(fromDir.format).toBe('tfjs-layers');
    expect(fromJson.numClasses).toBe(3);
    const again = await loadModelSource(fromDir.source);
    expect(again.format).toBe('tfjs-layers');
    const sum = (f: string) =>
      createHash('sha256')
        .update(readFileSync(join(layersDir, f)))
        .digest('hex');
    // sha256 of the sorted `sha256sum`-style listing of its files (util/digest.ts combinedDigest).
    const listing = [`${sum('model.json')}  model.json\n`, `${sum('weights.bin')}  weights.bin\n`].sort().join('');
    const expected = createHash('sha256').update(listing).digest('hex');
    expect(modelDigest(layersDir)).toBe(expected);
    expect(modelDigest(join(layersDir, 'model.json'))).toBe(expected);
    for (const c of [original, fromDir, fromJson, again]) c.dispose();
  });

  it('digests a single file as the sha256 of its bytes', () => {
    expect(modelDigest(CNN)).toBe(createHash('sha256').update(readFileSync(CNN)).digest('hex'));
    expect(modelDigest(CNN)).toMatch(/^[0-9a-f]{64}$/);
  });
});
