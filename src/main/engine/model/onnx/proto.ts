/**
 * Decodes ONNX protobuf bytes into plain, immutable JS structures (OnnxModel) that the rest of the
 * importer works on. The schema is the official onnx.proto (committed next to this file, from ONNX
 * 1.12) loaded by protobufjs at runtime, so no code generation or build step is needed.
 *
 * Integer tensors become Int32Array: tfjs has no int64, and the only int64 values that exceed int32 in
 * exported classifiers are INT64_MAX/MIN sentinels (Slice ends), which clamp without changing meaning.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { UmaError } from '../../../../shared/errors.ts';

export type OnnxDtype = 'float32' | 'int32' | 'bool';

export interface OnnxTensor {
  name: string;
  dims: number[];
  dtype: OnnxDtype;
  data: Float32Array | Int32Array;
}

export type AttrValue = number | number[] | string | string[] | OnnxTensor;

export interface OnnxNode {
  /** The node's name, or a synthesised `<op>_<index>` when the exporter left it empty. */
  name: string;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface ValueInfo {
  name: string;
  /** Numbers for fixed dims, a string for a symbolic dim (dim_param), null when absent. */
  dims: (number | string | null)[];
}

export interface OnnxModel {
  irVersion: number;
  /** The default-domain opset version. */
  opset: number;
  producer: string;
  graphName: string;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  /** Graph inputs that are not initializers: the real inputs. */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

// Element types of TensorProto.DataType we can hold; everything else is refused by name.
const FLOAT_TYPES: Record<number, string> = { 1: 'FLOAT', 11: 'DOUBLE' };
const INT_TYPES: Record<number, string> = {
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  12: 'UINT32',
  13: 'UINT64',
};
const BOOL_TYPE = 9;
const TYPE_NAMES: Record<number, string> = {
  ...FLOAT_TYPES,
  ...INT_TYPES,
  9: 'BOOL',
  8: 'STRING',
  10: 'FLOAT16',
  16: 'BFLOAT16',
};

let modelType: protobuf.Type | undefined;
function ModelProto(): protobuf.Type {
  if (!modelType) {
    const root = protobuf.loadSync(fileURLToPath(new URL('./onnx.proto', import.meta.url)));
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

// protobufjs yields int64 fields as Long objects (the `long` package is installed) or numbers.
type LongLike = number | { toNumber(): number };
const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
function num(v: LongLike | undefined | null): number {
  if (v == null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
function clampInt(v: number): number {
  return Math.min(INT32_MAX, Math.max(INT32_MIN, v));
}

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf messages are untyped */
type Msg = any;

function rawView(raw: Uint8Array): DataView {
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

function fromRaw(raw: Uint8Array, type: number, count: number, where: string): number[] | Float32Array {
  const view = rawView(raw);
  const width: Record<number, number> = { 1: 4, 11: 8, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 12: 4, 13: 8 };
  if (raw.byteLength !== count * width[type]) {
    throw new UmaError(
      'BAD_MODEL',
      `tensor ${where}: raw data has ${raw.byteLength} bytes, expected ${count * width[type]} for ${count} ${TYPE_NAMES[type]} values`,
    );
  }
  const out = type === 1 || type === 11 ? new Float32Array(count) : new Array<number>(count);
  for (let i = 0; i < count; i++) {
    switch (type) {
      case 1:
        out[i] = view.getFloat32(i * 4, true);
        break;
      case 11:
        out[i] = view.getFloat64(i * 8, true);
        break;
      case 2:
      case 9:
        out[i] = view.getUint8(i);
        break;
      case 3:
        out[i] = view.getInt8(i);
        break;
      case 4:
        out[i] = view.getUint16(i * 2, true);
        break;
      case 5:
        out[i] = view.getInt16(i * 2, true);
        break;
      case 6:
        out[i] = view.getInt32(i * 4, true);
        break;
      case 12:
        out[i] = view.getUint32(i * 4, true);
        break;
      case 7:
        out[i] = Number(view.getBigInt64(i * 8, true));
        break;
      case 13:
        out[i] = Number(view.getBigUint64(i * 8, true));
        break;
    }
  }
  return out;
}

function decodeTensor(t: Msg, fallbackName: string): OnnxTensor {
  const name: string = t.name || fallbackName;
  const type: number = t.dataType ?? 0;
  const dims = (t.dims ?? []).map(num);
  const count = dims.reduce((a: number, b: number) => a * b, 1);
  if (t.dataLocation === 1) {
    throw new UmaError(
      'UNSUPPORTED_MODEL',
      `tensor ${name} keeps its data in an external file; re-export with the weights inside the .onnx file (torch.onnx.export does for models under 2 GB)`,
    );
  }
  const isFloat = type in FLOAT_TYPES;
  if (!isFloat && !(type in INT_TYPES) && type !== BOOL_TYPE) {
    throw new UmaError(
      'UNSUPPORTED_MODEL',
      `tensor ${name} has element type ${TYPE_NAMES[type] ?? type}, which the ONNX importer does not handle`,
    );
  }
  let values: ArrayLike<number>;
  const raw: Uint8Array | undefined = t.rawData;
  if (raw && raw.length > 0) values = fromRaw(raw, type, count, name);
  else if (type === 1) values = t.floatData ?? [];
  else if (type === 11) values = t.doubleData ?? [];
  else if (type === 7) values = (t.int64Data ?? []).map(num);
  else if (type === 12 || type === 13) values = (t.uint64Data ?? []).map(num);
  else values = t.int32Data ?? [];
  if (values.length !== count) {
    throw new UmaError(
      'BAD_MODEL',
      `tensor ${name}: holds ${values.length} values but its dims [${dims.join(', ')}] need ${count}`,
    );
  }
  if (isFloat) return { name, dims, dtype: 'float32', data: Float32Array.from(values) };
  const ints = new Int32Array(count);
  for (let i = 0; i < count; i++) ints[i] = clampInt(values[i]);
  return { name, dims, dtype: type === BOOL_TYPE ? 'bool' : 'int32', data: ints };
}

function decodeAttr(a: Msg, where: string): AttrValue {
  const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);
  switch (a.type) {
    case 1:
      return a.f ?? 0;
    case 2:
      return clampInt(num(a.i));
    case 3:
      return utf8(a.s ?? new Uint8Array());
    case 4:
      return decodeTensor(a.t, `${where}.${a.name}`);
    case 6:
      return [...(a.floats ?? [])];
    case 7:
      return (a.ints ?? []).map((v: LongLike) => clampInt(num(v)));
    case 8:
      return (a.strings ?? []).map(utf8);
    default:
      throw new UmaError(
        'UNSUPPORTED_MODEL',
        `node ${where}: attribute ${a.name} has a type (${a.type}) the importer does not handle (subgraphs, sparse tensors)`,
      );
  }
}

function valueInfo(v: Msg): ValueInfo {
  const dims = (v.type?.tensorType?.shape?.dim ?? []).map((d: Msg) => {
    if (d.dimValue != null && num(d.dimValue) > 0) return num(d.dimValue);
    return d.dimParam ? String(d.dimParam) : null;
  });
  return { name: v.name, dims };
}

/** Decodes ONNX bytes; any malformed input becomes a BAD_MODEL UmaError naming the problem. */
export function parseOnnx(bytes: Uint8Array, label: string): OnnxModel {
  if (bytes.byteLength === 0) throw new UmaError('BAD_MODEL', `${label}: the file is empty`);
  let m: Msg;
  try {
    m = ModelProto().decode(bytes);
  } catch (err) {
    const why = (err as Error).message;
    throw new UmaError(
      'BAD_MODEL',
      `${label}: not a readable ONNX model (protobuf decoding failed: ${why}); the file may be truncated or not ONNX at all`,
    );
  }
  const g = m.graph;
  if (!g || !num(m.irVersion) || (g.node ?? []).length === 0 || (g.output ?? []).length === 0) {
    throw new UmaError(
      'BAD_MODEL',
      `${label}: not an ONNX model (no ir_version, graph, nodes or outputs in the decoded protobuf)`,
    );
  }
  if ((g.node as Msg[]).some((n) => !n.opType) || (g.output as Msg[]).some((o) => !o.name)) {
    throw new UmaError('BAD_MODEL', `${label}: not an ONNX model (nodes without an op type or outputs without a name)`);
  }
  try {
    return toModel(m, g);
  } catch (err) {
    if (err instanceof UmaError) throw err;
    // Absurd dims or counts in a damaged file end up here (allocation failures, bad lengths).
    throw new UmaError('BAD_MODEL', `${label}: malformed ONNX model (${(err as Error).message})`);
  }
}

function toModel(m: Msg, g: Msg): OnnxModel {
  const opset = (m.opsetImport ?? []).find((o: Msg) => !o.domain || o.domain === 'ai.onnx');
  const initializers = new Map<string, OnnxTensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name, decodeTensor(t, t.name));
  if ((g.sparseInitializer ?? []).length > 0) {
    throw new UmaError('UNSUPPORTED_MODEL', 'sparse initializers are not supported');
  }
  const nodes: OnnxNode[] = (g.node as Msg[]).map((n, i) => {
    const name: string = n.name || `${n.opType}_${i}`;
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute ?? []) attrs[a.name] = decodeAttr(a, name);
    return {
      name,
      op: n.opType,
      domain: n.domain ?? '',
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs,
    };
  });
  return {
    irVersion: num(m.irVersion),
    opset: opset ? num(opset.version) : 1,
    producer: [m.producerName, m.producerVersion].filter(Boolean).join(' '),
    graphName: g.name ?? '',
    nodes,
    initializers,
    inputs: (g.input as Msg[]).filter((v) => !initializers.has(v.name)).map(valueInfo),
    outputs: (g.output as Msg[]).map(valueInfo),
  };
}
