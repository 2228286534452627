/**
 * Turns the model and data references of the contract into files the engine can open. Uploaded
 * data is written once into a content-addressed folder under the data folder (uploads/<sha256>), so
 * a scan can be resumed after a restart from the same bytes; uploaded models only pass through a
 * temporary folder, since intake copies them into the read-only evidence store.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import type { ArchitectureRef, DataRef, ModelSourceRef } from '../../shared/api.ts';
import { UmaError } from '../../shared/errors.ts';
import { sha256Hex } from '../util/digest.ts';
import { readLayersFiles } from '../engine/model/layers.ts';

// resources/ is three levels above this file in the source tree and two above out/main/engine-host.js in the
// Electron build; whichever exists.
const RESOURCES =
  ['../../../resources/', '../../resources/']
    .map((p) => fileURLToPath(new URL(p, import.meta.url)))
    .find((p) => fs.existsSync(path.join(p, 'demo-model'))) ?? '';
export const DEMO_MODELS = {
  trojaned: path.join(RESOURCES, 'demo-model', 'model.json'),
  clean: path.join(RESOURCES, 'demo-model-clean', 'model.json'),
} as const;

export interface ModelFiles {
  /** The model file first (model.json or the .onnx), then any weight shards. */
  files: string[];
  displayName: string;
  /**
   * What to record as each file's origin when the path above is only a temporary copy (an upload):
   * the name the analyst's browser sent, not the server's temp folder.
   */
  origins?: string[];
  cleanup: () => void;
}

/** The files of a model on disk: one ONNX file, or a TF.js model.json (or its folder) and its shards. */
function filesAt(p: string): string[] {
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  if (!stat) throw new UmaError('NOT_FOUND', `${p}: no such file or folder`);
  return stat.isDirectory() || p.toLowerCase().endsWith('.json') ? readLayersFiles(p).files : [p];
}

/** A single path component: uploaded names must not climb out of their folder. */
function safeName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  if (!base || base === '.' || base === '..' || base.includes('\0'))
    throw new UmaError('BAD_INPUT', `'${name}' is not a usable file name`);
  return base;
}

export function materializeModel(src: ModelSourceRef): ModelFiles {
  const none = () => undefined;
  if (src.kind === 'demo') {
    const p = DEMO_MODELS[src.which];
    if (!fs.existsSync(p)) throw new UmaError('NOT_FOUND', `the bundled demo model is missing (${p})`);
    return {
      files: filesAt(p),
      displayName:
        src.which === 'trojaned' ? 'demo-model (BadNets-trojaned MNIST CNN)' : 'demo-model-clean (clean MNIST CNN)',
      cleanup: none,
    };
  }
  if (src.kind === 'path')
    return { files: filesAt(path.resolve(src.path)), displayName: path.basename(src.path), cleanup: none };
  const names = src.files.map((f) => safeName(f.name));
  if (new Set(names).size !== names.length)
    throw new UmaError('BAD_INPUT', `uploaded model files must have distinct names: ${names.join(', ')}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-upload-'));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    src.files.forEach((f, i) => fs.writeFileSync(path.join(dir, names[i]), f.bytes));
    const json = names.filter((n) => n.toLowerCase().endsWith('.json'));
    if (json.length > 1)
      throw new UmaError('BAD_INPUT', `upload one model: found several .json files (${json.join(', ')})`);
    if (json.length === 0 && names.length > 1)
      throw new UmaError(
        'BAD_INPUT',
        'several files but no model.json: upload one ONNX file, or a TF.js model.json with its weight files',
      );
    const main = json[0] ?? names[0];
    const files = filesAt(path.join(dir, main));
    const unused = names.filter((n) => !files.some((f) => path.basename(f) === n));
    if (unused.length > 0) throw new UmaError('BAD_INPUT', `uploaded files not named by ${main}: ${unused.join(', ')}`);
    return { files, displayName: main, origins: files.map((f) => `uploaded as ${path.basename(f)}`), cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/**
 * A Keras weights-only model's architecture file: the path given, or an upload written to a temporary
 * folder (intake copies it into the store). Its content is checked by the Keras importer, not here.
 */
export function materializeArchitecture(ref: ArchitectureRef): { file: string; origin?: string; cleanup: () => void } {
  if (ref.kind === 'path') return { file: path.resolve(ref.path), cleanup: () => undefined };
  const name = safeName(ref.file.name);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-upload-'));
  fs.writeFileSync(path.join(dir, name), ref.file.bytes);
  return {
    file: path.join(dir, name),
    origin: `uploaded as ${name}`,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Relative path of an uploaded image, checked: no absolute paths, no '..', at least class/file. */
function safeRelative(p: string): string[] {
  const parts = p.split(/[\\/]/).filter((s) => s !== '' && s !== '.');
  if (parts.some((s) => s === '..' || s.includes('\0') || /^[a-zA-Z]:$/.test(s)))
    throw new UmaError('BAD_INPUT', `'${p}' is not a usable relative path`);
  if (parts.length < 2) throw new UmaError('BAD_INPUT', `'${p}': images need a class folder (e.g. cat/1.png)`);
  return parts;
}

/** Zips often wrap the class folders in one top folder, and carry OS litter; both are dropped. */
function zipEntries(bytes: Uint8Array): { path: string; bytes: Uint8Array }[] {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (err) {
    throw new UmaError('BAD_DATA', `the uploaded data is not a readable zip: ${(err as Error).message}`);
  }
  const files = Object.entries(entries)
    .filter(([name]) => !name.endsWith('/') && !name.split('/').some((s) => s.startsWith('.') || s === '__MACOSX'))
    .map(([name, b]) => ({ path: name, bytes: b }));
  const tops = new Set(files.map((f) => f.path.split('/')[0]));
  const wrapped = tops.size === 1 && files.every((f) => f.path.split('/').length >= 3);
  return wrapped ? files.map((f) => ({ ...f, path: f.path.split('/').slice(1).join('/') })) : files;
}

/** The IDX labels file a path reference names, made absolute (undefined: beside the images, or none). */
export function labelsOf(ref: DataRef): string | undefined {
  return ref.kind === 'path' && ref.labels !== undefined ? path.resolve(ref.labels) : undefined;
}

/** The loadDataset spec for a data reference: 'demo' or an absolute path. */
export function materializeData(uploadsDir: string, ref: DataRef): string {
  if (ref.kind === 'demo') return 'demo';
  if (ref.kind === 'path') return path.resolve(ref.path);
  const files = ref.kind === 'zip' ? zipEntries(ref.bytes) : ref.files;
  if (files.length === 0) throw new UmaError('BAD_DATA', 'the uploaded data holds no images');
  const checked = files.map((f) => ({ parts: safeRelative(f.path), bytes: f.bytes }));
  const listing = checked
    .map((f) => `${sha256Hex(f.bytes)}  ${f.parts.join('/')}`)
    .sort()
    .join('\n');
  const dir = path.join(uploadsDir, sha256Hex(listing));
  if (fs.existsSync(dir)) return dir;
  const staging = `${dir}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  for (const f of checked) {
    const dest = path.join(staging, ...f.parts);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, f.bytes);
  }
  fs.renameSync(staging, dir);
  return dir;
}
