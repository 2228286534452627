/**
 * Where a frozen prefix of the graph can be cut off: a position in the node order after every node
 * that reads a frozen weight and before every node that reads a trainable one, where exactly one
 * image-dependent value crosses. The scanner computes the prefix once per scan and trains only the rest.
 */
import type { PreparedGraph } from './graph.ts';

export interface Cut {
  /** Nodes [0, index) are the front, [index, end) the back. */
  index: number;
  /** The single image-dependent value passed from front to back. */
  value: string;
}

/** Values that depend on nothing but constants and shapes (never on image values or weights). */
function staticValues(graph: PreparedGraph, weights: ReadonlySet<string>): Set<string> {
  const out = new Set<string>([...graph.model.initializers.keys()].filter((n) => !weights.has(n)));
  for (const node of graph.order) {
    const fromConstants = node.inputs.every((i) => !i || out.has(i));
    if (node.op === 'Shape' || fromConstants) for (const o of node.outputs) out.add(o);
  }
  return out;
}

/**
 * The latest cut between the frozen and the trainable weights, or null when none exists (nothing
 * frozen, nothing trainable, or the halves exchange more than one tensor, e.g. inside a residual block).
 */
export function findCut(graph: PreparedGraph, weights: ReadonlySet<string>, frozen: ReadonlySet<string>): Cut | null {
  const order = graph.order;
  const reads = (i: number, set: (n: string) => boolean) => order[i].inputs.some((n) => set(n));
  let lastFrozen = -1;
  let firstTrainable = order.length;
  order.forEach((_, i) => {
    if (reads(i, (n) => frozen.has(n))) lastFrozen = i;
    if (firstTrainable === order.length && reads(i, (n) => weights.has(n) && !frozen.has(n))) firstTrainable = i;
  });
  if (lastFrozen < 0 || firstTrainable === order.length || firstTrainable <= lastFrozen) return null;

  const fixed = staticValues(graph, weights);
  const producedAt = new Map<string, number>();
  order.forEach((n, i) => n.outputs.forEach((o) => producedAt.set(o, i)));
  for (let index = firstTrainable; index > lastFrozen; index--) {
    const crossing = new Set<string>();
    for (const node of order.slice(index)) {
      for (const i of node.inputs) {
        const at = producedAt.get(i);
        if (i && !fixed.has(i) && (i === graph.inputName || (at !== undefined && at < index))) crossing.add(i);
      }
    }
    if (crossing.size === 1 && !crossing.has(graph.inputName)) return { index, value: [...crossing][0] };
  }
  return null;
}
