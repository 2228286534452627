/**
 * The model's own class prior, as far as a scan can see it (issue 18). Every clean GTSRB model UMA has
 * flagged was flagged at one of the data set's most frequent classes (bench/README.md, "The
 * working-class baseline on corpora it was not built on"): a class the model learned to predict more
 * often is a natural target for a small patch. A scan gets the same number of clean images of every
 * class, so the training prior shows only through M itself: the share of M's errors on those images
 * that land on k, and k's mean softmax probability on images of the other classes. This measures both
 * for every class and ranks, where the model's default UMA scan is cached beside it, the class the scan
 * flagged and the planted target by them. Nothing here changes a scan; it is the evidence a rule that
 * discounts such classes would be chosen on.
 *
 * Run: node bin/run-ts.mjs bench/class-prior.ts CORPUS [--half tune|report] [--only ID]... [--out FILE]
 * Writes bench/results/class-prior/CORPUS-NAME.json (resumable) and prints one line per model.
 */
import * as tf from '@tensorflow/tfjs';
import { takeData } from '../src/main/engine/backend/read.ts';
import type { ScanContext } from '../src/main/engine/scan/context.ts';
import { cachedScan } from '../src/main/eval/bench.ts';
import type { Manifest } from '../src/main/eval/zoo/corpus.ts';
import { DEFAULT_SCAN } from './cached-scans.ts';
import { surveyArgs, surveyCorpus, type SurveyedModel } from './corpus-survey.ts';

const { args } = surveyArgs('class-prior');

// The default scan `uma bench` caches beside each model: these scripts read it and rebuild its samples.
const { params: PARAMS, seed: SEED } = DEFAULT_SCAN;

export interface PriorClass {
  k: number;
  /** Of M's wrong predictions on the clean samples, the share that went to k. */
  errorShare: number;
  /** k's mean softmax probability under M on the samples of every other class. */
  meanProbability: number;
}

export interface PriorModel extends SurveyedModel {
  accuracy: number;
  classes: PriorClass[];
  /** From the cached default UMA scan, when there is one: its score and the class it flagged (null: passed). */
  scan: { score: number; flagged: number | null } | null;
  /** 1-based ranks by mean probability (highest first) of the flagged class and the planted target. */
  flaggedRank: number | null;
  targetRank: number | null;
}

async function measure(ctx: ScanContext, m: Manifest, dir: string): Promise<Omit<PriorModel, keyof SurveyedModel>> {
  const N = ctx.numClasses;
  const probs = await takeData(tf.tidy(() => tf.softmax(ctx.logits)));
  const wrong = new Array<number>(N).fill(0);
  const probSum = new Array<number>(N).fill(0);
  const others = new Array<number>(N).fill(0);
  let errors = 0;
  for (let i = 0; i < ctx.data.count; i++) {
    const row = probs.subarray(i * N, (i + 1) * N);
    const predicted = row.indexOf(Math.max(...row));
    if (predicted !== ctx.labels[i]) {
      wrong[predicted]++;
      errors++;
    }
    for (let k = 0; k < N; k++)
      if (k !== ctx.labels[i]) {
        probSum[k] += row[k];
        others[k]++;
      }
  }
  const classes = wrong.map((w, k) => ({
    k,
    errorShare: errors ? w / errors : 0,
    meanProbability: others[k] ? probSum[k] / others[k] : 0,
  }));
  const order = [...classes].sort((a, b) => b.meanProbability - a.meanProbability).map((c) => c.k);
  const rank = (k: number | null | undefined) => (k === null || k === undefined ? null : order.indexOf(k) + 1);
  const cached = cachedScan(dir, 'uma', PARAMS, SEED);
  const scan = cached && { score: cached.score, flagged: cached.verdict === 'clean' ? null : cached.target };
  return {
    accuracy: 1 - errors / ctx.data.count,
    classes,
    scan,
    flaggedRank: rank(scan?.flagged),
    targetRank: rank(m.attack?.target),
  };
}

const f = (v: number) => v.toFixed(3);
await surveyCorpus<PriorModel>(
  { script: 'class-prior', args, params: PARAMS, seed: SEED, header: { params: { maxPerClass: 100 } } },
  measure,
  (row) => {
    const top = [...row.classes].sort((a, b) => b.meanProbability - a.meanProbability).slice(0, 5);
    return (
      `${row.id} (acc ${f(row.accuracy)}): top classes ${top.map((c) => `${c.k} p ${f(c.meanProbability)} err ${f(c.errorShare)}`).join(', ')}` +
      `; flagged ${row.scan?.flagged ?? '-'} rank ${row.flaggedRank ?? '-'} (score ${row.scan ? row.scan.score.toFixed(2) : 'no scan'})` +
      `; target ${row.target ?? '-'} rank ${row.targetRank ?? '-'}`
    );
  },
);
