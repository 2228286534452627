/**
 * The graph the model view draws (LoadReport.graph): node 0 the input, then every op or layer in
 * topological order with the nodes that feed it, branches and joins included, for both importers.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { LayersClassifier } from '../../../src/main/engine/model/layers.ts';
import { loadOnnx } from '../../../src/main/engine/model/onnx/index.ts';
import type { Classifier, GraphNode } from '../../../src/main/engine/model/types.ts';
import { buildModel, randomFloats } from './onnx-builder.ts';

/** Each node as `op name <- names of its inputs`, so a test reads as the diagram does. */
const edges = (graph: GraphNode[] | undefined) =>
  (graph ?? []).map((n) => `${n.op} ${n.name} <- ${n.inputs.map((i) => graph![i].name).join(', ')}`);

const open: Classifier[] = [];
beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => open.forEach((m) => m.dispose()));

describe('the model graph outline', () => {
  it('lists a functional TF.js model with a branch that joins again', async () => {
    const input = tf.input({ shape: [4, 4, 1], name: 'image' });
    const a = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'left' }).apply(input);
    const b = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'right' }).apply(input);
    const sum = tf.layers.add({ name: 'join' }).apply([a, b] as tf.SymbolicTensor[]);
    const flat = tf.layers.flatten({ name: 'flat' }).apply(sum);
    const out = tf.layers.dense({ units: 3, name: 'logits' }).apply(flat) as tf.SymbolicTensor;
    const m = await LayersClassifier.fromModel(tf.model({ inputs: input, outputs: out }), 'branchy');
    open.push(m);
    const g = m.report.graph!;
    expect(g[0]).toEqual({ name: 'image', op: 'Input', inputs: [] });
    expect(edges(g)).toEqual([
      'Input image <- ',
      'Conv2D left <- image',
      'Conv2D right <- image',
      'Add join <- left, right',
      'Flatten flat <- join',
      'Dense logits <- flat',
    ]);
  });

  it('gives a Sequential model its input node, which the model does not list', async () => {
    const seq = tf.sequential({
      layers: [tf.layers.flatten({ inputShape: [2, 2, 1], name: 'f' }), tf.layers.dense({ units: 2, name: 'd' })],
    });
    const m = await LayersClassifier.fromModel(seq, 'seq');
    open.push(m);
    expect(edges(m.report.graph).slice(1)).toEqual(['Flatten f <- ' + m.report.graph![0].name, 'Dense d <- f']);
  });

  it('lists the ONNX nodes the output needs, weights and constants left out of the edges', async () => {
    const m = await loadOnnx(
      buildModel({
        input: [1, 1, 4, 4],
        initializers: { w: { dims: [2, 1, 3, 3], floats: randomFloats(18, 5) } },
        nodes: [
          { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], name: 'conv' },
          { op: 'Relu', inputs: ['c'], outputs: ['r'], name: 'relu' },
          { op: 'Sigmoid', inputs: ['c'], outputs: ['s'], name: 'gate' },
          { op: 'Mul', inputs: ['r', 's'], outputs: ['m'], name: 'gated' },
          { op: 'Flatten', inputs: ['m'], outputs: ['y'], name: 'flatten' },
        ],
      }),
      { name: 'gated' },
    );
    open.push(m);
    expect(edges(m.report.graph)).toEqual([
      'Input x <- ',
      'Conv conv <- x',
      'Relu relu <- conv',
      'Sigmoid gate <- conv',
      'Mul gated <- relu, gate',
      'Flatten flatten <- gated',
    ]);
  });
});
