/**
 * Keras 2.x model configs (an H5 file's `model_config`, `model.to_json()`, or a TF.js model.json's
 * topology) turned into a topology TF.js Layers deserialises. TF.js Layers reads Keras configs almost
 * as they are; the differences handled here: layer classes outside the supported list are refused by
 * name, BatchNormalization's axis list becomes a number, dtype policies become float32, ReLU/pooling
 * options TF.js lacks are checked and dropped, the output softmax becomes linear (the scanner works on
 * logits), and a Functional model that is a plain chain becomes a Sequential one so the frozen front
 * can be split off.
 */
import { UmaError } from '../../../../shared/errors.ts';

interface LayerConfig {
  class_name: string;
  name?: string;
  config: Record<string, unknown> & { name?: string; layers?: LayerConfig[] };
  inbound_nodes?: unknown[];
}

export interface KerasTopology {
  /** A Keras config TF.js Layers deserialises (class_name Sequential or Functional). */
  topology: { class_name: string; config: Record<string, unknown> };
  warnings: string[];
}

/** Keras class names, aliases mapped to the name TF.js registers. */
export const KERAS_LAYER_CLASSES: Record<string, string> = {
  InputLayer: 'InputLayer',
  Conv2D: 'Conv2D',
  Convolution2D: 'Conv2D',
  Dense: 'Dense',
  BatchNormalization: 'BatchNormalization',
  ReLU: 'ReLU',
  LeakyReLU: 'LeakyReLU',
  ELU: 'ELU',
  Activation: 'Activation',
  MaxPooling2D: 'MaxPooling2D',
  MaxPool2D: 'MaxPooling2D',
  AveragePooling2D: 'AveragePooling2D',
  AvgPool2D: 'AveragePooling2D',
  GlobalAveragePooling2D: 'GlobalAveragePooling2D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  GlobalMaxPooling2D: 'GlobalMaxPooling2D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
  Flatten: 'Flatten',
  Dropout: 'Dropout',
  Add: 'Add',
  Concatenate: 'Concatenate',
  ZeroPadding2D: 'ZeroPadding2D',
  Reshape: 'Reshape',
  Rescaling: 'Rescaling',
  Normalization: 'Normalization',
};
const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** Keras activation names -> TF.js's. */
const ACTIVATIONS: Record<string, string> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  elu: 'elu',
  selu: 'selu',
  sigmoid: 'sigmoid',
  hard_sigmoid: 'hardSigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  softplus: 'softplus',
  softsign: 'softsign',
  swish: 'swish',
  gelu: 'gelu',
  mish: 'mish',
};

function refuse(layer: LayerConfig, why: string): never {
  const name = layer.config?.name ?? layer.name ?? '?';
  throw new UmaError('UNSUPPORTED_MODEL', `Keras layer '${name}' (${layer.class_name}): ${why}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The Keras config inside whatever JSON was given: {class_name, config}, or a TF.js model.json. */
export function kerasConfigOf(json: unknown, source: string): LayerConfig {
  let j = json;
  if (isRecord(j) && isRecord(j.modelTopology)) j = j.modelTopology;
  if (isRecord(j) && isRecord(j.model_config)) j = j.model_config;
  // Keras before 2.2.3 wrote a Sequential config as the bare layer list.
  if (isRecord(j) && Array.isArray(j.config)) j = { ...j, config: { layers: j.config } };
  if (!isRecord(j) || typeof j.class_name !== 'string' || !isRecord(j.config)) {
    throw new UmaError(
      'BAD_MODEL',
      `${source}: no Keras model config (expected {class_name, config}, or a TF.js model.json)`,
    );
  }
  if (!MODEL_CLASSES.has(j.class_name)) {
    throw new UmaError(
      'UNSUPPORTED_MODEL',
      `${source}: the top-level class is ${j.class_name}; UMA loads Keras Sequential and Functional models`,
    );
  }
  return structuredClone(j) as unknown as LayerConfig;
}

function layersOf(model: LayerConfig): LayerConfig[] {
  const layers = model.config.layers;
  if (
    !Array.isArray(layers) ||
    layers.some((l) => !isRecord(l) || typeof l.class_name !== 'string' || !isRecord(l.config))
  ) {
    throw new UmaError('BAD_MODEL', `Keras model '${model.config.name ?? '?'}': config.layers is not a list of layers`);
  }
  return layers;
}

/** Rewrites one layer's config in place into what TF.js accepts, or refuses it by name. */
function adaptLayer(layer: LayerConfig, warnings: string[]): void {
  if (MODEL_CLASSES.has(layer.class_name)) {
    if (layer.class_name === 'Model') layer.class_name = 'Functional';
    layersOf(layer).forEach((l) => adaptLayer(l, warnings));
    return;
  }
  const cls = KERAS_LAYER_CLASSES[layer.class_name];
  if (!cls)
    refuse(
      layer,
      'this layer class is not supported (supported: ' +
        [...new Set(Object.values(KERAS_LAYER_CLASSES))].join(', ') +
        ')',
    );
  layer.class_name = cls;
  const c = layer.config;
  if (isRecord(c.dtype)) {
    // A mixed-precision policy: the weights are stored as float32 whatever the compute dtype was.
    c.dtype = 'float32';
    if (!warnings.some((w) => w.includes('dtype policy')))
      warnings.push('Keras dtype policy (mixed precision) replaced by float32');
  }
  if (c.data_format === 'channels_first')
    refuse(layer, "data_format 'channels_first' is not supported (channels_last only)");
  if (typeof c.activation === 'string') {
    const act = ACTIVATIONS[c.activation];
    if (!act) refuse(layer, `activation '${c.activation}' is not supported`);
    c.activation = act;
  } else if (c.activation !== undefined) {
    refuse(layer, 'activation is not a plain name');
  }
  if (cls === 'Conv2D' && c.groups !== undefined) {
    if (c.groups !== 1) refuse(layer, `grouped convolution (groups ${JSON.stringify(c.groups)}) is not supported`);
    delete c.groups;
  }
  if (cls === 'Conv2D' && Array.isArray(c.dilation_rate) && c.dilation_rate.some((d) => d !== 1)) {
    warnings.push(
      `layer '${c.name}' is a dilated convolution: it predicts, but TF.js has no gradient for it, so a scan fails`,
    );
  }
  if (cls === 'BatchNormalization' && Array.isArray(c.axis)) {
    if (c.axis.length !== 1) refuse(layer, `normalisation over several axes [${c.axis.join(', ')}] is not supported`);
    c.axis = c.axis[0];
  }
  if (cls === 'ReLU') {
    if ((c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0)
      refuse(layer, 'ReLU with negative_slope or threshold is not supported');
    delete c.negative_slope;
    delete c.threshold;
  }
  if (cls === 'ELU' && (c.alpha ?? 1) !== 1)
    refuse(layer, `ELU with alpha ${String(c.alpha)} is not supported (TF.js Layers has alpha 1 only)`);
  if (cls === 'GlobalAveragePooling2D' || cls === 'GlobalMaxPooling2D') {
    if (c.keepdims === true) refuse(layer, 'keepdims=True is not supported');
    delete c.keepdims;
  }
  for (const k of ['ragged', 'sparse']) {
    if (c[k] === true) refuse(layer, `${k} inputs are not supported`);
    delete c[k];
  }
}

/** The name of the layer whose output is the model's. */
function outputLayer(model: LayerConfig): LayerConfig | undefined {
  const layers = layersOf(model);
  if (model.class_name === 'Sequential') return layers[layers.length - 1];
  const outs = model.config.output_layers as unknown[][] | undefined;
  if (!Array.isArray(outs) || outs.length !== 1) {
    throw new UmaError(
      'UNSUPPORTED_MODEL',
      `Keras model '${model.config.name ?? '?'}': ${Array.isArray(outs) ? outs.length : 'no'} outputs; UMA scans single-output classifiers`,
    );
  }
  return layers.find((l) => (l.config.name ?? l.name) === outs[0][0]);
}

/** Sets a softmax on the output layer to linear, so predict returns logits. */
function dropOutputSoftmax(model: LayerConfig, warnings: string[]): void {
  const out = outputLayer(model);
  if (out?.config.activation === 'softmax') {
    out.config.activation = 'linear';
    warnings.push(`final softmax of layer '${out.config.name}' removed: the scanner works on logits`);
  }
}

function inboundNames(layer: LayerConfig): string[] | null {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length !== 1 || !Array.isArray(nodes[0])) return null;
  return (nodes[0] as unknown[][]).map((t) => (Array.isArray(t) && typeof t[0] === 'string' ? t[0] : '\0'));
}

/**
 * A Functional model whose layers form one chain (input, then each layer fed only by the one before)
 * as a Sequential config; the InputLayer's batch shape moves onto the first layer. Null otherwise.
 */
function chainAsSequential(model: LayerConfig): LayerConfig | null {
  const layers = layersOf(model);
  const ins = model.config.input_layers as unknown[] | undefined;
  if (!Array.isArray(ins) || ins.length !== 1 || layers.length < 2 || layers[0].class_name !== 'InputLayer')
    return null;
  for (let i = 1; i < layers.length; i++) {
    const from = inboundNames(layers[i]);
    if (!from || from.length !== 1 || from[0] !== layers[i - 1].config.name || MODEL_CLASSES.has(layers[i].class_name))
      return null;
  }
  if (outputLayer(model) !== layers[layers.length - 1]) return null;
  return sequential(String(model.config.name ?? 'model'), layers);
}

/** A Sequential config from a layer list, a leading InputLayer folded into the first layer's batch shape. */
function sequential(name: string, layers: LayerConfig[]): LayerConfig {
  const body = layers.map((l) => ({ class_name: l.class_name, config: l.config }));
  if (body.length > 1 && body[0].class_name === 'InputLayer') {
    const input = body.shift()!;
    body[0].config.batch_input_shape = input.config.batch_input_shape;
  }
  return { class_name: 'Sequential', config: { name, layers: body } };
}

export function translateTopology(json: unknown, source: string): KerasTopology {
  const warnings: string[] = [];
  let model = kerasConfigOf(json, source);
  if (model.class_name === 'Model') model.class_name = 'Functional';
  layersOf(model).forEach((l) => adaptLayer(l, warnings));
  dropOutputSoftmax(model, warnings);
  if (model.class_name === 'Sequential') model = sequential(String(model.config.name ?? 'sequential'), layersOf(model));
  else model = chainAsSequential(model) ?? model;
  return { topology: { class_name: model.class_name, config: model.config }, warnings };
}
