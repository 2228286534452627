/**
 * Parsing of the options `uma scan` shares with other scanning commands: the data, the input spec,
 * the method and its parameters. Bad values are UmaErrors that name the option.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UmaError } from '../../shared/errors.ts';
import {
  PARAM_INFO,
  PROFILE_NAMES,
  PROFILES,
  SCAN_METHODS,
  type CalibrationRule,
  type ProfileName,
  type ScanMethod,
  type ScanParams,
} from '../../shared/scan-params.ts';

export const RESOURCES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../resources');
export const DEMO_MODEL = join(RESOURCES, 'demo-model', 'model.json');
export const DEMO_DISPLAY_NAME = 'demo-model (bundled, BadNets-trojaned MNIST CNN)';

/** `demo` names the bundled trojaned demo model. */
export function resolveModelPath(arg: string): string {
  if (arg === 'demo') {
    if (!existsSync(DEMO_MODEL)) throw new UmaError('NOT_FOUND', `the bundled demo model is missing (${DEMO_MODEL})`);
    return DEMO_MODEL;
  }
  return arg;
}

export function parseNumberList(name: string, v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (parts.some((n) => !Number.isFinite(n)))
    throw new UmaError('BAD_INPUT', `--${name} must be comma-separated numbers, not '${v}'`);
  return parts;
}

export function parseInteger(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UmaError('BAD_INPUT', `--${name} must be an integer >= ${min}, not '${v}'`);
  return n;
}

export function parseMethod(v: string | undefined): ScanMethod {
  const m = v ?? 'uma';
  if (!(SCAN_METHODS as readonly string[]).includes(m))
    throw new UmaError('BAD_INPUT', `--method must be one of ${SCAN_METHODS.join(', ')}, not '${m}'`);
  return m as ScanMethod;
}

/** `--param name=value` (repeatable) over the parameter table; `--param name=` sets a nullable one to empty. */
export function parseParams(pairs: string[] = []): Partial<ScanParams> {
  const out: Record<string, number | null> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : pair;
    if (!(key in PARAM_INFO))
      throw new UmaError('BAD_INPUT', `--param: unknown parameter '${key}' (see 'uma help scan' for the list)`);
    const raw = eq > 0 ? pair.slice(eq + 1) : '';
    const value = raw === '' ? null : Number(raw);
    if (value !== null && !Number.isFinite(value))
      throw new UmaError('BAD_INPUT', `--param ${key}: '${raw}' is not a number`);
    out[key] = value;
  }
  return out;
}

/** `--profile NAME`: the named parameter set (default: resolveParams' default, DEFAULT_PROFILE_NAME). */
export function parseProfile(v: string | undefined): Partial<ScanParams> {
  if (v === undefined) return {};
  if (!(PROFILE_NAMES as string[]).includes(v))
    throw new UmaError('BAD_INPUT', `--profile must be one of ${PROFILE_NAMES.join(', ')}, not '${v}'`);
  return { ...PROFILES[v as ProfileName] };
}

/** The parseArgs options every scanning command shares (uma scan, uma batch). */
export const SCAN_OPTIONS = {
  data: { type: 'string' },
  method: { type: 'string' },
  seed: { type: 'string' },
  workers: { type: 'string' },
  'max-per-class': { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  classes: { type: 'string' },
  labels: { type: 'string' },
  profile: { type: 'string' },
  param: { type: 'string', multiple: true },
  calibrate: { type: 'string' },
  'calibration-margin': { type: 'string' },
  'per-class': { type: 'boolean' },
} as const;

export interface ScanSettings {
  method: ScanMethod;
  seed: number;
  workers: number | undefined;
  params: Partial<ScanParams>;
  /** The analyst's input-spec overrides, or undefined when none was given. */
  inputSpec: { mean?: number[]; std?: number[]; classNames?: string[] } | undefined;
  /** --calibrate: the threshold from these clean scans of the case database (scans/start's calibration). */
  calibration: { cleanScanIds: number[]; rule: CalibrationRule; margin?: number } | undefined;
}

/**
 * --calibrate ID,ID..., --calibration-margin M and --per-class; the service checks the rest (completed,
 * same task).
 */
function parseCalibration(
  ids: string | undefined,
  margin: string | undefined,
  perClass: boolean | undefined,
): ScanSettings['calibration'] {
  if (ids === undefined) {
    if (margin !== undefined) throw new UmaError('BAD_INPUT', '--calibration-margin needs --calibrate SCAN_ID,...');
    if (perClass) throw new UmaError('BAD_INPUT', '--per-class needs --calibrate SCAN_ID,...');
    return undefined;
  }
  const cleanScanIds = ids.split(',').map((v) => parseInteger('calibrate', v.trim(), 1) as number);
  const m = margin === undefined ? undefined : Number(margin);
  if (m !== undefined && !(Number.isFinite(m) && m >= 0))
    throw new UmaError('BAD_INPUT', `--calibration-margin must be a number >= 0, not '${margin}'`);
  return { cleanScanIds, rule: perClass ? 'class' : 'task', margin: m };
}

/** The values of SCAN_OPTIONS, checked: each bad one is a BAD_INPUT naming its option. */
export function parseScanSettings(values: {
  method?: string;
  seed?: string;
  workers?: string;
  'max-per-class'?: string;
  mean?: string;
  std?: string;
  classes?: string;
  profile?: string;
  param?: string[];
  calibrate?: string;
  'calibration-margin'?: string;
  'per-class'?: boolean;
}): ScanSettings {
  const params = { ...parseProfile(values.profile), ...parseParams(values.param) };
  const maxPerClass = parseInteger('max-per-class', values['max-per-class'], 2);
  if (maxPerClass !== undefined) params.maxPerClass = maxPerClass;
  const classNames = values.classes?.split(',').map((s) => s.trim());
  const mean = parseNumberList('mean', values.mean);
  const std = parseNumberList('std', values.std);
  if (std?.some((s) => s <= 0)) throw new UmaError('BAD_INPUT', `--std values must be positive, not '${values.std}'`);
  return {
    method: parseMethod(values.method),
    seed: parseInteger('seed', values.seed, 0) ?? 1,
    workers: parseInteger('workers', values.workers, 0),
    params,
    inputSpec: mean || std || classNames ? { mean, std, classNames } : undefined,
    calibration: parseCalibration(values.calibrate, values['calibration-margin'], values['per-class']),
  };
}
