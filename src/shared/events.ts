/**
 * Events of a running scan, as the engine emits them and as they cross to the UI (job events carry a
 * jobId on top). One shape everywhere: progress, class-result, done, failed.
 */
import type { ErrorInfo } from './errors.ts';
import type { ClassArtifacts, ClassFinding, ScanResult } from './results.ts';

export type ScanStage = 'prepare' | 'reference' | 'ablation' | 'inversion' | 'survival' | 'transfer' | 'scoring';

/**
 * Where one task of a scan is. The compute loops count steps (StepReporter in engine/scan/progress.ts);
 * the task that runs a loop names its stage and class, and from there this one object travels unchanged:
 * worker thread -> executor -> pipeline, which adds the overall figures to make a ScanProgress.
 */
export interface StepProgress {
  stage: ScanStage;
  /** Class being worked on, when the stage is per class. */
  classIndex: number | null;
  step: number;
  steps: number;
}

/**
 * What one worker of a scan is doing: the task it runs (its stage and class, the steps of its last
 * report), or idle between tasks. Workers are the pool's threads, numbered from 1; 0 is the host's
 * own thread when a scan runs without a pool.
 */
export interface WorkerActivity {
  worker: number;
  /** Null while the worker waits for a task (or before its first one). */
  stage: ScanStage | null;
  classIndex: number | null;
  step: number;
  steps: number;
}

/**
 * The one progress event of a scan, from the pipeline to the Pinia store: the engine's `progress`
 * ScanEvent carries it, the service's `job/progress` ApiEvent and JobInfo.progress carry it as it is.
 */
export interface ScanProgress extends StepProgress {
  /** Overall fraction done, 0..1. */
  fraction: number;
  /** Seconds left, estimated from the work done so far; null until there is an estimate. */
  etaSeconds: number | null;
  /** Per-class fraction done, indexed by class. */
  classFractions: number[];
  /** Every worker of the scan, in worker order, idle ones included. */
  workers: WorkerActivity[];
  /** During the ablation backoff's second pass: why every class runs again; absent otherwise. */
  rescan?: AblationRescan;
}

/**
 * The ablation backoff (docs/algorithm.md, step 2): the first pass's classes whose reversed trigger stayed
 * below ablationBackoffAsr, and the gentler rate every class is scanned at again.
 */
export interface AblationRescan {
  failedClasses: number[];
  ablationLr: number;
}

export type ScanEvent =
  | { type: 'progress'; progress: ScanProgress }
  | { type: 'class-result'; finding: ClassFinding; artifacts: ClassArtifacts }
  | { type: 'done'; result: ScanResult }
  | { type: 'failed'; error: ErrorInfo };
