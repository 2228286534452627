/**
 * The Classifier over an imported ONNX graph. Immutable parts (parsed graph, executor, layer plan,
 * constants, report) live in an OnnxCore shared by clones; each instance owns only its variables and
 * its frozen / training state.
 */
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../../../../shared/errors.ts';
import { mulberry32 } from '../../random.ts';
import { freezePlan, normaliser } from '../common.ts';
import type { Classifier, FreezeResult, InputSpec, LoadReport, ModelSource, WeightLayer } from '../types.ts';
import type { Executor } from './graph.ts';
import { freshWeights } from './init.ts';
import { fromOnnx, onnxTensor, toOnnxOrder, type Layout, type Val } from './layout.ts';
import { OrtForward, type OrtForwardResult } from './ort-forward.ts';
import { tensorOf } from './ops/shape.ts';
import type { OnnxTensor } from './proto.ts';
import { findCut } from './split.ts';
import type { LayerSpec, ParamSpec } from './weights.ts';

export interface OnnxCore {
  executor: Executor;
  layers: LayerSpec[];
  /** Initializers that are not weights: shape constants and scalar factors. */
  constants: Map<string, OnnxTensor>;
  inputSpec: InputSpec;
  /** Set by the loader from the probe run. */
  numClasses: number;
  source: ModelSource;
  report: LoadReport;
  /** The onnxruntime session over the file's own weights, made on first use (ort-forward.ts). */
  ort?: Promise<OrtForwardResult>;
}

let instances = 0;

/** ONNX-ordered values -> tensors in each parameter's storage layout. */
export function storageTensors(layers: LayerSpec[], values: Map<string, Float32Array>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const l of layers) {
    for (const p of l.params) {
      out.set(
        p.name,
        tf.tidy(() => fromOnnx(tf.tensor(values.get(p.name)!, p.dims, 'float32'), p.layout, p.group)),
      );
    }
  }
  return out;
}

export class OnnxClassifier implements Classifier {
  readonly format = 'onnx' as const;
  private readonly vars = new Map<string, tf.Variable>();
  private readonly specs = new Map<string, ParamSpec>();
  private readonly frozen = new Set<string>();
  private training = false;
  private readonly dropoutRand = mulberry32(0x5eed);
  private disposed = false;
  private fromFile: boolean;

  /**
   * Takes ownership of `weights` (storage layout), which become this instance's variables. `loaded`:
   * they are the file's own weights, so onnxruntime may run the file in their place (predictBatch)
   * until a variable is handed out (anyone holding one may change it); this instance owns the session.
   */
  constructor(
    private readonly core: OnnxCore,
    weights: Map<string, tf.Tensor>,
    frozen: Iterable<string> = [],
    private readonly loaded = false,
  ) {
    this.fromFile = loaded;
    const id = ++instances;
    for (const layer of core.layers) {
      for (const p of layer.params) {
        const t = weights.get(p.name)!;
        this.vars.set(p.name, tf.variable(t, p.learnable, `onnx${id}/${p.name}`));
        t.dispose();
        this.specs.set(p.name, p);
      }
    }
    for (const name of frozen) this.frozen.add(name);
    this.applyTrainable();
  }

  get inputSpec(): InputSpec {
    return this.core.inputSpec;
  }
  get numClasses(): number {
    return this.core.numClasses;
  }
  get source(): ModelSource {
    return this.core.source;
  }
  get report(): LoadReport {
    return this.core.report;
  }

  private live(): void {
    if (this.disposed) throw new UmaError('BAD_INPUT', `classifier ${this.source.name} was disposed`);
  }

  private param(name: string): Val | undefined {
    const v = this.vars.get(name);
    if (v) return { t: v, layout: this.specs.get(name)!.layout, isStatic: false };
    const c = this.core.constants.get(name);
    return c ? { t: tensorOf(c), layout: 'onnx', isStatic: true } : undefined;
  }

  /** Checks and normalises NHWC [0,1] images into the graph input value. */
  private inputVal(x: tf.Tensor4D): Val {
    this.live();
    const { height, width, channels, layout } = this.inputSpec;
    if (x.rank !== 4 || x.shape[1] !== height || x.shape[2] !== width || x.shape[3] !== channels) {
      throw new UmaError(
        'SHAPE_MISMATCH',
        `${this.source.name}: expected images [N, ${height}, ${width}, ${channels}] (NHWC), got [${x.shape.join(', ')}]`,
        {
          expected: [height, width, channels],
          got: x.shape,
        },
      );
    }
    // An NCHW model's input is held NHWC from the start: predict already receives channels-last.
    return { t: normaliser(this.inputSpec)(x), layout: layout === 'NCHW' ? 'nhwc' : 'onnx', isStatic: false };
  }

  private run(seedName: string, seed: Val, from: number, to: number, output: string, training = this.training): Val {
    const params = (n: string) => this.param(n);
    return this.core.executor.runNodes(seedName, seed, params, { training, rand: this.dropoutRand }, from, to, output);
  }

  /** Normalises NHWC [0,1] images and runs the graph; the raw output in ONNX order. */
  forward(x: tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => {
      const { inputName, outputName, order } = this.core.executor.graph;
      return onnxTensor(this.run(inputName, this.inputVal(x), 0, order.length, outputName));
    });
  }

  predict(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.logits(this.forward(x), x.shape[0]));
  }

  /** predict's logits without a gradient: on onnxruntime while the weights are the file's, else predict. */
  async predictBatch(x: tf.Tensor4D): Promise<tf.Tensor2D> {
    const engine = await this.forwardEngine();
    return engine.forward ? engine.forward.logits(x) : this.predict(x);
  }

  /** The engine predictBatch uses now, and why. */
  async forwardEngine(): Promise<{ engine: 'onnxruntime' | 'tfjs'; reason: string; forward?: OrtForward }> {
    this.live();
    if (!this.fromFile) {
      return { engine: 'tfjs', reason: "the weights may differ from the file's (a copy, or variables handed out)" };
    }
    if (this.training) return { engine: 'tfjs', reason: 'training mode' };
    const { source, executor, inputSpec, numClasses } = this.core;
    if (source.format !== 'onnx') return { engine: 'tfjs', reason: 'no ONNX bytes' };
    this.core.ort ??= OrtForward.create(source.bytes, executor.graph, inputSpec, numClasses);
    const r = await this.core.ort;
    if (!r.ok) return { engine: 'tfjs', reason: r.reason };
    return { engine: 'onnxruntime', reason: "the file's own weights, inference mode", forward: r.forward };
  }

  private logits(y: tf.Tensor, n: number): tf.Tensor2D {
    if (y.size !== n * this.numClasses) {
      throw new UmaError(
        'BAD_MODEL',
        `${this.source.name}: output has shape [${y.shape.join(', ')}], expected [${n}, ${this.numClasses}] logits`,
      );
    }
    return tf.reshape<tf.Rank.R2>(y, [n, this.numClasses]);
  }

  /** The frozen prefix and the trainable rest, when one image-dependent tensor joins them. */
  splitAtFreeze(): { front: (x: tf.Tensor4D) => tf.Tensor; back: (h: tf.Tensor) => tf.Tensor2D } | null {
    this.live();
    const frozen = new Set(
      this.core.layers.filter((l) => this.frozen.has(l.name)).flatMap((l) => l.params.map((p) => p.name)),
    );
    const cut = findCut(this.core.executor.graph, new Set(this.vars.keys()), frozen);
    if (!cut) return null;
    const { inputName, outputName, order } = this.core.executor.graph;
    const { height, width, channels } = this.inputSpec;
    const front = (x: tf.Tensor4D, training?: boolean) =>
      this.run(inputName, this.inputVal(x), 0, cut.index, cut.value, training);
    // The back half starts mid-graph: it needs the shape arithmetic a whole run folds for its batch
    // size, and the layout the cut value is held in. Inference runs on zeros provide both.
    const zeros = (n: number) => tf.zeros<tf.Rank.R4>([n, height, width, channels]);
    const cutLayout = tf.tidy(() => front(zeros(1), false).layout);
    return {
      front: (x) => tf.tidy(() => front(x).t),
      back: (h) =>
        tf.tidy(() => {
          const n = h.shape[0];
          if (!this.core.executor.hasFolded(n))
            tf.tidy(() => this.run(inputName, this.inputVal(zeros(n)), 0, order.length, outputName, false).t);
          const y = this.run(
            cut.value,
            { t: h, layout: cutLayout, isStatic: false },
            cut.index,
            order.length,
            outputName,
          );
          return this.logits(onnxTensor(y), n);
        }),
    };
  }

  weightLayers(): WeightLayer[] {
    this.fromFile = false;
    return this.layerList();
  }

  private layerList(): WeightLayer[] {
    return this.core.layers.map((l) => ({
      name: l.name,
      kind: l.kind,
      op: l.op,
      variables: l.params.map((p) => this.vars.get(p.name)!),
      params: l.params.filter((p) => p.learnable).reduce((a, p) => a + p.dims.reduce((x, y) => x * y, 1), 0),
      frozen: this.frozen.has(l.name),
    }));
  }

  trainableVariables(): tf.Variable[] {
    this.fromFile = false;
    return this.core.layers
      .filter((l) => !this.frozen.has(l.name))
      .flatMap((l) => l.params.filter((p) => p.learnable).map((p) => this.vars.get(p.name)!));
  }

  freeze(ratio: number): FreezeResult {
    if (!(ratio >= 0 && ratio <= 1)) throw new UmaError('BAD_INPUT', `freeze ratio must be in [0, 1], not ${ratio}`);
    const plan = freezePlan(this.layerList(), ratio);
    this.frozen.clear();
    for (const name of plan.frozen) this.frozen.add(name);
    this.applyTrainable();
    return plan;
  }

  stateVariables(): tf.Variable[] {
    this.fromFile = false;
    return this.core.layers.flatMap((l) => l.params.map((p) => this.vars.get(p.name)!));
  }

  private applyTrainable(): void {
    for (const l of this.core.layers) {
      for (const p of l.params) this.vars.get(p.name)!.trainable = p.learnable && !this.frozen.has(l.name);
    }
  }

  setTraining(training: boolean): void {
    this.training = training;
  }

  // clone and reinitialized copy in memory, synchronously; the Classifier contract lets other formats wait.
  clone(): Promise<Classifier> {
    this.live();
    const copies = new Map([...this.vars].map(([n, v]) => [n, v.clone() as tf.Tensor]));
    const c = new OnnxClassifier(this.core, copies, this.frozen);
    c.setTraining(this.training);
    return Promise.resolve(c);
  }

  reinitialized(seed: number): Promise<Classifier> {
    this.live();
    return Promise.resolve(
      new OnnxClassifier(this.core, storageTensors(this.core.layers, freshWeights(this.core.layers, seed))),
    );
  }

  /** The variable holding initializer `name`, and its layout (so gradients can be mapped back). */
  variable(name: string): { variable: tf.Variable; layout: Layout } | undefined {
    const v = this.vars.get(name);
    if (v) this.fromFile = false;
    return v && { variable: v, layout: this.specs.get(name)!.layout };
  }

  /** A tensor in initializer `name`'s storage layout (a weight or its gradient) in ONNX/PyTorch order. */
  toOnnxLayout(name: string, t: tf.Tensor): tf.Tensor {
    const spec = this.specs.get(name);
    if (!spec) throw new UmaError('NOT_FOUND', `no weight named '${name}'`);
    return toOnnxOrder(t, spec.layout);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.loaded) void this.core.ort?.then((r) => (r.ok ? r.forward.release() : undefined));
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
