/**
 * Does class k's reversed trigger move the images of every other class, or only of a few (issue 18)?
 * A backdoor is planted to work from any source class, so its reversed trigger should move images of
 * all of them alike. A natural small trigger works through features k shares with some classes: on
 * GTSRB every clean model UMA flagged was flagged at a frequent speed-limit or priority class
 * (bench/README.md, "The working-class baseline on corpora it was not built on"), whose natural
 * trigger would move the other speed limits most. This measures that spread.
 *
 * Per model, for the classes its cached default UMA scan ranks highest by anomaly index (and the
 * planted target): the scan's own trigger, rebuilt with the scan's seeds (ablation of k, then inversion
 * against M'_k; its mask L1 is checked against the cached scan's), and its ASR on each other class's
 * scan samples, under M'_k and under M. Nothing here changes a scan; it is the evidence a spread rule
 * would be chosen on (tune halves) and tested on (report halves).
 *
 * Run: node bin/run-ts.mjs bench/source-spread.ts CORPUS [--half tune|report] [--only ID]... [--out FILE]
 * Writes bench/results/source-spread/CORPUS-NAME.json (resumable) and prints one line per model.
 */
import type * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../src/main/engine/random.ts';
import type { ScanContext } from '../src/main/engine/scan/context.ts';
import { ablateClass } from '../src/main/engine/scan/uma/ablate.ts';
import { invertTrigger, triggerAsr } from '../src/main/engine/scan/uma/invert.ts';
import { cachedScan } from '../src/main/eval/bench.ts';
import type { Manifest } from '../src/main/eval/zoo/corpus.ts';
import { DEFAULT_SCAN } from './cached-scans.ts';
import { surveyArgs, surveyCorpus, type SurveyedModel } from './corpus-survey.ts';

const { args } = surveyArgs('source-spread');

// The default scan `uma bench` caches beside each model: these scripts read it and rebuild its samples.
const { params: PARAMS, seed: SEED } = DEFAULT_SCAN;
/** How many of the scan's highest-ranked classes are measured. */
const TOP = 3;

export interface SpreadClass {
  k: number;
  /** From the cached scan: k's anomaly index, whether it was flagged, and its trigger's mask L1. */
  anomalyIndex: number | null;
  flagged: boolean | null;
  scanMaskL1: number;
  /** The rebuilt trigger: mask L1 and ASR over the inversion's last window (as the scan records). */
  maskL1: number;
  asr: number;
  /** Per source class j (index j; null at k): the trigger's ASR on j's scan samples under M'_k and M. */
  sourceAsrAblated: (number | null)[];
  sourceAsrModel: (number | null)[];
}

export interface SpreadModel extends SurveyedModel {
  scan: { score: number; flagged: number | null };
  classes: SpreadClass[];
}

async function perSource(
  predict: (x: tf.Tensor4D) => tf.Tensor2D,
  ctx: ScanContext,
  k: number,
  trigger: Parameters<typeof triggerAsr>[3],
): Promise<(number | null)[]> {
  const out: (number | null)[] = [];
  for (let j = 0; j < ctx.numClasses; j++)
    out.push(
      j === k || ctx.byClass[j].length === 0 ? null : await triggerAsr(predict, ctx, k, trigger, ctx.byClass[j]),
    );
  return out;
}

async function measure(ctx: ScanContext, m: Manifest, dir: string): Promise<Omit<SpreadModel, keyof SurveyedModel>> {
  const cached = cachedScan(dir, 'uma', PARAMS, SEED);
  if (!cached) throw new Error(`${m.id}: no cached default UMA scan in ${dir}; run uma bench first`);
  const ranked = [...cached.classes]
    .sort((a, b) => (b.anomalyIndex ?? -Infinity) - (a.anomalyIndex ?? -Infinity))
    .slice(0, TOP);
  const target = m.attack?.target;
  if (target !== undefined && !ranked.some((c) => c.index === target)) ranked.push(cached.classes[target]);
  const noop = () => undefined;
  const classes: SpreadClass[] = [];
  for (const c of ranked) {
    const k = c.index;
    const ablated = await ablateClass(ctx, k, PARAMS, deriveSeed(SEED, 'ablate', k), noop);
    try {
      const predictAblated = (x: tf.Tensor4D) => ablated.model.predict(x);
      const t = await invertTrigger(predictAblated, ctx, k, PARAMS, deriveSeed(SEED, 'invert', k), noop);
      classes.push({
        k,
        anomalyIndex: c.anomalyIndex,
        flagged: c.flagged,
        scanMaskL1: c.maskL1,
        maskL1: t.maskL1,
        asr: t.asr,
        sourceAsrAblated: await perSource(predictAblated, ctx, k, t),
        sourceAsrModel: await perSource((x) => ctx.model.predict(x), ctx, k, t),
      });
    } finally {
      ablated.model.dispose();
    }
  }
  return { scan: { score: cached.score, flagged: cached.verdict === 'clean' ? null : cached.target }, classes };
}

/** Share of the source classes whose images the trigger moves at least half of the time. */
export function coverage(asr: readonly (number | null)[], at = 0.5): number {
  const v = asr.filter((a): a is number => a !== null);
  return v.filter((a) => a >= at).length / v.length;
}

const f = (v: number) => v.toFixed(2);
await surveyCorpus<SpreadModel>(
  { script: 'source-spread', args, params: PARAMS, seed: SEED, header: { params: { maxPerClass: 100 }, top: TOP } },
  measure,
  (row) =>
    `${row.id} (score ${f(row.scan.score)}, flagged ${row.scan.flagged ?? '-'}, target ${row.target ?? '-'}): ` +
    row.classes
      .map(
        (c) =>
          `k ${c.k} a ${c.anomalyIndex === null ? '-' : f(c.anomalyIndex)} L1 ${f(c.maskL1)}${Math.abs(c.maskL1 - c.scanMaskL1) > 1e-6 ? ` (scan ${f(c.scanMaskL1)})` : ''}` +
          ` asr ${f(c.asr)} cover M' ${f(coverage(c.sourceAsrAblated))} M ${f(coverage(c.sourceAsrModel))}`,
      )
      .join('; '),
);
