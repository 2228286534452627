/**
 * A layered drawing of a model's graph, as Netron draws one: each node on the row below the deepest
 * node feeding it, rows centred, an edge from the bottom of each input to the top of its consumer.
 */
export interface GraphNodeIn {
  name: string;
  op: string;
  inputs: number[];
}

export interface PlacedNode extends GraphNodeIn {
  index: number;
  x: number;
  y: number;
}

export interface GraphLayout {
  nodes: PlacedNode[];
  /** SVG path data, one per edge. */
  edges: { from: number; to: number; d: string }[];
  width: number;
  height: number;
}

export const NODE_W = 150;
export const NODE_H = 36;
const GAP_X = 20;
const GAP_Y = 26;

export function layoutGraph(nodes: GraphNodeIn[]): GraphLayout {
  const depth: number[] = [];
  nodes.forEach((n, i) => {
    // Inputs come earlier (topological order); a forward reference would be a malformed graph: row 0.
    const from = n.inputs.filter((j) => j < i);
    depth[i] = from.length ? 1 + Math.max(...from.map((j) => depth[j])) : 0;
  });
  const rows: number[][] = [];
  nodes.forEach((_, i) => (rows[depth[i]] ??= []).push(i));
  const widest = Math.max(1, ...rows.map((r) => r.length));
  const width = widest * (NODE_W + GAP_X) - GAP_X;
  const placed: PlacedNode[] = new Array<PlacedNode>(nodes.length);
  rows.forEach((row, r) => {
    const offset = (width - (row.length * (NODE_W + GAP_X) - GAP_X)) / 2;
    row.forEach((i, c) => {
      placed[i] = { ...nodes[i], index: i, x: offset + c * (NODE_W + GAP_X), y: r * (NODE_H + GAP_Y) };
    });
  });
  const edges = placed.flatMap((to) =>
    to.inputs
      .filter((j) => j < to.index)
      .map((j) => {
        const from = placed[j];
        const [x1, y1, x2, y2] = [from.x + NODE_W / 2, from.y + NODE_H, to.x + NODE_W / 2, to.y];
        const bend = (y2 - y1) / 2;
        return { from: j, to: to.index, d: `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}` };
      }),
  );
  return { nodes: placed, edges, width, height: rows.length * (NODE_H + GAP_Y) - GAP_Y };
}
