/**
 * The result of a scan: the engine's result type, the `uma scan --json` document, what the case
 * database stores and what a report signs.
 */
import type { ClassExplanation } from './class-explanation.ts';
import type { CalibrationRule, ScanMethod, ScanParams } from './scan-params.ts';

export type Verdict = 'trojaned' | 'clean';

/** The early-stop rules of the unlearning (engine/scan/uma/ablation-stop.ts). */
export type AblationStopRule = 'probability' | 'accuracy' | 'plateau';

export interface ClassFinding {
  index: number;
  name: string;
  /** Ablated model's accuracy on the ablated class's own samples (null when no ablation ran). */
  ablatedAccTarget: number | null;
  /** Ablated model's accuracy on the other classes' samples. */
  ablatedAccOther: number | null;
  /** Unlearning steps until the early stop. */
  ablationSteps: number | null;
  /**
   * The early-stop rule that ended the unlearning (probability, accuracy, plateau), null at the epoch
   * cap or without ablation; absent for classes read back from a case.
   */
  ablationStoppedBy?: AblationStopRule | null;
  /**
   * The rate the unlearning ran at: params.ablationLr, or less where the first-step calibration
   * (ablationStepDrop, docs/algorithm.md step 2) halved it; null without ablation, and in results
   * stored before it was recorded.
   */
  ablationLr?: number | null;
  /** Attack success rate of the reversed trigger on the model it was reversed against. */
  asr: number;
  /** L1 norm of the reversed mask (pixels). */
  maskL1: number;
  /** Fraction of stamped other-class samples the clean reference model puts in this class. */
  transferAsr: number | null;
  /**
   * The survival test (survivalTest, docs/algorithm.md step 6): a trigger reversed against M
   * itself, its mask's L1 norm, its ASR on M and on M'_k (k ablated with the output layer frozen), both on
   * the other classes' samples; absent when the test did not run.
   */
  survival?: SurvivalMeasure;
  /**
   * Set when the ablation backoff scanned every class again at params.ablationBackoffLr (docs/algorithm.md,
   * step 2): what this class's first pass, at params.ablationLr, measured. The fields above are the
   * second pass's. Absent on a scan of one pass.
   */
  firstPass?: FirstPassMeasure;
  /** r_k = 100 * ASR / |mask|, clipped (null for Neural Cleanse). */
  ratio: number | null;
  /** Null while the scan runs: the index compares every class, so it is set when the last finishes. */
  anomalyIndex: number | null;
  flagged: boolean | null;
  /** Seconds of this class's own compute (the sum of stageSeconds), not time queued behind others. */
  seconds: number;
  /** Seconds per stage (ablation, inversion, transfer) of this class; absent for classes read back from a case. */
  stageSeconds?: Record<string, number>;
  /** sha256 (hex) of the PNG artifacts, in the order mask, pattern, stamped... */
  artifactDigests: { kind: ArtifactKind; sha256: string }[];
  /**
   * Why the class was flagged, filtered or passed (shared/class-explanation.ts), derived from the fields
   * above and the scan's method and parameters: set on every scored result the engine returns and the
   * case database reads back; absent on a class result streamed while the scan runs.
   */
  explanation?: ClassExplanation;
}

export interface FirstPassMeasure {
  asr: number;
  maskL1: number;
  ablationSteps: number | null;
  ablatedAccTarget: number | null;
}

export interface SurvivalMeasure {
  maskL1: number;
  asrModel: number;
  asrAblated: number;
}

export type ArtifactKind = 'mask' | 'pattern' | 'stamped';

/** PNG bytes of one class's trigger, delivered with the class result. */
export interface ClassArtifacts {
  classIndex: number;
  mask: Uint8Array;
  pattern: Uint8Array;
  stamped: Uint8Array[];
}

export interface ModelInfo {
  name: string;
  sha256: string;
  format: string;
  inputShape: [number, number, number];
  numClasses: number;
  params: number;
}

export interface ScanResult {
  verdict: Verdict;
  /** Model score for ROC: the largest anomaly index among classes that pass the transfer filter. */
  score: number;
  /** Suspected target class, or null when clean. */
  target: number | null;
  method: ScanMethod;
  params: ScanParams;
  paramsSha256: string;
  seed: number;
  backend: string;
  /** The device the backend computed on (the GPU or WebGPU adapter, or 'CPU'); absent in older results. */
  device?: string;
  toolVersion: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  model: ModelInfo;
  /** warnings: what loading changed that the analyst should know (colour converted to grayscale). */
  data: { source: string; samples: number; perClass: number[]; warnings?: string[] };
  reference: { kind: 'trained' | 'supplied' | 'none'; accuracy: number | null; seconds: number } | null;
  /** Seconds per stage, summed over classes. */
  stageSeconds: Record<string, number>;
  classes: ClassFinding[];
  /** What makes the result doubtful (an input spec far below the best convention); absent when nothing. */
  warnings?: string[];
  /**
   * Where params.anomalyThreshold (rule 'task') or each class's threshold (rule 'class') came from when
   * calibrated on clean scans; absent otherwise.
   */
  calibration?: ThresholdCalibrationRecord;
}

/** One completed scan of a known-clean model that a threshold was calibrated on. */
export interface CalibrationCleanScan {
  scanId: number;
  caseId: number;
  /** The clean model's evidence name and sha256, as its case recorded them. */
  model: string;
  sha256: string;
  /** Its model score re-scored under the calibrated scan's scoring constants. */
  score: number;
  /**
   * Rule 'class' only: per class, its anomaly index re-scored the same way where it passed the transfer
   * filter, null where it did not (a filtered class never sets a threshold).
   */
  classScores?: (number | null)[];
  finishedAt: string | null;
}

/**
 * The anomaly threshold set from completed scans of known-clean models of the suspect's task
 * (docs/algorithm.md, step 5, "Calibrating the threshold"), rounded up to two decimals. Rule 'task':
 * threshold = max(base, margin x the largest clean score). Rule 'class': classThresholds[k] =
 * max(base, margin x the largest index class k reached in a clean scan where it passed the filter).
 * Kept with the scan, in its result and in its signed report.
 */
export interface ThresholdCalibrationRecord {
  /** Absent in records made before the per-class rule: 'task'. */
  rule?: CalibrationRule;
  /** The profile's threshold, which the calibration never goes below. */
  base: number;
  margin: number;
  /** The scan's anomalyThreshold: rule 'task', the calibrated one; rule 'class', the base, every class's floor. */
  threshold: number;
  /** Rule 'class' only: the threshold each class's anomaly index is compared with. */
  classThresholds?: number[];
  clean: CalibrationCleanScan[];
}
