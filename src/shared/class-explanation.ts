/**
 * Why each class was flagged, filtered or passed: the comparisons behind its flag, each value beside the
 * parameter it was compared with, and one sentence an analyst reads. Derived from a class's stored
 * fields and the scan's method and parameters only, so every result (the engine's, one read back from
 * an old case database or report) gets the same explanation without a migration. It restates the
 * scoring rule of src/main/engine/scan/anomaly.ts (docs/algorithm.md, step 5) and never rescores: the
 * outcome follows the stored flag, and when the thresholds disagree with it (a rule this file does not
 * know yet) it says so instead of contradicting the verdict. A new scoring parameter adds one comparison
 * here.
 */
import { classThreshold, classThresholdsOf } from './calibration-record.ts';
import type { ClassFinding, ScanResult } from './results.ts';
import { backoffFailed, METHOD_STAGES, transferCounts } from './scan-params.ts';

export type AnomalyStatistic = 'paper' | 'log-robust-z' | 'neural-cleanse';

export type ClassOutcome = 'flagged' | 'filtered' | 'passed' | 'pending';

/** A flagged class whose anomaly index is below this multiple of the threshold is called borderline. */
export const BORDERLINE_FACTOR = 1.5;

export interface ClassExplanation {
  /** filtered: anomalous, but set aside (its trigger also fools the clean reference model); pending: not scored yet. */
  outcome: ClassOutcome;
  /** Flagged with an anomaly index below BORDERLINE_FACTOR times the threshold: confirm before relying on it. */
  borderline: boolean;
  /**
   * Anomaly index against the threshold (flagging needs index > threshold) and the statistic that made
   * it (anomalyLogFloor: the paper's index, a robust z of log r_k, or Neural Cleanse's); null while pending.
   * The threshold is anomalyThreshold, or the class's own where calibrated per class (perClass true).
   */
  anomaly: {
    index: number;
    threshold: number;
    /** The scan's anomalyThreshold: with perClass, the base no class's threshold is below. */
    base: number;
    perClass: boolean;
    above: boolean;
    statistic: AnomalyStatistic;
  } | null;
  /**
   * Transfer ASR on the clean reference against transferThreshold; null where no transfer test counts
   * (the method has none, or the reference learned too little: see the sentence).
   */
  transfer: { asr: number; threshold: number; transfers: boolean } | null;
  /** The reversed trigger: its ASR on the model it was reversed against and its mask's L1 norm (pixels). */
  trigger: { asr: number; maskL1: number };
  /** r_k = 100 * ASR / |mask| as scored, and the bound it was clipped to; null for Neural Cleanse. */
  ratio: { value: number; min: number; max: number; clipped: 'ratioMin' | 'ratioMax' | null } | null;
  /**
   * The survival test where it ran: the class's own trigger (reversed against the model itself) and its ASR
   * there and on the ablated copy; it survives when it works on the model (>= survivalMinAsr) and keeps
   * at least survivalThreshold after the ablation. Null where the test did not run.
   */
  survival: {
    maskL1: number;
    asrModel: number;
    asrAblated: number;
    minAsr: number;
    threshold: number;
    survives: boolean;
  } | null;
  /**
   * Where the ablation backoff scanned every class again (docs/algorithm.md, step 2): this class's first
   * pass at ablationLr, the threshold it was judged by, and the gentler rate the fields above come from.
   */
  rescan: {
    firstAsr: number;
    firstMaskL1: number;
    failed: boolean;
    asrThreshold: number;
    minClasses: number;
    fromLr: number;
    /** The first pass's ablationMinEpochs (0 in scans stored before it existed); the second's is 0. */
    fromMinEpochs: number;
    toLr: number;
  } | null;
  /**
   * Where the first-step calibration (ablationStepDrop, docs/algorithm.md step 2) lowered this class's
   * unlearning rate: the rate its pass starts from, the rate it ran at and the drop that halved it.
   */
  calibration: { fromLr: number; toLr: number; maxDrop: number } | null;
  /** False when the stored flag disagrees with these comparisons (a scoring rule not explained here). */
  agreesWithScan: boolean;
  /** One sentence an analyst can read aloud. */
  text: string;
}

export type Scoring = Pick<ScanResult, 'method' | 'params' | 'reference'> & Partial<Pick<ScanResult, 'calibration'>>;
/** The stored fields of a class an explanation reads (a ClassFinding, or a signed statement's class). */
export type ScoredClass = Pick<
  ClassFinding,
  | 'index'
  | 'asr'
  | 'maskL1'
  | 'transferAsr'
  | 'ratio'
  | 'anomalyIndex'
  | 'flagged'
  | 'survival'
  | 'firstPass'
  | 'ablationLr'
>;

const f2 = (x: number) => x.toFixed(2);

function ratioFact(k: ScoredClass, s: Scoring): ClassExplanation['ratio'] {
  if (METHOD_STAGES[s.method].scoring !== 'uma' || k.ratio === null) return null;
  const { ratioMin: min, ratioMax: max } = s.params;
  const clipped = k.ratio <= min ? 'ratioMin' : k.ratio >= max ? 'ratioMax' : null;
  return { value: k.ratio, min, max, clipped };
}

function survivalFact(k: ScoredClass, s: Scoring): ClassExplanation['survival'] {
  if (!k.survival || METHOD_STAGES[s.method].scoring !== 'uma') return null;
  const { survivalMinAsr: minAsr, survivalThreshold: threshold } = s.params;
  const survives = k.survival.asrModel >= minAsr && k.survival.asrAblated >= threshold;
  return { ...k.survival, minAsr, threshold, survives };
}

function rescanFact(k: ScoredClass, s: Scoring): ClassExplanation['rescan'] {
  if (!k.firstPass) return null;
  const p = s.params;
  return {
    firstAsr: k.firstPass.asr,
    firstMaskL1: k.firstPass.maskL1,
    failed: backoffFailed(k.firstPass.asr, p),
    asrThreshold: p.ablationBackoffAsr,
    minClasses: p.ablationBackoffClasses,
    fromLr: p.ablationLr,
    fromMinEpochs: p.ablationMinEpochs ?? 0,
    toLr: p.ablationBackoffLr,
  };
}

function calibrationFact(k: ScoredClass, s: Scoring): ClassExplanation['calibration'] {
  // A backoff's second pass starts from its own rate.
  const fromLr = k.firstPass ? s.params.ablationBackoffLr : s.params.ablationLr;
  if (k.ablationLr == null || !(k.ablationLr < fromLr)) return null;
  return { fromLr, toLr: k.ablationLr, maxDrop: s.params.ablationStepDrop };
}

function calibrationWords(c: NonNullable<ClassExplanation['calibration']>): string {
  return (
    ` Unlearned at rate ${c.toLr}, not ${c.fromLr}: a first step at the higher rate took more than ` +
    `${Math.round(c.maxDrop * 100)}% of the class's probability on its own images, a rate strong enough to ` +
    'erase a backdoor with the class (first-step calibration).'
  );
}

/** Why the measures are a second pass's, and what this class's first pass found. */
function rescanWords(r: NonNullable<ClassExplanation['rescan']>): string {
  const full = r.fromMinEpochs > 0 ? ` over at least ${r.fromMinEpochs} passes` : '';
  const stops = r.fromMinEpochs > 0 ? ', stopping early from the first step' : '';
  return (
    ` Scanned twice: after ablation at rate ${r.fromLr}${full}, ${r.minClasses} or more classes reversed no trigger ` +
    `reaching ASR ${r.asrThreshold} (this one: ${f2(r.firstAsr)} with ${r.firstMaskL1.toFixed(1)} px), a sign the ` +
    `ablation erased more than their own features; these measures are the second pass's, at rate ${r.toLr}${stops}.`
  );
}

/** The survival test's facts in words. */
function survivalWords(v: NonNullable<ClassExplanation['survival']>): string {
  const own = `its own trigger (reversed against the model itself, ${v.maskL1.toFixed(1)} px) moves ${f2(v.asrModel)} of other-class images here`;
  if (v.asrModel < v.minAsr) return `${own}, below ${v.minAsr}, so the survival test does not count`;
  return `${own} and ${f2(v.asrAblated)} once the class is ablated (${v.survives ? '>=' : '<'} ${v.threshold})`;
}

/** The trigger's facts in words: what it does and how big it is, r_k and its clip where it has one. */
function triggerWords(e: ClassExplanation, nc: boolean): string {
  const r = e.ratio;
  const clip = r?.clipped ? `, clipped at ${r.clipped} ${r.clipped === 'ratioMin' ? r.min : r.max}` : '';
  const ratio = r ? ` (r = ${f2(r.value)}${clip})` : '';
  const moves = `its trigger moves ${f2(e.trigger.asr)} of other-class images to this class`;
  const mask = `${e.trigger.maskL1.toFixed(1)} px`;
  return nc
    ? `its mask of ${mask} is far smaller than the median class's (Neural Cleanse), and ${moves}`
    : `${moves} with a mask of ${mask}${ratio}`;
}

function sentence(e: ClassExplanation, k: ScoredClass, s: Scoring): string {
  const a = e.anomaly!;
  // Where calibrated per class, the number compared is this class's own threshold: say whose it is.
  const T = a.perClass ? `${a.threshold} (this class's calibrated threshold)` : String(a.threshold);
  const t = e.transfer;
  const nc = METHOD_STAGES[s.method].scoring === 'nc';
  const index = `anomaly index ${a.statistic === 'log-robust-z' ? '(robust z of log r) ' : ''}${f2(a.index)}`;
  if (!e.agreesWithScan) {
    const by = `${index} ${a.above ? '>' : '<='} ${T}${t ? `, transfer ${f2(t.asr)} vs ${t.threshold}` : ''}`;
    return (
      `${e.outcome === 'flagged' ? 'Flagged' : 'Filtered'}: the scan ${k.flagged ? 'flagged' : 'did not flag'} this ` +
      `class, though by these thresholds (${by}) it would ${k.flagged ? 'not ' : ''}be: a scoring rule this ` +
      'explanation does not cover.'
    );
  }
  const v = e.survival;
  const survivalNote = v ? ` Survival test: ${survivalWords(v)}.` : '';
  if (e.outcome === 'passed') {
    // A clipped ratio is why a class with no trigger (ASR 0, a huge mask) still has an index: say so.
    const above = passedByRaisedThreshold(e)
      ? `; above the base threshold ${a.base}, so only the raised one passes it`
      : '';
    return `Passed: ${index} <= ${T}${above}${e.ratio?.clipped ? `; ${triggerWords(e, nc)}` : ''}.${survivalNote}`;
  }
  if (e.outcome === 'filtered') {
    return (
      `Filtered: ${index} > ${T}, but the trigger also sends ${f2(t!.asr)} of images to this class on the ` +
      `clean reference (>= ${t!.threshold}): a natural feature of the class, not a planted one.${survivalNote}`
    );
  }
  const byIndex = a.above && !t?.transfers;
  if (v?.survives && !byIndex) {
    return (
      `Flagged by the survival test: ${survivalWords(v)}. A trigger that works through the class's own features ` +
      `stops working once they are unlearned; a backdoor's keeps working. The anomaly index is ${f2(a.index)}` +
      `${a.above ? `, above ${T} but its trigger transfers to the clean reference` : ` (<= ${T})`}.`
    );
  }
  const head = e.borderline
    ? `Flagged (borderline, below ${BORDERLINE_FACTOR} × the threshold): ${index} > ${T}`
    : `Flagged: ${index} > ${T}`;
  const clean = t
    ? `, and fools the clean reference on only ${f2(t.asr)} (< ${t.threshold})`
    : nc
      ? ''
      : `; ${whyNoTransfer(s)}`;
  const confirm = e.borderline ? ' Confirm with another seed or more clean data before relying on it.' : '';
  return `${head}; ${triggerWords(e, nc)}${clean}.${survivalNote}${confirm}`;
}

/** Why a UMA class's flag has no transfer test behind it. */
function whyNoTransfer(s: Scoring): string {
  if (!METHOD_STAGES[s.method].transferFilter) return 'this method has no transfer filter';
  const acc = s.reference?.accuracy;
  if (acc == null || transferCounts(s.method, s.params, s.reference)) return 'no transfer test ran';
  return (
    `the transfer test does not count: the clean reference reached only ${f2(acc)} accuracy on its samples ` +
    `(< referenceMinAccuracy ${s.params.referenceMinAccuracy}), too little to tell a natural feature from a planted one`
  );
}

function statisticOf(s: Scoring): AnomalyStatistic {
  if (METHOD_STAGES[s.method].scoring === 'nc') return 'neural-cleanse';
  // Results stored before the parameter existed lack it: they used the paper's index.
  return (s.params.anomalyLogFloor as number | undefined) ? 'log-robust-z' : 'paper';
}

/** Why class k has the flag it has, from its stored fields and the scan's method and parameters. */
export function explainClass(k: ScoredClass, s: Scoring): ClassExplanation {
  const p = s.params;
  // The transfer test counts only where the method runs it on a reference that learned, as runScan scores.
  const transferAsr = transferCounts(s.method, s.params, s.reference) ? k.transferAsr : null;
  const transfer =
    transferAsr === null
      ? null
      : { asr: transferAsr, threshold: p.transferThreshold, transfers: transferAsr >= p.transferThreshold };
  const base = {
    trigger: { asr: k.asr, maskL1: k.maskL1 },
    ratio: ratioFact(k, s),
    transfer,
    survival: survivalFact(k, s),
    rescan: rescanFact(k, s),
    calibration: calibrationFact(k, s),
  };
  if (k.anomalyIndex === null || k.flagged === null) {
    const text = `Pending: the anomaly index compares every class, so it is set when the last class finishes.${ablationWords(base)}`;
    return { outcome: 'pending', borderline: false, anomaly: null, agreesWithScan: true, text, ...base };
  }
  // A per-class calibration's threshold for this class (docs/algorithm.md, step 5), as the scan scored it.
  const threshold = classThreshold(s.calibration, k.index, p.anomalyThreshold);
  const anomaly = {
    index: k.anomalyIndex,
    threshold,
    base: p.anomalyThreshold,
    perClass: classThresholdsOf(s.calibration) !== null,
    above: k.anomalyIndex > threshold,
    statistic: statisticOf(s),
  };
  const wouldFlag = (anomaly.above && !transfer?.transfers) || !!base.survival?.survives;
  const outcome: ClassOutcome = k.flagged ? 'flagged' : anomaly.above ? 'filtered' : 'passed';
  // Borderline by the index alone: a class the survival test flags is not judged by its index.
  const borderline = k.flagged && !base.survival?.survives && k.anomalyIndex < threshold * BORDERLINE_FACTOR;
  const e = { outcome, borderline, anomaly, agreesWithScan: wouldFlag === k.flagged, text: '', ...base };
  return { ...e, text: sentence(e, k, s) + ablationWords(e) };
}

/**
 * A class passed only because a per-class calibration raised its threshold: its index is above the base,
 * where clean models of the task reach such indices, and where a trojan aimed at the class would pass the
 * same way (measured: a BadNets trojan at GTSRB's class 2; docs/algorithm.md, step 5, "Calibrating the threshold").
 */
export function passedByRaisedThreshold(e: {
  outcome: ClassOutcome;
  anomaly: Pick<NonNullable<ClassExplanation['anomaly']>, 'index' | 'threshold' | 'base' | 'perClass'> | null;
}): boolean {
  const a = e.anomaly;
  return e.outcome === 'passed' && !!a?.perClass && a.index > a.base && a.threshold > a.base;
}

/** The ablation's own story, where it is not the plain one: a second pass, a calibrated rate. */
function ablationWords(e: Pick<ClassExplanation, 'rescan' | 'calibration'>): string {
  return (e.rescan ? rescanWords(e.rescan) : '') + (e.calibration ? calibrationWords(e.calibration) : '');
}

export type ExplainedFinding = ClassFinding & { explanation: ClassExplanation };
export type ExplainedResult = Omit<ScanResult, 'classes'> & { classes: ExplainedFinding[] };

/** The result with every class's explanation: what the engine hands out and every read of a stored scan. */
export function withExplanations(r: ScanResult): ExplainedResult {
  return { ...r, classes: r.classes.map((k) => ({ ...k, explanation: explainClass(k, r) })) };
}
