/**
 * Keras HDF5 models (`model.save('m.h5')`, Keras 2.x) and weights-only files (`save_weights`) with
 * their architecture given separately, as Classifiers. The Keras config is translated into a TF.js
 * Layers topology (TF.js Layers is Keras-compatible), the H5 weights are set layer by layer, and the
 * result is a LayersClassifier reporting format 'keras' whose source is the converted TF.js model, so
 * worker threads load it without reading the H5 file again.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../../../../shared/errors.ts';
import { requireRegularFile, resolveEvidencePath } from '../../files.ts';
import { LayersClassifier } from '../layers.ts';
import type { InputSpec, ModelLayer } from '../types.ts';
import { Hdf5File } from './hdf5.ts';
import { kerasConfigOf, translateTopology } from './topology.ts';
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

/**
 * The Keras config an architecture file holds, or a named refusal: missing, not a regular file (a FIFO
 * would hang the read), oversized, not JSON, or JSON that is no Keras model config.
 */
function readArchitecture(path: string): unknown {
  const { real, stat } = resolveEvidencePath(path, 'architecture file');
  requireRegularFile(path, stat);
  if (stat.size > MAX_ARCHITECTURE_BYTES)
    throw new UmaError(
      'BAD_MODEL',
      `architecture file ${path}: ${stat.size} bytes, too large for a model architecture JSON`,
    );
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(real, 'utf8'));
  } catch (err) {
    throw new UmaError('BAD_MODEL', `architecture file ${path}: not JSON (${(err as Error).message})`);
  }
  kerasConfigOf(json, `architecture file ${path}`);
  return json;
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
    try {
      assignKerasWeights(h5, weights, model);
    } catch (err) {
      // A separate architecture is the likelier culprit: say which two files disagree.
      if (opts.architecture === undefined || !(err instanceof UmaError) || err.code !== 'BAD_MODEL') throw err;
      throw new UmaError(
        'BAD_MODEL',
        `architecture file ${opts.architecture} does not match the weights in ${name}: ${err.message.replace(`${name}: `, '')}`,
      );
    }
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
