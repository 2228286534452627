/**
 * Scan parameters: the default profile overridden by the analyst's choices, validated, and hashed so a
 * report can prove which constants a verdict came from.
 */
import { UmaError } from '../../../shared/errors.ts';
import { canonicalJson, sha256Hex } from '../digest.ts';
import { DEFAULT_PROFILE, PARAM_INFO, type ScanParams } from '../../../shared/scan-params.ts';

export function resolveParams(overrides: Partial<ScanParams> = {}): ScanParams {
  const params = { ...DEFAULT_PROFILE };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in PARAM_INFO)) throw new UmaError('BAD_INPUT', `unknown scan parameter '${key}'`);
    if (value === undefined) continue;
    const nullable = DEFAULT_PROFILE[key as keyof ScanParams] === null;
    if (value === null ? !nullable : typeof value !== 'number' || !Number.isFinite(value)) {
      throw new UmaError('BAD_INPUT', `scan parameter '${key}' must be a finite number${nullable ? ' or empty' : ''}, not ${JSON.stringify(value)}`);
    }
    (params as Record<string, unknown>)[key] = value;
  }
  // Integer counts and their least allowed value.
  const least: Partial<Record<keyof ScanParams, number>> = {
    inversionSteps: 1, inversionBatch: 1, ablationBatchOther: 1, ablationBatchTarget: 1, lambdaWindow: 1, ncSteps: 1, ncBatch: 1, referenceBatch: 1, referenceMinSteps: 0,
    ablationPlateauSteps: 0, transferMaxSamples: 0,
  };
  for (const [key, min] of Object.entries(least) as [keyof ScanParams, number][]) {
    const v = params[key] as number;
    if (!(Number.isInteger(v) && v >= min)) throw new UmaError('BAD_INPUT', `scan parameter '${key}' must be a ${min > 0 ? 'positive' : 'non-negative'} integer, not ${v}`);
  }
  if (!(params.freezeRatio >= 0 && params.freezeRatio < 1)) throw new UmaError('BAD_INPUT', `freezeRatio must be in [0, 1), not ${params.freezeRatio}`);
  for (const key of ['ablationStopAcc', 'ablationPlateauTol'] as const) {
    const v = params[key];
    if (!(v >= 0 && v < 1)) throw new UmaError('BAD_INPUT', `${key} must be in [0, 1), not ${v}`);
  }
  const epochs = params.ablationMaxEpochs;
  if (!(epochs > 0)) throw new UmaError('BAD_INPUT', `ablationMaxEpochs must be positive, not ${epochs}`);
  if (params.maxPerClass !== null && !(Number.isInteger(params.maxPerClass) && params.maxPerClass >= 2)) {
    throw new UmaError('BAD_INPUT', `maxPerClass must be an integer >= 2, not ${params.maxPerClass}`);
  }
  return params;
}

export function paramsSha256(params: ScanParams, method: string, seed: number): string {
  return sha256Hex(canonicalJson({ method, seed, params }));
}
