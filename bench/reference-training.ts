/**
 * How well the clean reference model learns (docs/algorithm.md, step 4) under training variants, on
 * every model of a corpus: the scan's own `trainReference` on the scan's samples, its accuracy on them,
 * steps and seconds. Below referenceMinAccuracy the transfer test does not count, so this is what decides
 * whether a corpus gets the filter at all. The model's BatchNormalization count is recorded beside: a
 * graph exported with BatchNorm folded into its convolutions re-initialises without it.
 *
 * Run: node bin/run-ts.mjs bench/reference-training.ts CORPUS [--half tune|report] [--only ID]...
 *        [--variant NAME=VALUE,...]... [--out FILE]
 * Each --variant overrides scan parameters of the default profile (none: the default itself). Writes
 * bench/results/reference-training/CORPUS-NAME.json (or --out).
 */
import { parseParams } from '../src/main/cli/scan-options.ts';
import { deriveSeed } from '../src/main/engine/random.ts';
import type { ScanContext } from '../src/main/engine/scan/context.ts';
import { trainReference } from '../src/main/engine/scan/uma/reference.ts';
import { resolveParams, type ScanParams } from '../src/shared/scan-params.ts';
import { surveyArgs, surveyCorpus, type SurveyedModel } from './corpus-survey.ts';

const { args, values } = surveyArgs(
  'reference-training',
  { variant: { type: 'string', multiple: true, default: [] } },
  ' [--variant NAME=VALUE,...]...',
);

const SEED = 1;
// The default profile on 100 samples per class, as `uma bench` scans.
const PARAMS: ScanParams = resolveParams({ maxPerClass: 100 });
const given = values.variant as string[];
const VARIANTS: { name: string; params: ScanParams }[] = (given.length > 0 ? given : ['']).map((v) => ({
  name: v || 'default',
  // Parsed and checked as `uma scan --param` is.
  params: resolveParams({ ...PARAMS, ...parseParams(v.split(',').filter(Boolean)) }),
}));

interface ReferenceRun {
  variant: string;
  accuracy: number;
  steps: number;
  seconds: number;
}

interface ReferenceModelRow extends SurveyedModel {
  batchNorms: number;
  runs: ReferenceRun[];
}

async function measure(ctx: ScanContext): Promise<Pick<ReferenceModelRow, 'batchNorms' | 'runs'>> {
  const runs: ReferenceRun[] = [];
  for (const v of VARIANTS) {
    const start = performance.now();
    const ref = await trainReference(ctx, v.params, deriveSeed(SEED, 'reference'), () => undefined);
    ref.model.dispose();
    runs.push({
      variant: v.name,
      accuracy: ref.accuracy,
      steps: ref.steps,
      seconds: (performance.now() - start) / 1000,
    });
  }
  return { batchNorms: ctx.model.report.opHistogram.BatchNormalization ?? 0, runs };
}

await surveyCorpus<ReferenceModelRow>(
  {
    script: 'reference-training',
    args,
    params: PARAMS,
    seed: SEED,
    header: { params: PARAMS, variants: VARIANTS.map((v) => v.name) },
  },
  measure,
  (row) =>
    `${row.id} (${row.batchNorms} BatchNorm): ` +
    row.runs
      .map((r) => `${r.variant} ${r.accuracy.toFixed(3)} (${r.steps} steps, ${r.seconds.toFixed(0)} s)`)
      .join('; '),
);
