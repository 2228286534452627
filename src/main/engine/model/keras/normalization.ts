/**
 * Keras's Normalization preprocessing layer, which TF.js Layers lacks: (x - mean) / max(sqrt(var), 1e-7)
 * over the last axis, with mean and variance either in the config or adapted (then stored as the
 * non-trainable weights mean, variance, count, as Keras 2 saves them). Registered with TF.js's
 * serialisation under Keras's class name, so a converted model round-trips through model.json.
 */
import * as tf from '@tensorflow/tfjs';

type Stat = number | number[] | null | undefined;

interface NormalizationArgs {
  name?: string;
  axis?: number | number[] | null;
  mean?: Stat;
  variance?: Stat;
  invert?: boolean;
  batchInputShape?: (number | null)[];
  dtype?: tf.DataType;
  trainable?: boolean;
}

/** Keras's backend.epsilon(). */
const EPSILON = 1e-7;

export class KerasNormalization extends tf.layers.Layer {
  static className = 'Normalization';
  private readonly axis: number;
  private readonly givenMean: Stat;
  private readonly givenVariance: Stat;
  private mean?: tf.LayerVariable;
  private variance?: tf.LayerVariable;

  constructor(args: NormalizationArgs) {
    super(args);
    const axis = Array.isArray(args.axis) ? args.axis : [args.axis ?? -1];
    if (axis.length !== 1) throw new Error(`Normalization over several axes [${axis.join(', ')}] is not supported`);
    if (args.invert) throw new Error('Normalization with invert=True is not supported');
    this.axis = axis[0];
    this.givenMean = args.mean;
    this.givenVariance = args.variance;
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const axis = this.axis < 0 ? this.axis + shape.length : this.axis;
    if (axis !== shape.length - 1)
      throw new Error(`Normalization over axis ${this.axis} is not supported (the last axis only)`);
    const channels = shape[axis];
    if (channels == null) throw new Error('Normalization needs a known channel count');
    if (this.givenMean == null) {
      this.mean = this.addWeight('mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
      this.variance = this.addWeight('variance', [channels], 'float32', tf.initializers.ones(), undefined, false);
      this.addWeight('count', [], 'float32', tf.initializers.zeros(), undefined, false);
    }
    this.built = true;
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const mean = this.mean ? this.mean.read() : tf.tensor(this.givenMean as number | number[]);
      const variance = this.variance ? this.variance.read() : tf.tensor(this.givenVariance as number | number[]);
      return tf.div(tf.sub(x, mean), tf.maximum(tf.sqrt(variance), EPSILON));
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      axis: this.axis,
      mean: this.givenMean ?? null,
      variance: this.givenVariance ?? null,
    };
  }
}

tf.serialization.registerClass(KerasNormalization);
