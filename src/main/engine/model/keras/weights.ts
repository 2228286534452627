/**
 * Keras weights from an H5 weights group into a built TF.js model. Layers are matched by name (the
 * group Keras writes per layer), and within a layer in the order of its `weight_names` attribute,
 * which is Keras's own order (trainable, then non-trainable: kernel, bias; gamma, beta, moving_mean,
 * moving_variance): the order TF.js Layers uses too. Every shape is checked before reading.
 */
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../../../../shared/errors.ts';
import type { Hdf5File } from './hdf5.ts';
import type { Group as H5Group } from 'h5wasm/node';

export function assignKerasWeights(h5: Hdf5File, root: H5Group, model: tf.LayersModel): void {
  const stored = (h5.stringListAttr(root, 'layer_names') ?? []).filter((n) => {
    const g = h5.group(`${root.path}/${n}`.replace(/^\/+/, '/'));
    return g !== null && (h5.stringListAttr(g, 'weight_names') ?? []).length > 0;
  });
  const used = new Set<string>();
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const g = h5.group(`${root.path}/${layer.name}`.replace(/^\/+/, '/'));
    const names = g ? (h5.stringListAttr(g, 'weight_names') ?? []) : [];
    if (!g || names.length === 0)
      throw new UmaError(
        'BAD_MODEL',
        `${h5.name}: no weights for layer '${layer.name}' (${layer.getClassName()}) in the file`,
      );
    if (names.length !== layer.weights.length) {
      throw new UmaError(
        'BAD_MODEL',
        `${h5.name}: layer '${layer.name}' has ${layer.weights.length} weights, the file holds ${names.length} (${names.join(', ')})`,
      );
    }
    const values = names.map((n, i) => {
      const shape = layer.weights[i].shape as number[];
      return tf.tensor(h5.float32(g, n, shape), shape);
    });
    layer.setWeights(values);
    tf.dispose(values);
    used.add(layer.name);
  }
  const unused = stored.filter((n) => !used.has(n));
  if (unused.length > 0)
    throw new UmaError('BAD_MODEL', `${h5.name}: weights for layers the architecture lacks: ${unused.join(', ')}`);
}
