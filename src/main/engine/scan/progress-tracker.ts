/**
 * Turns per-task step reports into one ScanProgress: per-class fractions (ablation and inversion halves
 * for UMA; thirds with the survival test, whose inversion is as long as the first), the reference
 * model's share, the overall fraction, an ETA from the rate so far, and what each worker is doing.
 */
import type { AblationRescan, ScanProgress, ScanStage, StepProgress, WorkerActivity } from '../../../shared/events.ts';
import { idleWorker } from './executor.ts';

export class ProgressTracker {
  private readonly classDone: number[];
  private referenceDone = 0;
  private start = performance.now();
  /** The overall fraction when the estimate started: classes resumed as done are not work this run did. */
  private startFraction: number;
  private rescan: AblationRescan | undefined;
  private readonly workers: WorkerActivity[];
  /** A class's stages in order, each an equal share of its work. */
  private readonly classStages: ScanStage[];
  private last: StepProgress = { stage: 'prepare', classIndex: null, step: 0, steps: 0 };

  constructor(
    numClasses: number,
    withAblation: boolean,
    private readonly withReference: boolean,
    done: readonly number[] = [],
    workerIds: readonly number[] = [],
    withSurvival = false,
  ) {
    this.classStages = [
      ...(withAblation ? (['ablation'] as const) : []),
      'inversion',
      ...(withSurvival ? (['survival'] as const) : []),
    ];
    this.workers = workerIds.map(idleWorker);
    this.classDone = new Array<number>(numClasses).fill(0);
    for (const k of done) this.classDone[k] = 1;
    this.startFraction = this.overall;
  }

  private get overall(): number {
    const units = this.classDone.length + (this.withReference ? 1 : 0);
    return (this.classDone.reduce((a, b) => a + b, 0) + (this.withReference ? this.referenceDone : 0)) / units;
  }

  /** A step report; `worker` says whose, when it came from a task (the pipeline's own reports have none). */
  update(p: StepProgress, worker?: number): ScanProgress {
    const { stage, classIndex: k } = p;
    if (worker !== undefined) this.setWorker({ worker, ...p });
    const f = p.steps > 0 ? Math.min(1, p.step / p.steps) : 1;
    if (stage === 'reference') this.referenceDone = f;
    else if (k !== null) {
      const at = this.classStages.indexOf(stage);
      if (at >= 0) this.classDone[k] = (at + f) / this.classStages.length;
    }
    return this.snapshot(p);
  }

  classFinished(k: number): void {
    this.classDone[k] = 1;
  }

  /**
   * The ablation backoff's second pass: these classes start again, and the estimate restarts with them
   * (the first pass's rate says little about the second's, whose gentler ablation runs longer).
   */
  startRescan(todo: readonly number[], rescan: AblationRescan): void {
    for (const k of todo) this.classDone[k] = 0;
    this.rescan = rescan;
    this.start = performance.now();
    this.startFraction = this.overall;
  }

  /** A worker started a task, reported a step or fell idle. */
  setWorker(a: WorkerActivity): void {
    const i = this.workers.findIndex((w) => w.worker === a.worker);
    if (i >= 0) this.workers[i] = { ...a };
  }

  snapshot(p: StepProgress = this.last): ScanProgress {
    this.last = p;
    const fraction = this.overall;
    const elapsed = (performance.now() - this.start) / 1000;
    const gained = fraction - this.startFraction;
    return {
      ...p,
      fraction,
      etaSeconds: gained > 0.02 && fraction < 1 ? (elapsed * (1 - fraction)) / gained : fraction >= 1 ? 0 : null,
      classFractions: [...this.classDone],
      workers: this.workers.map((w) => ({ ...w })),
      ...(this.rescan && { rescan: { ...this.rescan, failedClasses: [...this.rescan.failedClasses] } }),
    };
  }
}
