/**
 * Events of a running scan, as the engine emits them and as they cross to the UI (job events carry a
 * jobId on top). One shape everywhere: progress, class-result, done, failed.
 */
import type { ErrorInfo } from './errors.ts';
import type { ClassArtifacts, ClassFinding, ScanResult } from './results.ts';

export type ScanStage = 'prepare' | 'reference' | 'ablation' | 'inversion' | 'transfer' | 'scoring';

export interface ScanProgress {
  stage: ScanStage;
  /** Class being worked on, when the stage is per class. */
  classIndex: number | null;
  step: number;
  steps: number;
  /** Overall fraction done, 0..1. */
  fraction: number;
  /** Seconds left, estimated from the work done so far; null until there is an estimate. */
  etaSeconds: number | null;
  /** Per-class fraction done, indexed by class. */
  classFractions: number[];
}

export type ScanEvent =
  | { type: 'progress'; progress: ScanProgress }
  | { type: 'class-result'; finding: ClassFinding; artifacts: ClassArtifacts }
  | { type: 'done'; result: ScanResult }
  | { type: 'failed'; error: ErrorInfo };
