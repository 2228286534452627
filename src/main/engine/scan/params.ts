/**
 * Scan parameters: the authors' profile overridden by the analyst's choices, validated, and hashed so a
 * report can prove which constants a verdict came from.
 */
import { createHash } from 'node:crypto';
import { UmaError } from '../../../shared/errors.ts';
import { AUTHORS_PROFILE, PARAM_INFO, type ScanParams } from '../../../shared/scan-params.ts';

export function resolveParams(overrides: Partial<ScanParams> = {}): ScanParams {
  const params = { ...AUTHORS_PROFILE };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in PARAM_INFO)) throw new UmaError('BAD_INPUT', `unknown scan parameter '${key}'`);
    if (value === undefined) continue;
    const nullable = AUTHORS_PROFILE[key as keyof ScanParams] === null;
    if (value === null ? !nullable : typeof value !== 'number' || !Number.isFinite(value)) {
      throw new UmaError('BAD_INPUT', `scan parameter '${key}' must be a finite number${nullable ? ' or empty' : ''}, not ${JSON.stringify(value)}`);
    }
    (params as Record<string, unknown>)[key] = value;
  }
  const positive: (keyof ScanParams)[] = ['inversionSteps', 'inversionBatch', 'ablationBatchOther', 'ablationBatchTarget', 'lambdaWindow', 'ncSteps', 'ncBatch', 'referenceBatch'];
  for (const key of positive) {
    const v = params[key] as number;
    if (!(Number.isInteger(v) && v > 0)) throw new UmaError('BAD_INPUT', `scan parameter '${key}' must be a positive integer, not ${v}`);
  }
  if (!(params.freezeRatio >= 0 && params.freezeRatio < 1)) throw new UmaError('BAD_INPUT', `freezeRatio must be in [0, 1), not ${params.freezeRatio}`);
  if (params.maxPerClass !== null && !(Number.isInteger(params.maxPerClass) && params.maxPerClass >= 2)) {
    throw new UmaError('BAD_INPUT', `maxPerClass must be an integer >= 2, not ${params.maxPerClass}`);
  }
  return params;
}

/** JSON with sorted keys, so equal parameter sets hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function paramsSha256(params: ScanParams, method: string, seed: number): string {
  return createHash('sha256').update(canonicalJson({ method, seed, params })).digest('hex');
}
