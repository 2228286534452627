/**
 * Writes small Keras-format HDF5 files with h5wasm, laid out as Keras 2 writes them (checked against
 * ../shared/models/keras-gtsrb-badnet): root attributes model_config (JSON), keras_version, backend;
 * weights under model_weights/<layer>/<layer>/<weight>:0 with the group attributes layer_names and
 * weight_names. `weightsOnly` lays them out as save_weights does: the layer groups at the root.
 */
import h5wasm from 'h5wasm/node';
import type * as tf from '@tensorflow/tfjs';

export interface KerasWeight {
  /** As Keras names it: kernel, bias, gamma, beta, moving_mean, moving_variance, mean, variance, count. */
  name: string;
  values: Float32Array | BigInt64Array;
  shape: number[];
}

export interface KerasFile {
  modelConfig?: unknown;
  /** Every layer in model order; those with weights list them in Keras order. */
  layers: { name: string; weights: KerasWeight[] }[];
  weightsOnly?: boolean;
}

export async function writeKerasH5(path: string, spec: KerasFile): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  try {
    if (spec.modelConfig !== undefined) f.create_attribute('model_config', JSON.stringify(spec.modelConfig));
    f.create_attribute('keras_version', '2.8.0');
    f.create_attribute('backend', 'tensorflow');
    const root = spec.weightsOnly ? f : f.create_group('model_weights');
    root.create_attribute(
      'layer_names',
      spec.layers.map((l) => l.name),
    );
    for (const layer of spec.layers) {
      const g = root.create_group(layer.name);
      // Keras writes an empty float array for a layer without weights.
      if (layer.weights.length === 0) g.create_attribute('weight_names', new Float64Array(0), [0]);
      else
        g.create_attribute(
          'weight_names',
          layer.weights.map((w) => `${layer.name}/${w.name}:0`),
        );
      if (layer.weights.length === 0) continue;
      const inner = g.create_group(layer.name);
      for (const w of layer.weights) inner.create_dataset({ name: `${w.name}:0`, data: w.values, shape: w.shape });
    }
  } finally {
    f.close();
  }
}

/** The weights of a TF.js model's layers, named as Keras names them, for writing into an H5 file. */
export function kerasWeightsOf(model: tf.LayersModel): { name: string; weights: KerasWeight[] }[] {
  return model.layers.map((l) => ({
    name: l.name,
    weights: l.weights.map((w) => ({
      name: (w.originalName ?? w.name).split('/').pop()!,
      values: w.read().dataSync() as Float32Array,
      shape: w.shape as number[],
    })),
  }));
}
