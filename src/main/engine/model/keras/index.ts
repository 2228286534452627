/**
 * Keras HDF5 models (`model.save('m.h5')`, Keras 2.x) and weights-only files (`save_weights`) with
 * their architecture given separately, as Classifiers. The Keras config is translated into a TF.js
 * Layers topology (TF.js Layers is Keras-compatible), the H5 weights are set layer by layer, and the
 * result is a LayersClassifier reporting format 'keras' whose source is the converted TF.js model, so
 * worker threads load it without reading the H5 file again.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../../../../shared/errors.ts';
import { LayersClassifier } from '../layers.ts';
import type { InputSpec, ModelLayer } from '../types.ts';
import { Hdf5File } from './hdf5.ts';
import { translateTopology } from './topology.ts';
import { assignKerasWeights } from './weights.ts';
import './normalization.ts';

export { hasHdf5Signature } from './hdf5.ts';

export interface LoadKerasOptions {
  name?: string;
  inputSpec?: Partial<InputSpec>;
  /** A Keras model JSON (`model.to_json()`) or TF.js model.json, for a weights-only H5 file. */
  architecture?: string;
}

const MAX_ARCHITECTURE_BYTES = 16 * 2 ** 20;

function readArchitecture(path: string): unknown {
  const size = statSync(path, { throwIfNoEntry: false })?.size;
  if (size === undefined) throw new UmaError('NOT_FOUND', `${path}: no such architecture file`);
  if (size > MAX_ARCHITECTURE_BYTES)
    throw new UmaError('BAD_MODEL', `${path}: ${size} bytes, too large for a model architecture JSON`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UmaError('BAD_MODEL', `${path}: not valid JSON (${(err as Error).message})`);
  }
}

function layerList(model: tf.LayersModel): ModelLayer[] {
  return model.layers.map((l) => {
    const shape = l.outputShape;
    const single = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
    return { name: l.name, className: l.getClassName(), outputShape: single.slice(1), params: l.countParams() };
  });
}

export async function loadKerasFile(path: string, opts: LoadKerasOptions = {}): Promise<LayersClassifier> {
  const name = opts.name ?? basename(path);
  const h5 = await Hdf5File.open(path, name);
  let model: tf.LayersModel | undefined;
  try {
    const root = h5.group('/')!;
    const config =
      opts.architecture !== undefined ? readArchitecture(opts.architecture) : h5.jsonAttr(root, 'model_config');
    if (config === undefined) {
      throw new UmaError(
        'BAD_MODEL',
        `${name}: a Keras weights-only file (no model_config); give its architecture JSON with --architecture`,
      );
    }
    // A full model keeps its weights under model_weights; save_weights writes them at the root.
    const weights = h5.group('/model_weights') ?? root;
    if (h5.stringListAttr(weights, 'layer_names') === undefined) {
      throw new UmaError('BAD_MODEL', `${name}: an HDF5 file without Keras weights (no layer_names attribute)`);
    }
    const { topology, warnings } = translateTopology(config, name);
    try {
      model = await tf.models.modelFromJSON({ modelTopology: topology as unknown as tf.io.ModelJSON['modelTopology'] });
    } catch (err) {
      throw new UmaError('BAD_MODEL', `${name}: cannot build the Keras model (${(err as Error).message})`);
    }
    assignKerasWeights(h5, weights, model);
    const built = model;
    model = undefined;
    return await LayersClassifier.fromModel(built, name, opts.inputSpec, {
      format: 'keras',
      warnings,
      layers: layerList(built),
    });
  } finally {
    model?.dispose();
    h5.close();
  }
}
