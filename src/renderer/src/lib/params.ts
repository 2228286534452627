/**
 * The new-scan form's parameter model: every parameter as an editable string that starts at its
 * default; only values that differ from the default are sent as overrides, so the stored parameters
 * say plainly what the analyst changed.
 */
import {
  DEFAULT_PROFILE,
  methodGroups,
  PARAM_INFO,
  paramProblem,
  SCAN_METHODS,
  type ParamInfo,
  type ScanMethod,
  type ScanParams,
} from '../../../shared/scan-params.ts';

export type ParamKey = keyof ScanParams;
export type ParamValues = Record<ParamKey, string>;

export const GROUP_LABELS: Record<ParamInfo['group'], string> = {
  samples: 'Clean samples',
  ablation: 'Ablation (unlearning)',
  inversion: 'Dynamic trigger inversion',
  reference: 'Reference model',
  scoring: 'Scoring',
  nc: 'Neural Cleanse',
};

/** The groups a method uses (from its stages); the others are shown collapsed and marked unused. */
export const METHOD_GROUPS = Object.fromEntries(SCAN_METHODS.map((m) => [m, methodGroups(m)])) as Record<
  ScanMethod,
  ParamInfo['group'][]
>;

export const PARAM_KEYS = Object.keys(PARAM_INFO) as ParamKey[];

/** The few parameters an analyst sets per case (how much data, how long, how strict); the rest sit under Advanced. */
export const BASIC_KEYS: readonly ParamKey[] = [
  'maxPerClass',
  'inversionSteps',
  'referenceEpochs',
  'anomalyThreshold',
  'transferThreshold',
  'stampedExamples',
];

/** A parameter's name in words ('ablationMaxEpochs' -> 'Ablation max epochs'); the exact name stays beside it. */
export function paramLabel(k: ParamKey): string {
  const words = k
    .replace(/([A-Z0-9]+)/g, ' $1')
    .toLowerCase()
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
export const NULLABLE: ReadonlySet<ParamKey> = new Set(PARAM_KEYS.filter((k) => PARAM_INFO[k].nullable));

export function paramsByGroup(): [ParamInfo['group'], ParamKey[]][] {
  return (Object.keys(GROUP_LABELS) as ParamInfo['group'][]).map((g) => [
    g,
    PARAM_KEYS.filter((k) => PARAM_INFO[k].group === g),
  ]);
}

const show = (v: number | null): string => (v === null ? '' : String(v));

/** A parameter's default as its field shows it ('' for an empty default). */
export const defaultField = (k: ParamKey): string => show(DEFAULT_PROFILE[k]);

export function defaultValues(preset: Partial<ScanParams> = {}): ParamValues {
  return Object.fromEntries(
    PARAM_KEYS.map((k) => [k, show(k in preset ? (preset[k] as number | null) : DEFAULT_PROFILE[k])]),
  ) as ParamValues;
}

/** A field's problem, or null: the parameter's bounds (the service's schema checks the same ones). */
export function paramError(key: ParamKey, raw: string): string | null {
  const t = raw.trim();
  if (t === '') return NULLABLE.has(key) ? null : 'required';
  return Number.isFinite(Number(t)) ? paramProblem(key, Number(t)) : 'not a number';
}

/** The values that differ from the defaults, as scans/start's overrides. */
export function paramOverrides(values: ParamValues): Partial<Record<ParamKey, number | null>> {
  const out: Partial<Record<ParamKey, number | null>> = {};
  for (const k of PARAM_KEYS) {
    const t = values[k].trim();
    const v = t === '' ? null : Number(t);
    if (v !== DEFAULT_PROFILE[k]) out[k] = v;
  }
  return out;
}
