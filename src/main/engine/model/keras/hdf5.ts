/**
 * Read-only access to a Keras HDF5 file through h5wasm (the HDF5 C library compiled to WASM; its Node
 * build reads host paths directly). Evidence may be hostile: the file size is capped before opening,
 * every tensor's dims are checked against a cap and the shape the model expects before its values are
 * read, and HDF5's own errors become a named BAD_MODEL error.
 */
import { statSync } from 'node:fs';
import { fileHead } from '../../files.ts';
import h5wasm, { type File as H5File, type Group as H5Group } from 'h5wasm/node';
import { UmaError } from '../../../../shared/errors.ts';

/** Larger than any image classifier this tool scans; a bigger file is refused before it is opened. */
export const MAX_KERAS_FILE_BYTES = 2 ** 31;
/** One weight tensor's element cap (1 GiB of float32). */
const MAX_TENSOR_ELEMENTS = 2 ** 28;
/** JSON attributes (model_config) larger than this are refused rather than parsed. */
const MAX_JSON_CHARS = 16 * 2 ** 20;

/** `\x89HDF\r\n\x1a\n`: every HDF5 file without a user block opens with it. */
export const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function hasHdf5Signature(head: Uint8Array): boolean {
  return HDF5_SIGNATURE.every((b, i) => head[i] === b);
}

export class Hdf5File {
  private constructor(
    private readonly file: H5File,
    readonly name: string,
  ) {}

  static async open(path: string, name: string): Promise<Hdf5File> {
    const size = statSync(path).size;
    if (size > MAX_KERAS_FILE_BYTES) {
      throw new UmaError(
        'BAD_MODEL',
        `${name}: ${size} bytes, over the ${MAX_KERAS_FILE_BYTES}-byte cap for a Keras model`,
      );
    }
    if (!hasHdf5Signature(fileHead(path)))
      throw new UmaError('BAD_MODEL', `${name}: not an HDF5 file (no HDF5 signature)`);
    await h5wasm.ready;
    try {
      const file = new h5wasm.File(path, 'r');
      // h5wasm hands back a file object even when HDF5 could not open it; the first read tells.
      void file.attrs;
      file.keys();
      return new Hdf5File(file, name);
    } catch (err) {
      throw new UmaError('BAD_MODEL', `${name}: corrupt or unreadable HDF5 file (${(err as Error).message})`);
    }
  }

  /** The group at `path` ('/' for the root), or null when absent or not a group. */
  group(path: string): H5Group | null {
    const g = path === '/' ? this.file : this.guard(() => this.file.get(path), path);
    return g instanceof h5wasm.Group ? g : null;
  }

  /** A string attribute (Keras stores model_config and layer lists as attributes). */
  stringAttr(g: H5Group, key: string): string | undefined {
    const attr = this.guard(() => g.attrs[key], `${g.path}@${key}`);
    if (!attr) return undefined;
    const v = this.guard(() => attr.value, `${g.path}@${key}`);
    if (typeof v !== 'string')
      throw new UmaError('BAD_MODEL', `${this.name}: attribute ${key} of ${g.path} is not a string`);
    return v;
  }

  /** A JSON attribute, parsed; size-capped. */
  jsonAttr(g: H5Group, key: string): unknown {
    const text = this.stringAttr(g, key);
    if (text === undefined) return undefined;
    if (text.length > MAX_JSON_CHARS)
      throw new UmaError('BAD_MODEL', `${this.name}: attribute ${key} is ${text.length} characters, over the cap`);
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new UmaError('BAD_MODEL', `${this.name}: attribute ${key} is not valid JSON (${(err as Error).message})`);
    }
  }

  /** A list-of-strings attribute (layer_names, weight_names); an empty list is stored as an empty array. */
  stringListAttr(g: H5Group, key: string): string[] | undefined {
    const attr = this.guard(() => g.attrs[key], `${g.path}@${key}`);
    if (!attr) return undefined;
    const v = this.guard(() => attr.value, `${g.path}@${key}`);
    if (typeof v === 'string') return [v];
    if (ArrayBuffer.isView(v) && (v as unknown as ArrayLike<unknown>).length === 0) return [];
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v;
    throw new UmaError('BAD_MODEL', `${this.name}: attribute ${key} of ${g.path} is not a list of names`);
  }

  /**
   * The float tensor at `path` inside `g`, as float32, after checking its dims against `expected`
   * (and the element cap) before any value is read.
   */
  float32(g: H5Group, path: string, expected: readonly number[]): Float32Array {
    const where = `${g.path}/${path}`;
    const ds = this.guard(() => g.get(path), where);
    if (!(ds instanceof h5wasm.Dataset))
      throw new UmaError('BAD_MODEL', `${this.name}: weight ${where} is missing or not a dataset`);
    const shape = ds.shape ?? [];
    const elements = shape.reduce((a, b) => a * b, 1);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || elements > MAX_TENSOR_ELEMENTS) {
      throw new UmaError('BAD_MODEL', `${this.name}: weight ${where} has dims [${shape.join(', ')}], over the cap`);
    }
    if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
      throw new UmaError(
        'BAD_MODEL',
        `${this.name}: weight ${where} is [${shape.join(', ')}], the layer needs [${expected.join(', ')}]`,
      );
    }
    // Floats (HDF5 class 1) of 4 or 8 bytes; integers (class 0) too, for counters such as Normalization's.
    const meta = ds.metadata;
    if (
      (meta.type !== 1 && meta.type !== 0) ||
      ![1, 2, 4, 8].includes(meta.size) ||
      (meta.type === 1 && meta.size < 4)
    ) {
      throw new UmaError(
        'BAD_MODEL',
        `${this.name}: weight ${where} is not float32/float64 or an integer (HDF5 class ${meta.type}, ${meta.size} bytes)`,
      );
    }
    const v = this.guard(() => ds.value, where);
    const n =
      typeof v === 'number' || typeof v === 'bigint'
        ? 1
        : ArrayBuffer.isView(v)
          ? (v as unknown as ArrayLike<unknown>).length
          : -1;
    if (n !== elements)
      throw new UmaError('BAD_MODEL', `${this.name}: weight ${where} could not be read as ${elements} numbers`);
    if (v instanceof Float32Array) return v;
    if (typeof v === 'number' || typeof v === 'bigint') return Float32Array.of(Number(v));
    return Float32Array.from(v as ArrayLike<number | bigint>, Number);
  }

  close(): void {
    this.file.close();
  }

  /** HDF5 reports damage lazily (a bad object header is found when it is first read). */
  private guard<T>(read: () => T, where: string): T {
    try {
      return read();
    } catch (err) {
      throw new UmaError('BAD_MODEL', `${this.name}: corrupt HDF5 object ${where} (${(err as Error).message})`);
    }
  }
}
