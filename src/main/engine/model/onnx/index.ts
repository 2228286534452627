/**
 * loadOnnx: ONNX bytes -> a differentiable Classifier whose weights are tf.Variables. Reads the input
 * shape, layout and class count from the graph, and reports what an analyst should know (dropped
 * softmax, guessed layout, fixed export batch, non-finite weights). Every failure is a UmaError.
 */
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../../../../shared/errors.ts';
import { checkInputSize } from '../common.ts';
import type { Classifier, InputSpec } from '../types.ts';
import { OnnxClassifier, storageTensors, type OnnxCore } from './classifier.ts';
import { Executor, graphOutline, prepareGraph } from './graph.ts';
import { graphNormalisesInput } from './input-normalisation.ts';
import { parseOnnx, type OnnxModel, type OnnxTensor } from './proto.ts';
import { analyseWeights, nonFiniteWeights } from './weights.ts';

export interface OnnxLoadOptions {
  name: string;
  /** What the analyst knows better than the file: normalisation, class names, a layout or size. */
  inputSpec?: Partial<InputSpec>;
}

const isChannels = (d: number | string | null) => d === 1 || d === 3;
/** Values one input image may have (4096 x 4096 x 1, 2364 x 2364 x 3): larger is a damaged or hostile dim. */

function inputSpecOf(
  model: OnnxModel,
  opts: OnnxLoadOptions,
  warnings: string[],
): { spec: InputSpec; exportBatch?: number } {
  const input = model.inputs[0];
  const dims = input.dims;
  if (dims.length !== 4) {
    throw new UmaError(
      'UNSUPPORTED_MODEL',
      `${opts.name}: input '${input.name}' has rank ${dims.length} ([${dims.join(', ')}]); the importer handles image classifiers with a 4-D input (N, C, H, W or N, H, W, C)`,
    );
  }
  const given = opts.inputSpec ?? {};
  let layout = given.layout;
  if (!layout) {
    if (isChannels(dims[3]) && !isChannels(dims[1])) layout = 'NHWC';
    else {
      layout = 'NCHW';
      if (!isChannels(dims[1]))
        warnings.push(`input layout guessed as NCHW from shape [${dims.join(', ')}]; pass the layout if that is wrong`);
    }
  }
  const [c, h, w] = layout === 'NCHW' ? [dims[1], dims[2], dims[3]] : [dims[3], dims[1], dims[2]];
  const fixed = (d: number | string | null, given: number | undefined, what: string): number => {
    if (given !== undefined) return given;
    if (typeof d === 'number') return d;
    throw new UmaError(
      'BAD_MODEL',
      `${opts.name}: the input's ${what} is dynamic ('${d ?? '?'}'); give it in the input spec`,
    );
  };
  const channels = fixed(c, given.channels, 'channel count');
  const height = fixed(h, given.height, 'height');
  const width = fixed(w, given.width, 'width');
  checkInputSize(opts.name, height, width, channels);
  const spec: InputSpec = {
    height,
    width,
    channels,
    layout,
    mean: given.mean ?? new Array<number>(channels).fill(0),
    std: given.std ?? new Array<number>(channels).fill(1),
    classNames: given.classNames,
  };
  if (spec.mean.length !== channels || spec.std.length !== channels) {
    throw new UmaError(
      'BAD_INPUT',
      `mean/std need ${channels} entries (one per channel), got ${spec.mean.length}/${spec.std.length}`,
    );
  }
  if (!given.mean && !given.std) {
    warnings.push(
      graphNormalisesInput(model)
        ? 'the graph normalises its input (arithmetic on the input before the first Conv/Gemm): predict feeds it [0,1] pixels (mean 0, std 1)'
        : 'the ONNX file carries no input normalisation: predict feeds [0,1] pixels unchanged (mean 0, std 1); give mean/std if the model was trained on normalised inputs',
    );
  }
  const exportBatch = typeof dims[0] === 'number' ? dims[0] : undefined;
  if (exportBatch !== undefined) {
    warnings.push(
      `the graph input has a fixed batch size of ${exportBatch}; reshapes that bake it in are adapted to the actual batch (export with dynamic_axes={'input': {0: 'batch'}} to avoid this)`,
    );
  }
  return { spec, exportBatch };
}

function opHistogram(model: OnnxModel): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of model.nodes) h[n.op] = (h[n.op] ?? 0) + 1;
  return h;
}

// The import is synchronous; it answers with a promise like the other formats' loaders.
export function loadOnnx(bytes: Uint8Array, opts: OnnxLoadOptions): Promise<Classifier> {
  const parsed = parseOnnx(bytes, opts.name);
  const graph = prepareGraph(parsed);
  const model = graph.model;
  const warnings = [...graph.warnings];
  if (parsed.opset < 9 || parsed.opset > 20) {
    warnings.push(
      `opset ${parsed.opset} (${parsed.producer || 'unknown producer'}) is outside the range the importer is tested on (9-20); check the logits against the original framework`,
    );
  }
  const { spec, exportBatch } = inputSpecOf(model, opts, warnings);
  const layers = analyseWeights(model, graph.order);
  const weightNames = new Set(layers.flatMap((l) => l.params.map((p) => p.name)));
  const constants = new Map<string, OnnxTensor>([...model.initializers].filter(([n]) => !weightNames.has(n)));
  const bad = nonFiniteWeights(model);
  if (bad.length > 0) {
    const total = bad.reduce((a, b) => a + b.count, 0);
    warnings.push(
      `${total} non-finite weight value(s) (NaN/Inf) in ${bad.length} tensor(s): ${bad.map((b) => `${b.name} (${b.count})`).join(', ')}`,
    );
  }
  const params = layers
    .flatMap((l) => l.params)
    .filter((p) => p.learnable)
    .reduce((a, p) => a + p.dims.reduce((x, y) => x * y, 1), 0);
  const core: OnnxCore = {
    executor: new Executor(graph, exportBatch),
    layers,
    constants,
    inputSpec: spec,
    numClasses: 0,
    source: { format: 'onnx', name: opts.name, bytes },
    report: { format: 'onnx', params, opHistogram: opHistogram(parsed), warnings, graph: graphOutline(graph) },
  };
  const values = new Map(
    layers.flatMap((l) => l.params).map((p) => [p.name, model.initializers.get(p.name)!.data as Float32Array]),
  );
  const classifier = new OnnxClassifier(core, storageTensors(layers, values), [], true);
  try {
    // One probe image resolves every shape, proves the graph runs, and tells the class count.
    const shape = tf.tidy(() => classifier.forward(tf.zeros([1, spec.height, spec.width, spec.channels])).shape);
    const classes = shape.slice(1).reduce((a, b) => a * b, 1);
    if (shape[0] !== 1 || shape.slice(1).filter((d) => d > 1).length > 1 || classes < 2) {
      throw new UmaError(
        'BAD_MODEL',
        `${opts.name}: output shape [${shape.join(', ')}] for one image is not [1, classes]; is this an image classifier?`,
      );
    }
    core.numClasses = classes;
  } catch (err) {
    classifier.dispose();
    throw err;
  }
  return Promise.resolve(classifier);
}
