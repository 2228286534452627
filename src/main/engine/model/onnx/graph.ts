/**
 * The executable graph: the nodes the output needs, in topological order, checked once at load for
 * unknown ops and dangling inputs; and the executor that interprets them with tfjs ops, so the whole
 * forward pass is differentiable. Shape arithmetic (values that depend only on constants and on the
 * input's shape) is folded on the first run for a batch size and cached as plain data, so later runs
 * with that batch size execute only the ops that touch image values.
 */
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../../../../shared/errors.ts';
import type { GraphNode } from '../types.ts';
import type { Val } from './layout.ts';
import { OpCtx, type RunState } from './op-context.ts';
import { OPS } from './ops/index.ts';
import type { OnnxModel, OnnxNode } from './proto.ts';

export interface PreparedGraph {
  model: OnnxModel;
  /** Nodes the output depends on, inputs before consumers. */
  order: OnnxNode[];
  inputName: string;
  /** The value predict returns: the graph output, or the input of a final Softmax that was dropped. */
  outputName: string;
  warnings: string[];
}

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

/** The prepared graph as the model view draws it: the input, then each needed node with the nodes feeding it. */
export function graphOutline(graph: PreparedGraph): GraphNode[] {
  const producer = new Map<string, number>([[graph.inputName, 0]]);
  const nodes: GraphNode[] = [{ name: graph.inputName, op: 'Input', inputs: [] }];
  for (const n of graph.order) {
    const inputs = [...new Set(n.inputs.flatMap((v) => (producer.has(v) ? [producer.get(v)!] : [])))];
    nodes.push({ name: n.name || n.outputs[0] || n.op, op: n.op, inputs });
    for (const o of n.outputs) if (o) producer.set(o, nodes.length - 1);
  }
  return nodes;
}

/**
 * torch.onnx.export deduplicates initializers with equal values (fresh LayerNorm scales, for instance)
 * and hands each user an Identity of the one kept. They are separate parameters to the model, so each
 * Identity output becomes an initializer of its own again.
 */
function undoDedup(model: OnnxModel): OnnxModel {
  const copies = model.nodes.filter((n) => n.op === 'Identity' && model.initializers.has(n.inputs[0]));
  if (copies.length === 0) return model;
  const initializers = new Map(model.initializers);
  for (const n of copies) {
    const src = model.initializers.get(n.inputs[0])!;
    initializers.set(n.outputs[0], { ...src, name: n.outputs[0], data: src.data.slice() });
  }
  const dropped = new Set(copies);
  return { ...model, initializers, nodes: model.nodes.filter((n) => !dropped.has(n)) };
}

export function prepareGraph(parsed: OnnxModel): PreparedGraph {
  const model = undoDedup(parsed);
  const warnings: string[] = [];
  if (model.inputs.length !== 1) {
    throw new UmaError(
      'BAD_MODEL',
      `the graph has ${model.inputs.length} inputs (${model.inputs.map((i) => i.name).join(', ')}); an image classifier has exactly one`,
    );
  }
  if (model.outputs.length > 1)
    warnings.push(
      `the graph has ${model.outputs.length} outputs; using the first, '${model.outputs[0].name}', as the logits`,
    );
  const producer = new Map<string, OnnxNode>();
  for (const n of model.nodes) for (const o of n.outputs) if (o) producer.set(o, n);

  let outputName = model.outputs[0].name;
  const last = producer.get(outputName);
  if (last && (last.op === 'Softmax' || last.op === 'LogSoftmax')) {
    outputName = last.inputs[0];
    warnings.push(`the graph ends in ${last.op} (node ${last.name}); it was dropped so predict returns logits`);
  }

  // Walk back from the output: only needed nodes run, and every input must come from somewhere.
  const inputName = model.inputs[0].name;
  const needed = new Set<OnnxNode>();
  const stack = [outputName];
  const seen = new Set<string>();
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name) || name === inputName || model.initializers.has(name)) continue;
    seen.add(name);
    const node = producer.get(name);
    if (!node)
      throw new UmaError(
        'BAD_MODEL',
        `value '${name}' is neither a graph input, an initializer nor a node output (missing initializer?)`,
        { value: name },
      );
    if (needed.has(node)) continue;
    needed.add(node);
    for (const i of node.inputs) {
      if (!i) continue;
      if (!seen.has(i) && i !== inputName && !model.initializers.has(i) && !producer.has(i)) {
        throw new UmaError(
          'BAD_MODEL',
          `node ${node.name} (${node.op}): input '${i}' is neither a graph input, an initializer nor a node output (missing initializer?)`,
          { node: node.name },
        );
      }
      stack.push(i);
    }
  }
  const unknown = model.nodes.filter((n) => needed.has(n) && (!DEFAULT_DOMAINS.has(n.domain) || !(n.op in OPS)));
  if (unknown.length > 0) {
    const n = unknown[0];
    const op = n.domain && !DEFAULT_DOMAINS.has(n.domain) ? `${n.domain}.${n.op}` : n.op;
    const more =
      unknown.length > 1
        ? ` (and ${unknown.length - 1} more unsupported node(s): ${[...new Set(unknown.slice(1).map((u) => u.op))].join(', ')})`
        : '';
    throw new UmaError(
      'UNSUPPORTED_MODEL',
      `unsupported operator '${op}' at node '${n.name}'${more}; see docs/onnx-support.md`,
      { op, node: n.name },
    );
  }
  return {
    model,
    order: topoSort(
      model.nodes.filter((n) => needed.has(n)),
      producer,
    ),
    inputName,
    outputName,
    warnings,
  };
}

function topoSort(nodes: OnnxNode[], producer: Map<string, OnnxNode>): OnnxNode[] {
  const indeg = new Map<OnnxNode, number>();
  const consumers = new Map<OnnxNode, OnnxNode[]>();
  for (const n of nodes) {
    const deps = new Set(n.inputs.map((i) => producer.get(i)).filter((p): p is OnnxNode => !!p));
    indeg.set(n, deps.size);
    for (const d of deps) consumers.set(d, [...(consumers.get(d) ?? []), n]);
  }
  const ready = nodes.filter((n) => indeg.get(n) === 0);
  const order: OnnxNode[] = [];
  while (ready.length) {
    const n = ready.shift()!;
    order.push(n);
    for (const c of consumers.get(n) ?? []) {
      indeg.set(c, indeg.get(c)! - 1);
      if (indeg.get(c) === 0) ready.push(c);
    }
  }
  if (order.length !== nodes.length) throw new UmaError('BAD_MODEL', 'the graph has a cycle');
  return order;
}

type Params = (name: string) => Val | undefined;
type Mode = { training: boolean; rand: () => number };

interface Folded {
  dtype: tf.DataType;
  shape: number[];
  data: tf.TypedArray;
}

export class Executor {
  /** Folded shape arithmetic per batch size. */
  private readonly folded = new Map<number, Map<string, Folded>>();

  constructor(
    readonly graph: PreparedGraph,
    private readonly exportBatch?: number,
  ) {}

  /**
   * Runs the graph on `input` (batch on axis 0); `params` supplies initializer values by name. Call
   * inside tf.tidy: every intermediate is an ordinary tracked tensor.
   */
  run(input: Val, params: Params, mode: Mode): Val {
    return this.runNodes(this.graph.inputName, input, params, mode, 0, this.graph.order.length, this.graph.outputName);
  }

  hasFolded(batch: number): boolean {
    return this.folded.has(batch);
  }

  /**
   * Runs nodes [from, to) of the order with `seedName` bound to `seed` and returns `output`. A partial
   * run (from > 0) needs this batch size's shape arithmetic folded by a whole run first.
   */
  runNodes(seedName: string, seed: Val, params: Params, mode: Mode, from: number, to: number, output: string): Val {
    const batch = seed.t.shape[0];
    const known = this.folded.get(batch);
    if (from > 0 && !known) throw new UmaError('INTERNAL', `a partial run for batch size ${batch} before a whole one`);
    const cache = known ?? new Map<string, Folded>();
    const state: RunState = { ...mode, opset: this.graph.model.opset, batch, exportBatch: this.exportBatch };
    const env = new Map<string, Val>([[seedName, seed]]);
    const get = (name: string): Val | undefined => {
      if (!name) return undefined;
      const v = env.get(name) ?? params(name);
      if (v) {
        env.set(name, v);
        return v;
      }
      const f = cache.get(name);
      if (!f) throw new UmaError('INTERNAL', `value '${name}' was used before it was computed`);
      const t = { t: tf.tensor(f.data, f.shape, f.dtype), layout: 'onnx' as const, isStatic: true };
      env.set(name, t);
      return t;
    };
    for (const node of this.graph.order.slice(from, to)) {
      if (known && node.outputs.every((o) => !o || cache.has(o))) continue;
      const inputs = node.inputs.map(get);
      const results = this.apply(node, inputs, state);
      const isStatic = node.op === 'Shape' || inputs.every((v) => !v || v.isStatic);
      node.outputs.forEach((o, i) => {
        if (!o || !results[i]) return;
        const v = { ...results[i], isStatic };
        env.set(o, v);
        if (isStatic && !known) cache.set(o, { dtype: v.t.dtype, shape: v.t.shape, data: v.t.dataSync() });
      });
    }
    // Only a whole run folds every static value; a partial one must not pose as the batch's cache.
    if (!known && from === 0 && to === this.graph.order.length) this.folded.set(batch, cache);
    return get(output)!;
  }

  private apply(node: OnnxNode, inputs: (Val | undefined)[], state: RunState): Val[] {
    try {
      const r = OPS[node.op](new OpCtx(node, inputs, state));
      return Array.isArray(r) ? r : [r];
    } catch (err) {
      if (err instanceof UmaError) throw err;
      // tfjs assertion messages (shape mismatches inside an op) get the node's name attached.
      throw new UmaError('BAD_MODEL', `node ${node.name} (${node.op}): ${(err as Error).message}`, {
        node: node.name,
        op: node.op,
      });
    }
  }
}
