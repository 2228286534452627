/**
 * Scoring: UMA's anomaly index over r_k = 100 ASR / |mask| with the transfer filter, the survival test
 * where it ran, and Neural Cleanse's MAD outlier test over mask norms (docs/algorithm.md, step 5,
 * step 6 (survival test) and "Neural Cleanse").
 */
import type { ScanResult, SurvivalMeasure, Verdict } from '../../../shared/results.ts';
import { anomalyBaseline, METHOD_STAGES, transferCounts, type ScanParams } from '../../../shared/scan-params.ts';

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

export interface UmaClassMeasure {
  asr: number;
  maskL1: number;
  /** Null when the transfer filter is off. */
  transferAsr: number | null;
  /** Absent when the survival test did not run. */
  survival?: SurvivalMeasure;
}

export interface ClassScore {
  ratio: number | null;
  anomalyIndex: number;
  /**
   * The survival test on the anomaly index's scale, threshold x ASR on M'_k / survivalThreshold (so it
   * exceeds the threshold exactly when the trigger survives); null when it did not run or the trigger
   * fails on M itself (ASR below survivalMinAsr).
   */
  survivalScore: number | null;
  /** Its trigger does not transfer to the clean reference (t_k < transferThreshold, or the test did not count). */
  passesFilter: boolean;
  flagged: boolean;
}

export interface ModelScore {
  classes: ClassScore[];
  /**
   * Largest anomaly index among classes that pass the filter, or survival score where larger (or, when
   * no class passes and none has one, the smallest index overall).
   */
  score: number;
  /** The flagged class with the largest class score (index where it passes the filter, or survival score), or null. */
  target: number | null;
}

export interface UmaScoring {
  ratioMin: number;
  ratioMax: number;
  anomalyThreshold: number;
  transferThreshold: number;
  anomalyLogFloor: number;
  anomalyBaselineWorking: number;
  survivalThreshold: number;
  survivalMinAsr: number;
}

export function ratioOf(
  m: Pick<UmaClassMeasure, 'asr' | 'maskL1'>,
  s: Pick<UmaScoring, 'ratioMin' | 'ratioMax'>,
): number {
  const raw = (100 * m.asr) / Math.max(m.maskL1, 1e-9);
  return Math.min(s.ratioMax, Math.max(s.ratioMin, raw));
}

/** A class's score: its anomaly index where it passes the filter, its survival score where larger. */
function classScore(c: ClassScore): number {
  return Math.max(c.passesFilter ? c.anomalyIndex : -Infinity, c.survivalScore ?? -Infinity);
}

function pickTarget(classes: ClassScore[]): Pick<ModelScore, 'score' | 'target'> {
  let score = -Infinity;
  let target: number | null = null;
  const of = (k: number) => classScore(classes[k]);
  classes.forEach((c, k) => {
    score = Math.max(score, of(k));
    if (c.flagged && (target === null || of(k) > of(target))) target = k;
  });
  if (score === -Infinity) score = Math.min(...classes.map((c) => c.anomalyIndex));
  return { score, target };
}

/**
 * The anomaly indices of the ratios, each measured against the median and MAD of the baseline classes
 * (inBaseline: every class in the paper; anomalyBaseline). The paper's (r_k - med) / ((MAD + med) / 2)
 * has a scale of about med / 2 when most classes' inversions fail (r_k clipped at ratioMin, MAD 0), so
 * one natural class then scores in the hundreds (bench/README.md, "Scoring sweep"). The log variant
 * measures how many robust standard deviations log r_k lies above the median, with a floor on that
 * deviation.
 */
export function anomalyIndices(ratios: readonly number[], logFloor: number, inBaseline: readonly boolean[]): number[] {
  const baseline = <T>(values: readonly T[]) => values.filter((_, k) => inBaseline[k]);
  if (logFloor > 0) {
    const logs = ratios.map((r) => Math.log(r));
    const med = median(baseline(logs));
    const scale = Math.max(1.4826 * mad(baseline(logs)), logFloor);
    return logs.map((l) => (l - med) / scale);
  }
  const med = median(baseline(ratios));
  const scale = (mad(baseline(ratios)) + med) / 2;
  return ratios.map((r) => (scale > 0 ? (r - med) / scale : 0));
}

/** The survival test's score on the index's scale (ClassScore.survivalScore). */
export function survivalScore(m: SurvivalMeasure | undefined, s: UmaScoring): number | null {
  if (!m || m.asrModel < s.survivalMinAsr) return null;
  return (s.anomalyThreshold * m.asrAblated) / s.survivalThreshold;
}

/**
 * Per class, the threshold its anomaly index is compared with where a per-class calibration set one
 * (ThresholdCalibrationRecord.classThresholds; docs/algorithm.md, step 5); null: anomalyThreshold for all.
 */
export type ClassThresholds = readonly number[] | null;

const thresholdAt = (k: number, base: number, classThresholds: ClassThresholds) => classThresholds?.[k] ?? base;

/**
 * Class k is flagged when its anomaly index a_k > threshold (class k's own, where calibrated per class)
 * and its trigger does not transfer, or when its own trigger survives its ablation (survival score >
 * threshold: ASR on M'_k >= survivalThreshold).
 */
export function scoreUma(
  measures: readonly UmaClassMeasure[],
  s: UmaScoring,
  classThresholds: ClassThresholds = null,
): ModelScore {
  const ratios = measures.map((m) => ratioOf(m, s));
  const indices = anomalyIndices(ratios, s.anomalyLogFloor, anomalyBaseline(ratios, s));
  const passes = measures.map((m) => m.transferAsr === null || m.transferAsr < s.transferThreshold);
  const classes = ratios.map((r, k) => {
    const survival = survivalScore(measures[k].survival, s);
    return {
      ratio: r,
      anomalyIndex: indices[k],
      survivalScore: survival,
      passesFilter: passes[k],
      flagged:
        (indices[k] > thresholdAt(k, s.anomalyThreshold, classThresholds) && passes[k]) ||
        (survival ?? -Infinity) >= s.anomalyThreshold,
    };
  });
  return { classes, ...pickTarget(classes) };
}

/**
 * The one way findings become a verdict, used by the scan and by the benchmark when it re-scores a cached
 * scan under other scoring constants (SCORE_ONLY_PARAMS): UMA's index, with or without the transfer filter,
 * or Neural Cleanse's.
 */
export function scoreFindings(
  findings: readonly UmaClassMeasure[],
  scoring: 'uma' | 'nc',
  params: UmaScoring,
  transferFilter: boolean,
  classThresholds: ClassThresholds = null,
): ModelScore {
  if (scoring === 'nc')
    return scoreNeuralCleanse(
      findings.map((f) => f.maskL1),
      params.anomalyThreshold,
      classThresholds,
    );
  return scoreUma(
    findings.map((f) => ({
      asr: f.asr,
      maskL1: f.maskL1,
      transferAsr: transferFilter ? f.transferAsr : null,
      survival: f.survival,
    })),
    params,
    classThresholds,
  );
}

/**
 * A finished scan's findings scored under other scoring constants (SCORE_ONLY_PARAMS; nothing is
 * recomputed): the benchmark's sweeps and threshold calibration on known-clean models. withFilter false
 * drops the transfer test (the paper's "without the filter" rows).
 */
export function rescoreResult(
  r: Pick<ScanResult, 'method' | 'reference'> & { classes: readonly UmaClassMeasure[] },
  params: ScanParams,
  withFilter = true,
  classThresholds: ClassThresholds = null,
): ModelScore {
  const filter = withFilter && transferCounts(r.method, params, r.reference);
  return scoreFindings(r.classes, METHOD_STAGES[r.method].scoring, params, filter, classThresholds);
}

/** A model is reported trojaned exactly when some class is flagged. */
export const verdictOf = (s: Pick<ModelScore, 'target'>): Verdict => (s.target === null ? 'clean' : 'trojaned');

/**
 * A result's verdict, score, target and per-class index and flag from its classes' measures: what runScan
 * sets, and what a result measured on another host (a batch worker, which is sent the parameters but not
 * a per-class calibration's thresholds) is scored to again by the database that holds the calibration.
 */
export function scoredResult(
  r: Pick<ScanResult, 'method' | 'classes' | 'reference'>,
  params: ScanParams,
  classThresholds: ClassThresholds,
): Pick<ScanResult, 'verdict' | 'score' | 'target' | 'classes'> {
  const scored = rescoreResult(r, params, true, classThresholds);
  return {
    verdict: verdictOf(scored),
    score: scored.score,
    target: scored.target,
    classes: r.classes.map((f, k) => ({
      ...f,
      anomalyIndex: scored.classes[k].anomalyIndex,
      flagged: scored.classes[k].flagged,
    })),
  };
}

/** Neural Cleanse: a_k = (median - L1_k) / (1.4826 MAD), flagged when above the threshold. */
export function scoreNeuralCleanse(
  maskL1: readonly number[],
  threshold: number,
  classThresholds: ClassThresholds = null,
): ModelScore {
  const med = median(maskL1);
  const scale = 1.4826 * mad(maskL1);
  const classes = maskL1.map((l1, k) => {
    const anomalyIndex = scale > 0 ? (med - l1) / scale : 0;
    const flagged = anomalyIndex > thresholdAt(k, threshold, classThresholds);
    return { ratio: null, anomalyIndex, survivalScore: null, passesFilter: true, flagged };
  });
  return { classes, ...pickTarget(classes) };
}
