/**
 * The Classifier contract every importer implements (docs/architecture.md, "Contracts"). The scanner only ever
 * sees this interface: predict is differentiable with respect to the input and to the weights, weight
 * layers are ordered from input to output so a freeze ratio is well defined, and copies are cheap to
 * make and must be disposed.
 */
import type * as tf from '@tensorflow/tfjs';

export type ModelFormat = 'onnx' | 'tfjs-layers' | 'keras';

/** How the model expects its input; stored with the case. Triggers live in [0,1] image space. */
export interface InputSpec {
  height: number;
  width: number;
  channels: number;
  /** The layout of the original model's input; predict always takes NHWC. */
  layout: 'NHWC' | 'NCHW';
  /** Per-channel normalisation applied inside predict: (x - mean) / std, x in [0,1]. */
  mean: number[];
  std: number[];
  classNames?: string[];
}

export type WeightLayerKind = 'conv' | 'dense' | 'attention' | 'norm' | 'embedding' | 'other';

export interface WeightLayer {
  /** Layer (ONNX node) name, unique within the model. */
  name: string;
  kind: WeightLayerKind;
  /** The op or layer class it came from (Conv, Gemm, Dense, Conv2D...). */
  op: string;
  variables: tf.Variable[];
  params: number;
  frozen: boolean;
}

export interface FreezeResult {
  /** Number of counted (conv/dense/attention) layers frozen. */
  frozenCount: number;
  frozen: string[];
  trainable: string[];
}

/** The bytes a model was loaded from, so a worker thread can load its own copy. */
export type ModelSource =
  | { format: 'onnx'; name: string; bytes: Uint8Array }
  | { format: 'tfjs-layers'; name: string; modelJson: unknown; weights: Uint8Array };

/** One layer of a model that has layers (Keras), input -> output, for the model view. */
export interface ModelLayer {
  name: string;
  className: string;
  /** Output shape without the batch axis. */
  outputShape: (number | null)[];
  params: number;
}

/** One node of a model's graph, for the model view's diagram: an op (ONNX) or a layer and what feeds it. */
export interface GraphNode {
  name: string;
  op: string;
  /** Indices of the earlier nodes that feed it; node 0 is the model's input. */
  inputs: number[];
}

export interface LoadReport {
  format: ModelFormat;
  /** Parameter count over all weight tensors. */
  params: number;
  /** Op (ONNX) or layer class (TF.js) -> count. */
  opHistogram: Record<string, number>;
  /** Things the analyst should know: NaN weights, a stripped final softmax, a guessed layout. */
  warnings: string[];
  /** The layer list, where the format has one worth showing (Keras). */
  layers?: ModelLayer[];
  /** The graph input -> output in topological order, node 0 the input (ONNX: the nodes the output needs). */
  graph?: GraphNode[];
}

export interface Classifier {
  readonly format: ModelFormat;
  readonly inputSpec: InputSpec;
  readonly numClasses: number;
  readonly source: ModelSource;
  readonly report: LoadReport;
  /** NHWC float32 in [0,1] -> logits [N, numClasses]. Normalisation is inside. */
  predict(x: tf.Tensor4D): tf.Tensor2D;
  /**
   * Optional: predict's logits where no gradient is needed, possibly on a faster engine (an ONNX model
   * runs on onnxruntime while its weights are the file's own). Equal to predict within 1e-4 relative.
   * Callers use `inferLogits` (common.ts), which falls back to predict.
   */
  predictBatch?(x: tf.Tensor4D): Promise<tf.Tensor2D>;
  /** Layers that own weights, ordered input -> output. */
  weightLayers(): WeightLayer[];
  /** Variables not frozen, ordered input -> output. */
  trainableVariables(): tf.Variable[];
  /**
   * Every weight tensor, trainable or not (BatchNorm running statistics included), in a stable order:
   * two classifiers loaded from the same source list the same shapes in the same order, so one's state
   * can be copied into the other across threads (the reference model travels this way).
   */
  stateVariables(): tf.Variable[];
  /**
   * When the frozen layers form a prefix feeding the rest through a single tensor, the two halves:
   * `front` (frozen; its activations can be computed once per scan) and `back` (trainable).
   * Null or absent when the graph has no such cut.
   */
  splitAtFreeze?(): { front: (x: tf.Tensor4D) => tf.Tensor; back: (h: tf.Tensor) => tf.Tensor2D } | null;
  /**
   * Freezes the first floor(ratio * L) of the L conv/dense/attention layers, and every weight layer
   * (normalisation included) before the first one left trainable. ratio 0 unfreezes all.
   */
  freeze(ratio: number): FreezeResult;
  /** Training mode: BatchNorm uses batch statistics (and updates running ones), Dropout is active. */
  setTraining(training: boolean): void;
  /** A deep copy with its own variables (and the same frozen set). */
  clone(): Promise<Classifier>;
  /** Same architecture, fresh weights from the framework's default initialisers, seeded. */
  reinitialized(seed: number): Promise<Classifier>;
  dispose(): void;
}
