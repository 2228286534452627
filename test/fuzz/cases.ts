/**
 * Seeded generators of hostile inputs: mutated ONNX and TF.js models (byte flips, truncation,
 * garbage, absurd dims and pads, NaN/Inf weights, wrong dtypes, unknown ops, bad manifests, hostile
 * paths, special files) and mutated data (IDX headers and gzip bombs, pixel bombs, corrupt PNG/JPEG,
 * link loops, FIFOs). Each case writes its files into a folder of its own and says what to load.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { encodePng } from '../../src/main/engine/data/image-codec.ts';
import { buildModel, type ModelDef } from '../unit/model/onnx-builder.ts';

const ROOT = join(import.meta.dirname, '../..');
const CNN = readFileSync(join(ROOT, 'test/fixtures/onnx/cnn.onnx'));
const DEMO = join(ROOT, 'resources/demo-model');
const DEMO_JSON = JSON.parse(readFileSync(join(DEMO, 'model.json'), 'utf8'));

export type Target = 'model' | 'data';

export interface FuzzCase {
  id: number;
  family: 'onnx' | 'tfjs' | 'idx' | 'images' | 'special';
  mutation: string;
  target: Target;
  /** What to load: a model file or folder, or a data set. */
  path: string;
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

function garbage(r: Rand, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

function flipBytes(r: Rand, bytes: Uint8Array, count: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < count; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
  return out;
}

const truncate = (r: Rand, bytes: Uint8Array) => bytes.slice(0, Math.floor(r() * bytes.length));

// ---------- ONNX ----------

const DIMS = [0, 1, 2, 3, 4, 8, 28, -1, 100_000, 2 ** 31 - 1, 'N'] as const;
const GEOMETRY = [0, 1, 2, 3, -1, 7, 100_000, 2 ** 30] as const;
const HOSTILE_FLOATS = [Number.NaN, Infinity, -Infinity, 3.4e38, -0, 1e-45];

/** x [1,2,4,4] -> Conv (3x2x3x3) -> Flatten: the smallest valid classifier to bend out of shape. */
function convDef(r: Rand): ModelDef {
  return {
    input: [1, 2, 4, 4],
    initializers: {
      w: { dims: [3, 2, 3, 3], floats: Array.from({ length: 54 }, () => r() * 2 - 1) },
      b: { dims: [3], floats: [0.1, 0.2, 0.3] },
    },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Flatten', inputs: ['c'], outputs: ['y'] },
    ],
  };
}

const ONNX_MUTATIONS: Record<string, (r: Rand) => Uint8Array> = {
  'byte-flip': (r) => flipBytes(r, CNN, int(r, 1, 16)),
  truncate: (r) => truncate(r, CNN),
  garbage: (r) => {
    const g = garbage(r, int(r, 0, 4096));
    if (g.length && r() < 0.5) g[0] = 0x08; // looks like an ONNX ir_version field
    return g;
  },
  splice: (r) => {
    const out = CNN.slice();
    const at = int(r, 0, out.length - 1);
    out.set(garbage(r, Math.min(int(r, 1, 256), out.length - at)), at);
    return out;
  },
  'absurd-dims': (r) => {
    const def = convDef(r);
    def.input = [pick(r, DIMS), pick(r, DIMS), pick(r, DIMS), pick(r, DIMS)];
    return buildModel(def);
  },
  'absurd-geometry': (r) => {
    const def = convDef(r);
    const g = () => pick(r, GEOMETRY);
    const attrs: Record<string, number[] | number | string> = {};
    if (r() < 0.7) attrs.pads = [g(), g(), g(), g()];
    if (r() < 0.4) attrs.strides = [g(), g()];
    if (r() < 0.4) attrs.dilations = [g(), g()];
    if (r() < 0.3) attrs.group = g();
    if (r() < 0.2) attrs.auto_pad = pick(r, ['SAME_UPPER', 'SAME_LOWER', 'VALID', 'BOGUS']);
    if (r() < 0.2) attrs.kernel_shape = [g(), g()];
    def.nodes[0].attrs = attrs;
    return buildModel(def);
  },
  'pool-geometry': (r) => {
    const def = convDef(r);
    const g = () => pick(r, GEOMETRY);
    def.nodes.splice(1, 0, {
      op: pick(r, ['MaxPool', 'AveragePool']),
      inputs: ['c'],
      outputs: ['p'],
      attrs: { kernel_shape: [g(), g()], pads: [g(), g(), g(), g()], strides: [g(), g()], ceil_mode: int(r, 0, 1) },
    });
    def.nodes[2].inputs = ['p'];
    return buildModel(def);
  },
  'huge-shape-op': (r) => {
    const def = convDef(r);
    const op = pick(r, ['Reshape', 'Expand', 'Tile', 'ConstantOfShape', 'Pad', 'Range']);
    const ints = Array.from({ length: int(r, 1, 4) }, () => pick(r, [1, 2, -1, 0, 100_000, 2 ** 31 - 1]));
    def.initializers!.s = { dims: [ints.length], ints };
    def.nodes.splice(1, 0, {
      op,
      inputs: op === 'ConstantOfShape' ? ['s'] : op === 'Range' ? ['s', 's', 's'] : ['c', 's'],
      outputs: ['h'],
    });
    def.nodes[2].inputs = ['h'];
    return buildModel(def);
  },
  'nan-inf-weights': (r) => {
    const def = convDef(r);
    const w = def.initializers!.w.floats!;
    for (let i = 0; i < int(r, 1, 54); i++) w[int(r, 0, 53)] = pick(r, HOSTILE_FLOATS);
    return buildModel(def);
  },
  'wrong-dtype': (r) => {
    const def = convDef(r);
    def.initializers![pick(r, ['w', 'b'])].dataType = int(r, 0, 17);
    return buildModel(def);
  },
  'unknown-op': (r) => {
    const def = convDef(r);
    def.nodes[0] = {
      ...def.nodes[0],
      op: pick(r, ['Conv', 'Convv', 'LSTM', 'Loop', 'If', '', 'Scan']),
      domain: pick(r, ['', '', 'ai.onnx', 'com.microsoft', 'evil']),
    };
    return buildModel(def);
  },
  'dangling-graph': (r) => {
    const def = convDef(r);
    const n = def.nodes[int(r, 0, 1)];
    n.inputs = n.inputs.map((i) => (r() < 0.4 ? pick(r, ['', 'nowhere', 'y', 'c', 'x']) : i));
    if (r() < 0.3) n.outputs = [pick(r, ['x', 'w', 'c', ''])];
    return buildModel(def);
  },
};

// ---------- TF.js ----------

const HOSTILE_VALUES: unknown[] = [
  null,
  0,
  -1,
  1e300,
  Number.MAX_SAFE_INTEGER,
  '',
  '.',
  '..',
  '../../../../../../dev/zero',
  '/dev/zero',
  'nope.bin',
  [],
  [null],
  [1],
  ['.'],
  {},
  [{}],
  true,
  'float16',
  'uint8',
  [-1],
  [2 ** 31, 2 ** 31],
  'weights.bin',
];

/** Every [parent, key] in a JSON tree, so one can be replaced or deleted. */
function slots(node: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []) {
  if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      out.push([node as Record<string, unknown>, Array.isArray(node) ? Number(k) : k]);
      slots(v, out);
    }
  }
  return out;
}

function tfjsCase(r: Rand, dir: string, mutation: string): string {
  const json = structuredClone(DEMO_JSON);
  let weights: Uint8Array = readFileSync(join(DEMO, 'weights.bin'));
  let text: string | null = null;
  const group = json.weightsManifest[0];
  switch (mutation) {
    case 'json-value': {
      for (let i = 0; i < int(r, 1, 3); i++) {
        const [parent, key] = pick(r, slots(json));
        (parent as Record<string | number, unknown>)[key] = structuredClone(pick(r, HOSTILE_VALUES));
      }
      break;
    }
    case 'json-delete': {
      const [parent, key] = pick(r, slots(json));
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      break;
    }
    case 'json-bytes':
      text = new TextDecoder().decode(
        r() < 0.5
          ? truncate(r, new TextEncoder().encode(JSON.stringify(json)))
          : flipBytes(r, new TextEncoder().encode(JSON.stringify(json)), int(r, 1, 8)),
      );
      break;
    case 'weights-bytes':
      weights = pick(r, [
        () => flipBytes(r, weights, int(r, 1, 64)),
        () => truncate(r, weights),
        () => new Uint8Array([...weights, ...garbage(r, int(r, 1, 64))]),
      ])();
      break;
    case 'weights-nan': {
      const f = new Float32Array(weights.slice().buffer);
      for (let i = 0; i < int(r, 1, 100); i++) f[int(r, 0, f.length - 1)] = pick(r, HOSTILE_FLOATS);
      weights = new Uint8Array(f.buffer);
      break;
    }
    case 'manifest-path':
      group.paths = [
        pick(r, [
          '../../../../../../dev/zero',
          '/dev/zero',
          '.',
          '',
          'nope.bin',
          '../weights.bin',
          'a/../../x',
          'weights.bin/..',
          '\u0000',
        ]),
      ];
      break;
    case 'quantized':
      group.weights[int(r, 0, group.weights.length - 1)].quantization = {
        dtype: pick(r, ['uint8', 'uint16', 'float16']),
        min: 0,
        scale: 0.1,
      };
      break;
    case 'duplicate-names': {
      const layers = json.modelTopology.config.layers;
      if (r() < 0.5) group.weights[1].name = group.weights[0].name;
      else layers[layers.length - 1].config.name = layers[0].config.name;
      break;
    }
  }
  writeFileSync(join(dir, 'model.json'), text ?? JSON.stringify(json));
  writeFileSync(join(dir, 'weights.bin'), weights);
  return dir;
}

const TFJS_MUTATIONS = [
  'json-value',
  'json-value',
  'json-delete',
  'json-bytes',
  'weights-bytes',
  'weights-nan',
  'manifest-path',
  'quantized',
  'duplicate-names',
];

// ---------- data ----------

function idxHeader(type: number, shape: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head[2] = type;
  head[3] = shape.length;
  shape.forEach((s, i) => head.writeUInt32BE(s >>> 0, 4 + 4 * i));
  return head;
}

function idxCase(r: Rand, dir: string, mutation: string): string {
  const images = join(dir, 'x-images-idx3-ubyte');
  const n = int(r, 1, 4);
  const good = Buffer.concat([idxHeader(8, [n, 4, 4]), Buffer.from(garbage(r, n * 16))]);
  let bytes: Uint8Array;
  switch (mutation) {
    case 'idx-header': {
      const shape = Array.from({ length: int(r, 0, 6) }, () => pick(r, [0, 1, 2, 4, 28, 10_000, 2 ** 31, 2 ** 32 - 1]));
      bytes = Buffer.concat([
        idxHeader(pick(r, [8, 8, 9, 0x0d, 0, 255]), shape),
        Buffer.from(garbage(r, int(r, 0, 512))),
      ]);
      break;
    }
    case 'idx-gzip-bomb': {
      const shape = r() < 0.5 ? [pick(r, [60_000, 2 ** 20, 2 ** 31]), 256, 256] : [n, 4, 4];
      bytes = gzipSync(Buffer.concat([idxHeader(8, shape), Buffer.alloc(int(r, 1, 8) * 2 ** 20)]), { level: 1 });
      break;
    }
    case 'idx-corrupt-gzip':
      bytes = r() < 0.5 ? truncate(r, gzipSync(good)) : flipBytes(r, gzipSync(good), int(r, 1, 8));
      break;
    default:
      bytes = flipBytes(r, good, int(r, 1, 8));
  }
  writeFileSync(images, bytes);
  const labels =
    r() < 0.8
      ? Buffer.concat([idxHeader(8, [n]), Buffer.from(Array.from({ length: n }, () => int(r, 0, 2)))])
      : garbage(r, int(r, 0, 32));
  writeFileSync(join(dir, 'x-labels-idx1-ubyte'), labels);
  return images;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function pngClaiming(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w >>> 0, 0);
  ihdr.writeUInt32BE(h >>> 0, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const idat = Buffer.from([0x78, 0x9c, 3, 0, 0, 0, 0, 1]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function jpegClaiming(w: number, h: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, 0, 0, 0, 0, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
  sof.writeUInt16BE(h & 0xffff, 5);
  sof.writeUInt16BE(w & 0xffff, 7);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), sof, Buffer.from([0xff, 0xd9])]);
}

function smallImage(r: Rand, kind: 'png' | 'jpeg'): Uint8Array {
  const px = Float32Array.from({ length: 4 * 4 * 3 }, () => r());
  if (kind === 'png') return encodePng(px, 4, 4, 3);
  const rgba = Buffer.alloc(4 * 4 * 4, 255);
  for (let i = 0; i < 16; i++) for (let c = 0; c < 3; c++) rgba[4 * i + c] = Math.round(px[3 * i + c] * 255);
  return jpeg.encode({ data: rgba, width: 4, height: 4 }, 90).data;
}

function imagesCase(r: Rand, dir: string, mutation: string): string {
  const root = join(dir, 'data');
  const classes = ['a', 'b'];
  for (const c of classes) mkdirSync(join(root, c), { recursive: true });
  for (const c of classes) writeFileSync(join(root, c, '0.png'), smallImage(r, 'png'));
  const bad = join(root, pick(r, classes), `1.${pick(r, ['png', 'jpg'])}`);
  const big = () => pick(r, [4, 5000, 20_000, 65_535, 2 ** 31 - 1, 0]);
  switch (mutation) {
    case 'pixel-bomb':
      writeFileSync(bad, r() < 0.5 ? pngClaiming(big(), big()) : jpegClaiming(big(), big()));
      break;
    case 'corrupt-image': {
      const img = smallImage(r, pick(r, ['png', 'jpeg']));
      writeFileSync(bad, r() < 0.5 ? truncate(r, img) : flipBytes(r, img, int(r, 1, 16)));
      break;
    }
    case 'garbage-image':
      writeFileSync(bad, garbage(r, int(r, 0, 2048)));
      break;
    case 'odd-folder': {
      const which = int(r, 0, 4);
      if (which === 0) symlinkSync(join(root, 'loop'), join(root, 'loop'));
      else if (which === 1) execFileSync('mkfifo', [bad]);
      else if (which === 2) symlinkSync('/dev/zero', bad);
      else if (which === 3) symlinkSync(join(root, 'a'), join(root, 'c'));
      else symlinkSync('/dev/null', join(root, 'd'));
      break;
    }
  }
  return root;
}

// ---------- special files as the model ----------

function specialCase(r: Rand, dir: string): { path: string; mutation: string } {
  const path = join(dir, pick(r, ['model.onnx', 'model.json', 'model']));
  const which = int(r, 0, 3);
  if (which === 0) execFileSync('mkfifo', [path]);
  else if (which === 1) symlinkSync('/dev/zero', path);
  else if (which === 2) symlinkSync(path, path);
  else symlinkSync(join(dir, 'missing.onnx'), path);
  return { path, mutation: ['fifo', 'dev-zero-link', 'link-loop', 'dangling-link'][which] };
}

/** Case `id` of the run seeded `seed`, written under `dir` (a fresh folder). */
export function makeCase(id: number, r: Rand, dir: string): FuzzCase {
  mkdirSync(dir, { recursive: true });
  const family = pick(r, ['onnx', 'onnx', 'onnx', 'tfjs', 'tfjs', 'idx', 'images', 'special'] as const);
  if (family === 'onnx') {
    const mutation = pick(r, Object.keys(ONNX_MUTATIONS));
    const path = join(dir, 'model.onnx');
    writeFileSync(path, ONNX_MUTATIONS[mutation](r));
    return { id, family, mutation, target: 'model', path };
  }
  if (family === 'tfjs') {
    const mutation = pick(r, TFJS_MUTATIONS);
    return { id, family, mutation, target: 'model', path: tfjsCase(r, dir, mutation) };
  }
  if (family === 'idx') {
    const mutation = pick(r, ['idx-header', 'idx-gzip-bomb', 'idx-corrupt-gzip', 'idx-byte-flip']);
    return { id, family, mutation, target: 'data', path: idxCase(r, dir, mutation) };
  }
  if (family === 'images') {
    const mutation = pick(r, ['pixel-bomb', 'corrupt-image', 'garbage-image', 'odd-folder']);
    return { id, family, mutation, target: 'data', path: imagesCase(r, dir, mutation) };
  }
  const { path, mutation } = specialCase(r, dir);
  return { id, family, mutation, target: 'model', path };
}
