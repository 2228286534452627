/**
 * Builds tiny ONNX models in tests (protobufjs with the committed onnx.proto), so ops, broken graphs
 * and corrupt weights can be exercised without torch.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { mulberry32 } from '../../../src/main/engine/random.ts';

const PROTO = fileURLToPath(new URL('../../../src/main/engine/model/onnx/onnx.proto', import.meta.url));
const root = protobuf.loadSync(PROTO);
const ModelProto = root.lookupType('onnx.ModelProto');

export type Attr = number | number[] | string | { dims: number[]; floats?: number[]; ints?: number[] };

export interface NodeDef {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, Attr>;
  domain?: string;
}

export interface TensorDef {
  dims: number[];
  /** Float32 values; ints (INT64) when `ints` is given instead. */
  floats?: number[];
  ints?: number[];
  /** The element type declared over the float bytes (default 1, FLOAT): a damaged file's mislabel. */
  dataType?: number;
}

export interface ModelDef {
  nodes: NodeDef[];
  initializers?: Record<string, TensorDef>;
  /** Input dims; a string is a symbolic (dynamic) dim. */
  input: (number | string)[];
  output?: string;
  opset?: number;
}

function tensorProto(name: string, t: TensorDef) {
  if (t.ints) return { name, dims: t.dims, dataType: 7, int64Data: t.ints };
  const raw = new Uint8Array(Float32Array.from(t.floats ?? []).buffer);
  return { name, dims: t.dims, dataType: t.dataType ?? 1, rawData: raw };
}

function attrProto(name: string, a: Attr) {
  if (typeof a === 'string') return { name, type: 3, s: new TextEncoder().encode(a) };
  if (typeof a === 'number') return Number.isInteger(a) ? { name, type: 2, i: a } : { name, type: 1, f: a };
  if (Array.isArray(a)) return a.every(Number.isInteger) ? { name, type: 7, ints: a } : { name, type: 6, floats: a };
  return { name, type: 4, t: tensorProto(name, a) };
}

const valueInfo = (name: string, dims: (number | string)[]) => ({
  name,
  type: {
    tensorType: {
      elemType: 1,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

export function buildModel(def: ModelDef): Uint8Array {
  const output = def.output ?? def.nodes[def.nodes.length - 1].outputs[0];
  const msg = ModelProto.fromObject({
    irVersion: 8,
    producerName: 'uma-test',
    opsetImport: [{ domain: '', version: def.opset ?? 13 }],
    graph: {
      name: 'test',
      node: def.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        opType: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attrProto(k, v)),
      })),
      initializer: Object.entries(def.initializers ?? {}).map(([k, t]) => tensorProto(k, t)),
      input: [valueInfo('x', def.input)],
      output: [valueInfo(output, [])],
    },
  });
  return ModelProto.encode(msg).finish();
}

/** Seeded values in [-1, 1). */
export function randomFloats(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => r() * 2 - 1);
}
