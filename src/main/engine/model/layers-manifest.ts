/**
 * The model.json of a TF.js Layers model, validated before any of it is used: a damaged or hostile
 * manifest (null paths, a weight without a shape, duplicate names, quantized weights, shard paths
 * out of the model's folder) is a named error here instead of a TypeError deep inside tfjs.
 */
import { z } from 'zod';
import { UmaError } from '../../../shared/errors.ts';

/** Elements one weight tensor may have (1 GiB of float32); more is a damaged shape, not a model. */
const MAX_WEIGHT_ELEMENTS = 2 ** 28;

const WeightSpec = z.looseObject({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.string(),
  quantization: z.unknown().optional(),
});

const WeightGroup = z.looseObject({
  // A shard path names a file beside model.json: relative, and never climbing out (checked when read).
  paths: z.array(z.string().min(1)),
  weights: z.array(WeightSpec),
});

const LayerJson = z.looseObject({
  class_name: z.string(),
  config: z.looseObject({ name: z.string().min(1), activation: z.unknown().optional() }),
});

const Topology = z.looseObject({
  class_name: z.string().optional(),
  config: z.looseObject({ layers: z.array(LayerJson).optional() }).optional(),
  layers: z.array(LayerJson).optional(),
});

const ModelJsonSchema = z.looseObject({
  modelTopology: Topology,
  weightsManifest: z.array(WeightGroup),
  format: z.string().optional(),
  generatedBy: z.string().optional(),
  convertedBy: z.string().nullish(),
  userDefinedMetadata: z.record(z.string(), z.unknown()).optional(),
});

export type ModelJson = z.infer<typeof ModelJsonSchema>;
export type LayerJson = z.infer<typeof LayerJson>;
export type WeightSpec = z.infer<typeof WeightSpec>;

/** The top-level layers in order (a Sequential's or a functional model's). */
export function topologyLayers(json: ModelJson): LayerJson[] {
  return json.modelTopology.config?.layers ?? json.modelTopology.layers ?? [];
}

function duplicates(names: string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(names.filter((n) => seen.has(n) || !seen.add(n)))];
}

/**
 * Validates parsed model.json contents; `where` names the file in errors. Quantized weights are
 * refused (the importer does not dequantize; reconvert without --quantize_*), as are duplicate layer
 * or weight names (tfjs would bind one weight to two variables, or silently drop one).
 */
export function parseModelJson(raw: unknown, where: string): ModelJson {
  const parsed = ModelJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.length ? issue.path.join('.') : '(top level)';
    const why = `${at}: ${issue.message}`;
    throw new UmaError('BAD_MODEL', `${where}: not a valid TF.js Layers model.json: ${why}`, {
      path: issue.path.map(String),
    });
  }
  const json = parsed.data;
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const quantized = specs.filter((s) => s.quantization !== undefined);
  if (quantized.length > 0) {
    throw new UmaError(
      'UNSUPPORTED_MODEL',
      `${where}: ${quantized.length} weight(s) are quantized (${quantized[0].name}, ...); ` +
        'UMA reads float32 weights only: reconvert with tensorflowjs_converter without --quantize_* options',
    );
  }
  const wrongType = specs.find((s) => s.dtype !== 'float32');
  if (wrongType) {
    throw new UmaError(
      'UNSUPPORTED_MODEL',
      `${where}: weight ${wrongType.name} has dtype '${wrongType.dtype}'; UMA reads float32 weights only`,
    );
  }
  const big = specs.find((s) => s.shape.reduce((a, b) => a * b, 1) > MAX_WEIGHT_ELEMENTS);
  if (big)
    throw new UmaError('BAD_MODEL', `${where}: weight ${big.name} has an implausible shape [${big.shape.join(', ')}]`);
  const dupWeights = duplicates(specs.map((s) => s.name));
  if (dupWeights.length) throw new UmaError('BAD_MODEL', `${where}: duplicate weight name(s) ${dupWeights.join(', ')}`);
  const dupLayers = duplicates(topologyLayers(json).map((l) => l.config.name));
  if (dupLayers.length) throw new UmaError('BAD_MODEL', `${where}: duplicate layer name(s) ${dupLayers.join(', ')}`);
  return json;
}

/** Bytes of float32 weight data the manifest describes. */
export function manifestBytes(json: ModelJson): number {
  return json.weightsManifest.flatMap((g) => g.weights).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
}
