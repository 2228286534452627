/**
 * When the unlearning of one class stops (pure, so the rules are tested without a model). Three tests,
 * each over per-step values of the last `ablationStopWindow` steps; the first to hold stops:
 *  - probability (the authors' test): the class's mean softmax probability on its own samples is below
 *    ablationStopProb;
 *  - accuracy (the paper's objective F'(x) != y_k): fewer than ablationStopAcc of the class's own
 *    samples are still called k; 0 turns it off;
 *  - plateau: the windowed unlearning loss has not fallen by ablationPlateauTol (relative) below its
 *    best for ablationPlateauSteps steps; 0 turns it off.
 * The epoch cap (ablationMaxEpochs) bounds it all in ablate.ts.
 */
import type { AblationStopRule } from '../../../../shared/results.ts';
import type { ScanParams } from '../../../../shared/scan-params.ts';

export type { AblationStopRule };

/** Per-step values of the unlearning, one entry per step taken. */
export interface AblationTrace {
  /** Mean softmax probability of k on the batch's own-class samples. */
  prob: number[];
  /** Fraction of the batch's own-class samples predicted as k. */
  acc: number[];
  /** The unlearning term mean |M'(x_k)[k] - l_k|. */
  unlearn: number[];
}

export type AblationStopParams = Pick<
  ScanParams,
  'ablationStopProb' | 'ablationStopWindow' | 'ablationStopAcc' | 'ablationPlateauSteps' | 'ablationPlateauTol'
>;

function meanOf(xs: readonly number[], end: number, window: number): number {
  let sum = 0;
  for (let i = end - window; i < end; i++) sum += xs[i];
  return sum / window;
}

/** True once the mean of the last `window` values is below `threshold`. */
export function shouldStop(values: readonly number[], window: number, threshold: number): boolean {
  if (values.length < window) return false;
  return meanOf(values, values.length, window) < threshold;
}

/**
 * True when no windowed mean of the last `patience` steps is below (1 - tol) x the best windowed mean
 * before them: the loss stopped improving. Needs window + patience steps.
 */
export function plateaued(losses: readonly number[], window: number, patience: number, tol: number): boolean {
  if (patience <= 0 || losses.length < window + patience) return false;
  let best = Infinity;
  for (let end = window; end <= losses.length - patience; end++) best = Math.min(best, meanOf(losses, end, window));
  for (let end = losses.length - patience + 1; end <= losses.length; end++) {
    if (meanOf(losses, end, window) < best * (1 - tol)) return false;
  }
  return true;
}

/** Which rule stops the unlearning after the steps in `trace`, or null to go on. */
export function ablationStopRule(trace: AblationTrace, p: AblationStopParams): AblationStopRule | null {
  const w = p.ablationStopWindow;
  if (shouldStop(trace.prob, w, p.ablationStopProb)) return 'probability';
  if (p.ablationStopAcc > 0 && shouldStop(trace.acc, w, p.ablationStopAcc)) return 'accuracy';
  if (plateaued(trace.unlearn, w, p.ablationPlateauSteps, p.ablationPlateauTol)) return 'plateau';
  return null;
}
