/**
 * One entry point for model files: sniffs the format (extension first, then magic bytes), loads ONNX
 * and TF.js Layers models, and refuses PyTorch pickles without ever unpickling them (a pickle can run
 * arbitrary code, and evidence must never execute). Also hashes the evidence: `modelDigest`.
 */
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { UmaError } from '../../../shared/errors.ts';
import { combinedDigest, sha256Hex } from '../../util/digest.ts';
import { hasHdf5Signature, loadKerasFile } from './keras/index.ts';
import { fileHead, readRegularFile, requireRegularFile, resolveEvidencePath } from '../files.ts';
import { LayersClassifier, loadLayersModelFile, readLayersFiles } from './layers.ts';
import { loadOnnx } from './onnx/index.ts';
import type { Classifier, InputSpec, ModelFormat, ModelSource } from './types.ts';

export interface LoadModelOptions {
  /** Shown in reports and errors; the file name by default. */
  name?: string;
  inputSpec?: Partial<InputSpec>;
  /** A Keras weights-only H5 file's architecture (Keras model JSON or TF.js model.json). */
  architecture?: string;
}

const PICKLE_EXTENSIONS = new Set(['.pt', '.pth', '.pkl', '.ckpt', '.bin']);

export const PICKLE_ADVICE = [
  'PyTorch checkpoints are Python pickles, which can execute code when loaded, so UMA never opens them.',
  'Export the model to ONNX instead, in the environment that trained it:',
  '    model.eval()',
  "    torch.onnx.export(model, torch.rand(1, 3, 32, 32), 'model.onnx', opset_version=13,",
  "                      input_names=['input'], output_names=['logits'],",
  "                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})",
  "(use your model's input shape; the dynamic batch axis lets UMA run any batch size).",
].join('\n');

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

/** Pickle protocol 2-5 opcode, or a zip archive (torch.save since 1.6 writes a zip holding data.pkl). */
function looksLikePickle(head: Uint8Array): boolean {
  return (head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) || startsWith(head, [0x50, 0x4b, 0x03, 0x04]);
}

export function detectModelFormat(path: string): ModelFormat {
  const { stat } = resolveEvidencePath(path);
  if (stat.isDirectory()) {
    if (existsSync(join(path, 'model.json'))) return 'tfjs-layers';
    throw new UmaError('BAD_MODEL', `${path}: a folder, but it holds no model.json (a TF.js Layers model) to load`);
  }
  requireRegularFile(path, stat);
  const ext = extname(path).toLowerCase();
  const magic = fileHead(path);
  if (PICKLE_EXTENSIONS.has(ext) || looksLikePickle(magic)) {
    throw new UmaError('UNSUPPORTED_MODEL', `${path}: looks like a PyTorch checkpoint (pickle).\n${PICKLE_ADVICE}`);
  }
  if (ext === '.onnx') return 'onnx';
  if (ext === '.json') return 'tfjs-layers';
  if (ext === '.h5' || ext === '.hdf5' || hasHdf5Signature(magic)) return 'keras';
  if (ext === '.keras') {
    throw new UmaError(
      'UNSUPPORTED_MODEL',
      `${path}: Keras 3 .keras archives are not supported; save as H5 (model.save('model.h5')) or export ONNX`,
    );
  }
  // An ONNX ModelProto opens with field 1 (ir_version, varint): tag byte 0x08.
  if (magic[0] === 0x08) return 'onnx';
  throw new UmaError(
    'UNSUPPORTED_MODEL',
    `${path}: unrecognised model format; UMA loads ONNX (.onnx), Keras H5 (.h5, .hdf5) and TF.js Layers (model.json + weights)`,
  );
}

export async function loadModelFile(path: string, opts: LoadModelOptions = {}): Promise<Classifier> {
  const format = detectModelFormat(path);
  const name = opts.name ?? basename(path);
  if (format === 'onnx') return loadOnnx(new Uint8Array(readRegularFile(path)), { name, inputSpec: opts.inputSpec });
  if (format === 'keras')
    return loadKerasFile(path, { name, inputSpec: opts.inputSpec, architecture: opts.architecture });
  if (opts.architecture !== undefined)
    throw new UmaError('BAD_INPUT', `${path}: an architecture file applies to Keras weights-only H5 files only`);
  return loadLayersModelFile(path, { name, inputSpec: opts.inputSpec });
}

/** Rebuilds a classifier from the bytes it was loaded from (a worker thread's own copy). */
export async function loadModelSource(source: ModelSource, inputSpec?: Partial<InputSpec>): Promise<Classifier> {
  switch (source.format) {
    case 'onnx':
      return loadOnnx(source.bytes, { name: source.name, inputSpec });
    case 'tfjs-layers':
      return LayersClassifier.fromSource(source, inputSpec);
    default:
      throw new UmaError('UNSUPPORTED_MODEL', `unknown model source format '${(source as { format: string }).format}'`);
  }
}

/**
 * sha256 (hex) of the model as evidence, as the case database computes it (combinedDigest): the file's
 * own digest; for a TF.js Layers model, or a Keras weights-only file with its architecture file, the
 * digest of the files' sha256sum listing. Pickles are hashed too (they are evidence), just never loaded.
 */
export function modelDigest(path: string, architecture?: string): string {
  const isLayers = resolveEvidencePath(path).stat.isDirectory() || extname(path).toLowerCase() === '.json';
  const files = [...(isLayers ? readLayersFiles(path).files : [path]), ...(architecture ? [architecture] : [])];
  return combinedDigest(files.map((f) => ({ name: basename(f), sha256: sha256Hex(readRegularFile(f)) })));
}
