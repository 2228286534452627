/**
 * PyTorch's default initialisers, seeded: Conv and Linear weights and biases U(-1/sqrt(fan_in),
 * 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5) reduces to that bound), norm scales 1 and shifts 0,
 * BatchNorm running mean 0 and variance 1. Learned embeddings (position, class token) get N(0, 0.02^2),
 * the usual ViT choice, since PyTorch has no default for a bare nn.Parameter.
 */
import { seededRand, torchDefault, type Rand } from '../init.ts';
import type { LayerSpec, ParamSpec } from './weights.ts';

function normal(rand: Rand): number {
  // Box-Muller; 1 - u keeps the log argument in (0, 1].
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function fresh(spec: ParamSpec, rand: Rand): Float32Array {
  const n = spec.dims.reduce((a, b) => a * b, 1);
  if (spec.init === 'uniform') return torchDefault(n, spec.fanIn, rand);
  const out = new Float32Array(n);
  switch (spec.init) {
    case 'ones':
      out.fill(1);
      break;
    case 'zeros':
      break;
    case 'normal':
      for (let i = 0; i < n; i++) out[i] = 0.02 * normal(rand);
      break;
  }
  return out;
}

/** Fresh ONNX-ordered values for every parameter, drawn in layer order so a seed fixes them all. */
export function freshWeights(layers: LayerSpec[], seed: number): Map<string, Float32Array> {
  const rand = seededRand(seed);
  const out = new Map<string, Float32Array>();
  for (const layer of layers) for (const p of layer.params) out.set(p.name, fresh(p, rand));
  return out;
}
