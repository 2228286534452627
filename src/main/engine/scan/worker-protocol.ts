/** Messages between the scan pipeline and its worker threads. */
import type { ErrorInfo } from '../../../shared/errors.ts';
import type { StepProgress } from '../../../shared/events.ts';
import type { ScanMethod, ScanParams } from '../../../shared/scan-params.ts';
import type { BackendChoice } from '../backend/index.ts';
import type { Dataset } from '../data/dataset.ts';
import type { InputSpec, ModelSource } from '../model/types.ts';
import type { ScanTask, TaskResult } from './tasks.ts';

export interface WorkerInit {
  source: ModelSource;
  inputSpec: InputSpec;
  /** images and labels are views over SharedArrayBuffers: every worker reads the same memory. */
  data: Dataset;
  method: ScanMethod;
  params: ScanParams;
  seed: number;
  backend: BackendChoice;
}

export type ToWorker = { type: 'task'; id: number; task: ScanTask };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-failed'; error: ErrorInfo }
  | { type: 'progress'; id: number; progress: StepProgress }
  | { type: 'result'; id: number; result: TaskResult }
  | { type: 'error'; id: number; error: ErrorInfo };
