import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { raisedClasses } from '../../../shared/calibration-record.ts';
import { UmaError } from '../../../shared/errors.ts';
import type { ScanResult } from '../../../shared/results.ts';
import {
  CALIBRATION_MARGIN,
  calibrationMargin,
  calibrationScoring,
  CLASS_CALIBRATION_MARGIN,
  DEFAULT_PROFILE_NAME,
  resolveParams,
  SCAN_METHODS,
} from '../../../shared/scan-params.ts';
import { calibrateThreshold } from '../../engine/scan/calibration.ts';
import { synchronousRun, type Command } from '../command.ts';
import { parseParams, parseProfile } from '../scan-options.ts';

/** A result document ('uma scan --json'), checked for what re-scoring reads; the file is named on failure. */
function readResult(file: string): ScanResult {
  if (!fs.existsSync(file)) throw new UmaError('NOT_FOUND', `${file} does not exist`);
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UmaError('BAD_INPUT', `${file} is not JSON (${(err as Error).message})`);
  }
  const r = doc as Partial<ScanResult> | null;
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  const measured = (c: unknown) => {
    const k = c as Record<string, unknown> | null;
    return k !== null && typeof k === 'object' && finite(k.asr) && finite(k.maskL1);
  };
  if (
    r === null ||
    typeof r !== 'object' ||
    !(SCAN_METHODS as readonly unknown[]).includes(r.method) ||
    typeof r.params !== 'object' ||
    r.params === null ||
    !Array.isArray(r.classes) ||
    r.classes.length < 2 ||
    !r.classes.every(measured)
  )
    throw new UmaError(
      'BAD_INPUT',
      `${file} is not a scan result document ('uma scan --json'): it needs a method, params and per-class ASR and mask sizes`,
    );
  return r as ScanResult;
}

export const calibrate: Command = {
  name: 'calibrate',
  summary: "set the anomaly threshold from scans of known-clean models of the suspect's task",
  usage: `uma calibrate CLEAN.json... [--profile P] [--param NAME=VALUE]... [--margin M] [--per-class]

CLEAN   result documents ('uma scan MODEL --data DATA --json CLEAN.json') of models known to be clean,
        trained for the same task as the suspect models (same data, classes and input), ideally of the
        same kind (an MLP's natural patches are not a CNN's)

Re-scores each clean scan under the profile's scoring constants (nothing is rescanned) and prints
its model score and the calibrated anomaly threshold
  T = max(the profile's threshold, M x the largest clean score)        (M default ${CALIBRATION_MARGIN})
to scan suspect models with: uma scan MODEL --data DATA --profile P --param anomalyThreshold=T.
Use it where clean models score above the profile's threshold: on tasks where most classes have no
trigger after the ablation (many classes, small models) the paper's index has no baseline
(docs/algorithm.md, step 5). Scans with the survival test are refused (no threshold changes its flags).

With --per-class, a threshold per class instead (indices against the working classes, anomalyBaselineWorking 1):
  T_k = max(the profile's threshold, M x the largest index class k reached in a clean scan where its
        trigger did not transfer)                                         (M default ${CLASS_CALIBRATION_MARGIN})
for tasks whose clean models' natural triggers sit at the frequent classes (GTSRB's CNNs). The cost: a
trojan aimed at a raised class must clear its raised threshold (on GTSRB CNNs 3 of 10 such trojans were
missed or flagged at another class, none with one threshold per task at margin 1; docs/algorithm.md,
step 5). It prints the classes whose threshold is above the profile's; a scan uses them through a case
database, where the clean scans are recorded: uma scan MODEL --case C --calibrate CLEAN_SCAN_IDS --per-class.

  --profile P         the profile the suspect scans will use (default ${DEFAULT_PROFILE_NAME})
  --param NAME=VALUE  a scoring constant the suspect scans will use (repeatable)
  --margin M          the margin over the largest clean score
  --per-class         a threshold per class`,
  run: synchronousRun((argv, io) => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        profile: { type: 'string' },
        param: { type: 'string', multiple: true },
        margin: { type: 'string' },
        'per-class': { type: 'boolean' },
      },
      strict: true,
    });
    if (positionals.length === 0)
      throw new UmaError('BAD_INPUT', 'give one or more clean scan results (uma help calibrate)');
    const rule = values['per-class'] ? 'class' : 'task';
    const margin = values.margin === undefined ? calibrationMargin(rule) : Number(values.margin);
    const profile = resolveParams({ ...parseProfile(values.profile), ...parseParams(values.param) });
    const params = calibrationScoring(profile, rule);
    const results = positionals.map(readResult);
    const c = calibrateThreshold(results, positionals, params, margin, rule);
    const threshold = c.threshold.toFixed(2);
    const width = Math.max(...positionals.map((f) => f.length));
    // The model each score came from, by digest: what the case notes should record beside the threshold.
    const model = (r: ScanResult) => (r.model?.sha256 ? `  model ${r.model.name} sha256 ${r.model.sha256}` : '');
    positionals.forEach((f, i) => io.out(`${f.padEnd(width)}  score ${c.scores[i].toFixed(2)}${model(results[i])}`));
    if (results.length === 1) io.err('uma calibrate: one clean scan: the threshold rests on a single model');
    if (c.classThresholds) {
      const raised = raisedClasses({ base: params.anomalyThreshold, classThresholds: c.classThresholds });
      raised.forEach(({ index, threshold }) => io.out(`class ${index}  threshold ${threshold.toFixed(2)}`));
      io.out(
        `per class: ${raised.length} of ${c.classThresholds.length} classes above ${params.anomalyThreshold} = max(${params.anomalyThreshold}, ${margin} x the class's largest clean index); the rest ${params.anomalyThreshold}`,
      );
      io.out(
        `scan suspect models in the case holding these clean scans with: --profile ${values.profile ?? DEFAULT_PROFILE_NAME} --calibrate CLEAN_SCAN_IDS --per-class --calibration-margin ${margin}`,
      );
      return 0;
    }
    io.out(`threshold ${threshold} = max(${params.anomalyThreshold}, ${margin} x ${Math.max(...c.scores).toFixed(2)})`);
    io.out(
      `scan suspect models with: --profile ${values.profile ?? DEFAULT_PROFILE_NAME} --param anomalyThreshold=${threshold}`,
    );
    return 0;
  }),
};
