/**
 * Which initializers are weights, which layer owns each, how it is stored, and how PyTorch would
 * initialise it. Float initializers in a weight slot (Conv, Gemm, MatMul, norms) or with more than one
 * element become tf.Variables, except what is subtracted or divided by (input normalisation); the rest
 * (shape constants, scalar factors, normalisation buffers) stay constants that the executor may fold.
 */
import { UmaError } from '../../../../shared/errors.ts';
import type { WeightLayerKind } from '../types.ts';
import { isDepthwise } from './ops/conv.ts';
import type { Layout } from './layout.ts';
import type { OnnxModel, OnnxNode } from './proto.ts';

export type InitKind = 'uniform' | 'ones' | 'zeros' | 'normal';

export interface ParamSpec {
  /** The initializer's name. */
  name: string;
  dims: number[];
  layout: Layout;
  /** Conv group count (depthwise filters need it to change layout). */
  group: number;
  /** False for BatchNorm running statistics: state, not parameters. */
  learnable: boolean;
  init: InitKind;
  /** For 'uniform': PyTorch's bound is 1/sqrt(fanIn) for both weight and bias. */
  fanIn: number;
}

export interface LayerSpec {
  name: string;
  kind: WeightLayerKind;
  op: string;
  params: ParamSpec[];
}

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** Role of input `i` of a weight-owning node, or undefined when that slot holds no weight. */
function slotOf(
  node: OnnxNode,
  i: number,
  dims: number[],
  model: OnnxModel,
): Omit<ParamSpec, 'name' | 'dims'> | undefined {
  const base = { layout: 'onnx' as Layout, group: 1, learnable: true };
  switch (node.op) {
    case 'Conv': {
      const w = model.initializers.get(node.inputs[1]);
      const wDims = w?.dims ?? dims;
      const fanIn = size(wDims.slice(1));
      const group = typeof node.attrs.group === 'number' ? node.attrs.group : 1;
      if (i === 1)
        return { ...base, layout: isDepthwise(wDims, group) ? 'hwcm' : 'hwio', group, init: 'uniform', fanIn };
      return i === 2 ? { ...base, init: 'uniform', fanIn } : undefined;
    }
    case 'Gemm': {
      const w = model.initializers.get(node.inputs[1]);
      const transB = node.attrs.transB === 1;
      const fanIn = w ? (transB ? w.dims[1] : w.dims[0]) : 1;
      return i === 1 || i === 2 ? { ...base, init: 'uniform', fanIn } : undefined;
    }
    case 'MatMul':
      return i === 1 && dims.length === 2 ? { ...base, init: 'uniform', fanIn: dims[0] } : undefined;
    case 'BatchNormalization':
      if (i === 1 || i === 4) return { ...base, learnable: i === 1, init: 'ones', fanIn: 1 };
      return i === 2 || i === 3 ? { ...base, learnable: i === 2, init: 'zeros', fanIn: 1 } : undefined;
    case 'LayerNormalization':
      if (i === 1) return { ...base, init: 'ones', fanIn: 1 };
      return i === 2 ? { ...base, init: 'zeros', fanIn: 1 } : undefined;
    default:
      return undefined;
  }
}

const KIND: Record<string, WeightLayerKind> = {
  Conv: 'conv',
  Gemm: 'dense',
  MatMul: 'dense',
  BatchNormalization: 'norm',
  LayerNormalization: 'norm',
};

/**
 * Parameters outside a weight op (a decomposed LayerNorm's Mul/Add, a ViT's position embedding or
 * class token): norm affine pairs by their exporter name, anything else like a learned embedding.
 */
function looseParam(node: OnnxNode, name: string): { kind: WeightLayerKind; init: InitKind } {
  if (node.op === 'Mul' && /(weight|gamma)$/i.test(name)) return { kind: 'norm', init: 'ones' };
  if (node.op === 'Add' && /(bias|beta)$/i.test(name)) return { kind: 'norm', init: 'zeros' };
  return { kind: 'embedding', init: 'normal' };
}

export function analyseWeights(model: OnnxModel, order: OnnxNode[]): LayerSpec[] {
  const layers: LayerSpec[] = [];
  const owner = new Map<string, LayerSpec>(); // initializer or node output -> layer

  for (const node of order) {
    let layer: LayerSpec | undefined;
    node.inputs.forEach((input, i) => {
      const init = model.initializers.get(input);
      if (!init || owner.has(input)) return;
      const slot = slotOf(node, i, init.dims, model);
      if (init.dtype !== 'float32') {
        // A weight slot holds floats; an integer type over them (INT32 over float bytes) is damage.
        if (slot) {
          const why = `input ${i} '${input}' is ${init.dtype}, but ${node.op} takes float weights there`;
          throw new UmaError('BAD_MODEL', `node ${node.name} (${node.op}): ${why}`, { node: node.name, op: node.op });
        }
        return;
      }
      let spec: ParamSpec;
      if (slot) {
        layer ??= { name: node.name, kind: KIND[node.op], op: node.op, params: [] };
        spec = { name: input, dims: init.dims, ...slot };
      } else {
        if (size(init.dims) <= 1) return; // a scalar factor: a constant, not a weight
        // What a graph subtracts or divides by is input normalisation (PyTorch's mean/std buffers),
        // not a learned parameter: kept from the file, never re-initialised or trained. Treated as a
        // learned embedding it was re-initialised to N(0, 0.02^2) in the reference model, whose
        // inputs were then divided by ~0.02, and it never learned CIFAR-10 (bench/README.md).
        if (node.op === 'Sub' || node.op === 'Div') return;
        // A bias added right after a MatMul-with-weight belongs to that dense layer.
        const other = node.op === 'Add' ? node.inputs.find((x) => x !== input) : undefined;
        const dense = other ? owner.get(other) : undefined;
        if (dense?.op === 'MatMul') {
          dense.params.push({
            name: input,
            dims: init.dims,
            layout: 'onnx',
            group: 1,
            learnable: true,
            init: 'uniform',
            fanIn: dense.params[0].fanIn,
          });
          owner.set(input, dense);
          return;
        }
        const loose = looseParam(node, input);
        layer ??= { name: node.name, kind: loose.kind, op: node.op, params: [] };
        spec = { name: input, dims: init.dims, layout: 'onnx', group: 1, learnable: true, init: loose.init, fanIn: 1 };
      }
      layer.params.push(spec);
      owner.set(input, layer);
    });
    if (layer) {
      layers.push(layer);
      if (node.op === 'MatMul') for (const o of node.outputs) owner.set(o, layer);
    }
  }
  return layers;
}

/** Non-finite values per float initializer, for the load report. */
export function nonFiniteWeights(model: OnnxModel): { name: string; count: number }[] {
  const bad: { name: string; count: number }[] = [];
  for (const t of model.initializers.values()) {
    if (t.dtype !== 'float32') continue;
    let count = 0;
    for (const v of t.data) if (!Number.isFinite(v)) count++;
    if (count > 0) bad.push({ name: t.name, count });
  }
  return bad;
}
