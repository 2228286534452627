/**
 * TF.js Layers models (model.json + weight shards) as Classifiers. Also the format the evaluation
 * corpus and the bundled demo model are written in.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../../../shared/errors.ts';
import { glorotUniform, seededRand } from './init.ts';
import type {
  Classifier,
  FreezeResult,
  GraphNode,
  InputSpec,
  LoadReport,
  ModelFormat,
  ModelLayer,
  ModelSource,
  WeightLayer,
  WeightLayerKind,
} from './types.ts';
import { checkInputSize, freezePlan, normaliser } from './common.ts';
import { isInside, MAX_MODEL_FILE_BYTES, readRegularFile, requireRegularFile, resolveEvidencePath } from '../files.ts';
import { manifestBytes, parseModelJson, topologyLayers, type LayerJson, type ModelJson } from './layers-manifest.ts';
import { readData } from '../backend/read.ts';

const KIND: Record<string, WeightLayerKind> = {
  Conv2D: 'conv',
  Conv1D: 'conv',
  DepthwiseConv2D: 'conv',
  SeparableConv2D: 'conv',
  Conv2DTranspose: 'conv',
  Dense: 'dense',
  BatchNormalization: 'norm',
  LayerNormalization: 'norm',
  Embedding: 'embedding',
  MultiHeadAttention: 'attention',
};

/** Keras layer JSON may nest (Sequential inside config.layers); the last layer in order is the output. */
function lastLayer(json: ModelJson): LayerJson | undefined {
  return topologyLayers(json).at(-1);
}

/** Scans weights for NaN/Inf; names the tensors. */
async function nonFiniteWarnings(model: tf.LayersModel): Promise<string[]> {
  const bad: string[] = [];
  for (const w of model.weights) {
    const v = await readData(w.read());
    let n = 0;
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) n++;
    if (n) bad.push(`${w.name} (${n} of ${v.length})`);
  }
  return bad.length ? [`non-finite weights (NaN or Inf) in ${bad.join(', ')}: predictions will be meaningless`] : [];
}

async function serialise(model: tf.LayersModel): Promise<{ modelJson: ModelJson; weights: Uint8Array }> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((a) => {
      artifacts = a;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } });
    }),
  );
  const a = artifacts!;
  const data =
    a.weightData instanceof ArrayBuffer ? a.weightData : tf.io.concatenateArrayBuffers(a.weightData as ArrayBuffer[]);
  return {
    modelJson: {
      modelTopology: a.modelTopology as ModelJson['modelTopology'],
      weightsManifest: [
        { paths: ['weights.bin'], weights: (a.weightSpecs ?? []) as ModelJson['weightsManifest'][number]['weights'] },
      ],
      format: 'layers-model',
      generatedBy: a.generatedBy,
      convertedBy: a.convertedBy ?? null,
    },
    weights: new Uint8Array(data),
  };
}

/**
 * Where a TF.js Layers model came from when it was converted from another format (a Keras H5 file):
 * the format to report, the converter's warnings and its layer list. Clones keep it.
 */
export interface LayersOrigin {
  format: ModelFormat;
  warnings: string[];
  layers?: ModelLayer[];
}

/**
 * The layers as the model view draws them: node 0 the input, then each layer with the layers feeding it
 * (its first call's). An InputLayer is the input node itself; a Sequential model does not list its own.
 */
function layersGraph(model: tf.LayersModel): GraphNode[] {
  const index = new Map<object, number>();
  const nodes: GraphNode[] = [{ name: model.inputs[0]?.name ?? 'input', op: 'Input', inputs: [] }];
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') {
      index.set(layer, 0);
      nodes[0].name = layer.name;
      continue;
    }
    const from = layer.inboundNodes[0]?.inboundLayers ?? [];
    const inputs = [...new Set(from.map((l) => index.get(l) ?? 0))];
    index.set(layer, nodes.length);
    nodes.push({ name: layer.name, op: layer.getClassName(), inputs });
  }
  return nodes;
}

function inferInputSpec(name: string, model: tf.LayersModel, given?: Partial<InputSpec>): InputSpec {
  const shape = model.inputs[0].shape;
  if (shape.length !== 4 || shape.slice(1).some((d) => d == null)) {
    throw new UmaError('BAD_MODEL', `model input shape ${JSON.stringify(shape)} is not an image batch [N, H, W, C]`);
  }
  const [, height, width, channels] = shape as number[];
  checkInputSize(name, height, width, channels);
  return {
    height,
    width,
    channels,
    layout: 'NHWC',
    mean: given?.mean ?? new Array<number>(channels).fill(0),
    std: given?.std ?? new Array<number>(channels).fill(1),
    classNames: given?.classNames,
  };
}

export class LayersClassifier implements Classifier {
  readonly format: ModelFormat;
  readonly numClasses: number;
  private training = false;
  private frozen = new Set<string>();
  private readonly normalise: (x: tf.Tensor4D) => tf.Tensor4D;

  private constructor(
    private readonly model: tf.LayersModel,
    readonly inputSpec: InputSpec,
    readonly source: ModelSource & { format: 'tfjs-layers' },
    readonly report: LoadReport,
    private readonly origin?: LayersOrigin,
  ) {
    this.format = origin?.format ?? 'tfjs-layers';
    const out = model.outputs[0].shape;
    if (out.length !== 2 || out[1] == null)
      throw new UmaError('BAD_MODEL', `model output shape ${JSON.stringify(out)} is not [N, classes]`);
    this.numClasses = out[1];
    this.normalise = normaliser(inputSpec);
  }

  /** Builds a classifier from model.json contents and concatenated weight bytes. */
  static async fromSource(
    source: ModelSource & { format: 'tfjs-layers' },
    spec?: Partial<InputSpec>,
    origin?: LayersOrigin,
  ): Promise<LayersClassifier> {
    const json = parseModelJson(structuredClone(source.modelJson), source.name);
    const warnings: string[] = [...(origin?.warnings ?? [])];
    const last = lastLayer(json);
    if (last?.config.activation === 'softmax') {
      last.config.activation = 'linear';
      warnings.push(`final softmax of layer '${last.config.name}' removed: the scanner works on logits`);
    }
    const specs = json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
    const expected = manifestBytes(json);
    if (source.weights.byteLength !== expected) {
      throw new UmaError(
        'BAD_MODEL',
        `${source.name}: weight data holds ${source.weights.byteLength} bytes, the manifest needs ${expected}`,
      );
    }
    let model: tf.LayersModel;
    try {
      const w = source.weights;
      model = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology as object,
          weightSpecs: specs,
          weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer,
        }),
      );
    } catch (err) {
      throw new UmaError('BAD_MODEL', `${source.name}: cannot build the TF.js model (${(err as Error).message})`);
    }
    warnings.push(...(await nonFiniteWarnings(model)));
    const histogram: Record<string, number> = {};
    for (const l of model.layers) histogram[l.getClassName()] = (histogram[l.getClassName()] ?? 0) + 1;
    const report: LoadReport = {
      format: origin?.format ?? 'tfjs-layers',
      params: model.countParams(),
      opHistogram: histogram,
      warnings,
      ...(origin?.layers && { layers: origin.layers }),
      graph: layersGraph(model),
    };
    return new LayersClassifier(model, inferInputSpec(source.name, model, spec), source, report, origin);
  }

  /** Wraps a model built in memory (the corpus trainer's); its source is serialised from it. */
  static async fromModel(
    model: tf.LayersModel,
    name: string,
    spec?: Partial<InputSpec>,
    origin?: LayersOrigin,
  ): Promise<LayersClassifier> {
    const { modelJson, weights } = await serialise(model);
    model.dispose();
    return LayersClassifier.fromSource({ format: 'tfjs-layers', name, modelJson, weights }, spec, origin);
  }

  predict(x: tf.Tensor4D): tf.Tensor2D {
    const [, h, w, c] = x.shape;
    const s = this.inputSpec;
    if (h !== s.height || w !== s.width || c !== s.channels) {
      throw new UmaError(
        'SHAPE_MISMATCH',
        `input ${h}x${w}x${c} does not match the model's ${s.height}x${s.width}x${s.channels}`,
      );
    }
    return tf.tidy(() => this.model.apply(this.normalise(x), { training: this.training }) as tf.Tensor2D);
  }

  weightLayers(): WeightLayer[] {
    return this.model.layers
      .filter((l) => l.weights.length > 0)
      .map((l) => ({
        name: l.name,
        kind: KIND[l.getClassName()] ?? 'other',
        op: l.getClassName(),
        variables: l.trainableWeights.map((w) => w.read() as tf.Variable),
        params: l.countParams(),
        frozen: this.frozen.has(l.name),
      }));
  }

  trainableVariables(): tf.Variable[] {
    return this.weightLayers()
      .filter((l) => !l.frozen)
      .flatMap((l) => l.variables);
  }

  stateVariables(): tf.Variable[] {
    return this.model.weights.map((w) => w.read() as tf.Variable);
  }

  /** Sequential models split at the first trainable weight layer; other topologies do not split. */
  splitAtFreeze(): { front: (x: tf.Tensor4D) => tf.Tensor; back: (h: tf.Tensor) => tf.Tensor2D } | null {
    if (!(this.model instanceof tf.Sequential) || this.frozen.size === 0) return null;
    const layers = this.model.layers;
    const cut = layers.findIndex((l) => l.weights.length > 0 && !this.frozen.has(l.name));
    if (cut <= 0) return null;
    const run = (from: number, to: number, x: tf.Tensor) =>
      layers.slice(from, to).reduce((h, l) => l.apply(h, { training: this.training }) as tf.Tensor, x);
    return {
      front: (x) => tf.tidy(() => run(0, cut, this.normalise(x))),
      back: (h) => tf.tidy(() => run(cut, layers.length, h) as tf.Tensor2D),
    };
  }

  freeze(ratio: number): FreezeResult {
    const plan = freezePlan(this.weightLayers(), ratio);
    this.frozen = new Set(plan.frozen);
    return plan;
  }

  setTraining(training: boolean): void {
    this.training = training;
  }

  async clone(): Promise<LayersClassifier> {
    const { modelJson, weights } = await serialise(this.model);
    const copy = await LayersClassifier.fromSource({ ...this.source, modelJson, weights }, this.inputSpec, this.origin);
    copy.frozen = new Set(this.frozen);
    copy.training = this.training;
    return copy;
  }

  async reinitialized(seed: number): Promise<LayersClassifier> {
    const copy = await this.clone();
    const rand = seededRand(seed);
    for (const w of copy.model.weights) {
      const v = w.read();
      const name = w.originalName ?? w.name;
      // Preprocessing statistics (a Keras Normalization layer's mean, variance, count) are part of the
      // input convention, not learned weights: a fresh model keeps them.
      if (!w.trainable && !/moving_mean|moving_variance/.test(name)) continue;
      const size = v.size;
      let values: Float32Array;
      if (/moving_variance|gamma/.test(name)) values = new Float32Array(size).fill(1);
      else if (/bias|beta|moving_mean/.test(name)) values = new Float32Array(size);
      else values = glorotUniform(v.shape, rand);
      const fresh = tf.tensor(values, v.shape);
      w.write(fresh);
      fresh.dispose();
    }
    copy.frozen.clear();
    return copy;
  }

  /** Writes model.json + weights.bin (the current weights) into `dir`. */
  async saveTo(dir: string): Promise<void> {
    const { modelJson, weights } = await serialise(this.model);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
    writeFileSync(join(dir, 'weights.bin'), weights);
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** model.json itself is text; a larger one is not a manifest. */
const MAX_MODEL_JSON_BYTES = 64 * 2 ** 20;

/**
 * Reads model.json (or a folder holding one) and its weight shards from disk. Shards must be regular
 * files inside the model's folder (links resolved), and their sizes must add up to what the manifest
 * describes before any is read: a path to /dev/zero or out of the folder is refused, not followed.
 */
export function readLayersFiles(path: string): {
  modelJsonPath: string;
  modelJson: unknown;
  weights: Uint8Array;
  files: string[];
} {
  const given = resolveEvidencePath(path);
  const modelJsonPath = given.stat.isDirectory() ? join(path, 'model.json') : path;
  let modelJson: ModelJson;
  try {
    modelJson = JSON.parse(readRegularFile(modelJsonPath, MAX_MODEL_JSON_BYTES).toString('utf8')) as ModelJson;
  } catch (err) {
    if (err instanceof UmaError) throw err;
    throw new UmaError('BAD_MODEL', `${modelJsonPath}: not valid JSON (${(err as Error).message})`);
  }
  modelJson = parseModelJson(modelJson, modelJsonPath);
  const realDir = dirname(resolveEvidencePath(modelJsonPath).real);
  const dir = dirname(modelJsonPath);
  const outside = (f: string) =>
    new UmaError('BAD_MODEL', `${f}: weight shard path leads out of the model's folder ${dir}`);
  const files = modelJson.weightsManifest
    .flatMap((g) => g.paths)
    .map((p) => {
      if (isAbsolute(p) || !isInside(resolve(dir), resolve(dir, p))) throw outside(p);
      return join(dir, p);
    });
  let total = 0;
  const reals = files.map((f) => {
    const { real, stat } = resolveEvidencePath(f, 'file (a weight shard named in model.json)');
    if (!isInside(realDir, real)) throw outside(f);
    requireRegularFile(f, stat, MAX_MODEL_FILE_BYTES);
    total += stat.size;
    return real;
  });
  const expected = manifestBytes(modelJson);
  if (total !== expected) {
    throw new UmaError(
      'BAD_MODEL',
      `${modelJsonPath}: weight data holds ${total} bytes, the manifest needs ${expected}`,
    );
  }
  const parts = reals.map((f) => readRegularFile(f));
  return { modelJsonPath, modelJson, weights: new Uint8Array(Buffer.concat(parts)), files: [modelJsonPath, ...files] };
}

export async function loadLayersModelFile(
  path: string,
  opts: { name?: string; inputSpec?: Partial<InputSpec> } = {},
): Promise<LayersClassifier> {
  const { modelJsonPath, modelJson, weights } = readLayersFiles(path);
  return LayersClassifier.fromSource(
    { format: 'tfjs-layers', name: opts.name ?? modelJsonPath, modelJson, weights },
    opts.inputSpec,
  );
}
