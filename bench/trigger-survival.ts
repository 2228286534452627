/**
 * Does class k's own small trigger survive the ablation of k? The paper's account of how UMA tells a
 * natural "universal" class from a backdoor (docs/algorithm.md, step 2): ablation removes k's inherent
 * features, so a trigger that works through them stops working, while a backdoor trigger keeps working.
 * This measures that on every model of a corpus, clean ones included, with the trigger reversed against
 * M itself (UMA's inversion without ablation: the `uma-noablation` trigger, same seed), instead of the
 * trigger reversed against M'_k that the scan measures.
 *
 * Per model and class k: the trigger T_k reversed on M (its mask L1 and ASR), then T_k's ASR on the
 * other classes' scan samples under M and under M'_k, for each ablation variant (the default, and the
 * output layer frozen, `ablationFreezeHead` 1, which keeps 13 of 20 real backdoors: bench/README.md).
 * The JSON is what the scoring candidates are computed from (bench/README.md, "Trigger survival").
 *
 * Run: node bin/run-ts.mjs bench/trigger-survival.ts CORPUS [--half tune|report] [--only ID]... [--out FILE]
 * Writes bench/results/trigger-survival/CORPUS-NAME.json (or --out).
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../src/main/engine/random.ts';
import type { ScanContext } from '../src/main/engine/scan/context.ts';
import { ablateClass } from '../src/main/engine/scan/uma/ablate.ts';
import { invertTrigger, triggerAsr } from '../src/main/engine/scan/uma/invert.ts';
import { resolveParams, type ScanParams } from '../src/shared/scan-params.ts';
import { surveyArgs, surveyCorpus, type SurveyedModel } from './corpus-survey.ts';

const { args } = surveyArgs('trigger-survival');

const SEED = 1;
// The default profile on 100 samples per class, as `uma bench` scans; the two ablations compared.
const PARAMS: ScanParams = resolveParams({ maxPerClass: 100 });
const ABLATIONS = { default: 0, 'freeze-head': 1 } as const;
type Ablation = keyof typeof ABLATIONS;

export interface SurvivalClass {
  k: number;
  /** T_k reversed against M: mean mask L1 and ASR over the inversion's last window. */
  maskL1: number;
  inversionAsr: number;
  /** T_k's ASR on the other classes' scan samples under M, and under M'_k per ablation. */
  asrModel: number;
  asrAblated: Record<Ablation, number>;
  ablatedAccTarget: Record<Ablation, number>;
}

export interface SurvivalModel extends SurveyedModel {
  classes: SurvivalClass[];
}

async function measure(ctx: ScanContext): Promise<Pick<SurvivalModel, 'classes'>> {
  const model = ctx.model;
  const classes: SurvivalClass[] = [];
  for (let k = 0; k < model.numClasses; k++) {
    const predictM = (x: tf.Tensor4D) => model.predict(x);
    const t = await invertTrigger(predictM, ctx, k, PARAMS, deriveSeed(SEED, 'invert', k), () => undefined);
    const others = ctx.others(k);
    const asrModel = await triggerAsr(predictM, ctx, k, t, others);
    const asrAblated = {} as Record<Ablation, number>;
    const ablatedAccTarget = {} as Record<Ablation, number>;
    for (const [name, freezeHead] of Object.entries(ABLATIONS) as [Ablation, number][]) {
      const p = { ...PARAMS, ablationFreezeHead: freezeHead };
      const ablated = await ablateClass(ctx, k, p, deriveSeed(SEED, 'ablate', k), () => undefined);
      try {
        asrAblated[name] = await triggerAsr((x) => ablated.model.predict(x), ctx, k, t, others);
        ablatedAccTarget[name] = ablated.accTarget;
      } finally {
        ablated.model.dispose();
      }
    }
    classes.push({ k, maskL1: t.maskL1, inversionAsr: t.asr, asrModel, asrAblated, ablatedAccTarget });
  }
  return { classes };
}

const f = (v: number) => v.toFixed(2);
await surveyCorpus<SurvivalModel>(
  {
    script: 'trigger-survival',
    args,
    params: PARAMS,
    seed: SEED,
    header: { params: PARAMS },
  },
  measure,
  (row) =>
    `${row.id} (target ${row.target ?? '-'}, ${row.seconds.toFixed(0)} s): ` +
    row.classes
      .map(
        (c) =>
          `${c.k}:${c.maskL1.toFixed(0)}px ${f(c.asrModel)}->${f(c.asrAblated.default)}/${f(c.asrAblated['freeze-head'])}`,
      )
      .join(' '),
);
