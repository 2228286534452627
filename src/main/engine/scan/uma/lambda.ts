/**
 * UMA's dynamic size-penalty weight 1/T (paper: l = 0.6, u = 0.9). Every `window` steps, with a the mean
 * ASR of those steps: a < low relaxes the penalty (T += delta); a > high tightens it (T -= delta while
 * T > delta, else T /= delta). The paper's Eq. 9 schedules lambda per iteration; why this is additive in
 * T per window is docs/algorithm.md step 3. With growth > 0 the schedule is relative instead (T *= 1 +
 * growth, T /= 1 + growth): an additive T climbs too slowly for a model whose per-pixel gradients are
 * small, so the mask stays at zero for the whole run (docs/algorithm.md step 3, "Relative schedule").
 */
export interface LambdaSchedule {
  T: number;
  window: number;
  low: number;
  high: number;
  delta: number;
  /** 0 = additive (the paper); > 0 = relative steps of 1 + growth. */
  growth: number;
}

export function nextT(
  T: number,
  meanAsr: number,
  s: Pick<LambdaSchedule, 'low' | 'high' | 'delta' | 'growth'>,
): number {
  if (s.growth > 0) {
    if (meanAsr < s.low) return T * (1 + s.growth);
    if (meanAsr > s.high) return T / (1 + s.growth);
    return T;
  }
  if (meanAsr < s.low) return T + s.delta;
  if (meanAsr > s.high) return T > s.delta ? T - s.delta : T / s.delta;
  return T;
}

/** The mean of the last `window` values (all of them when fewer): an inversion's reported ASR and size. */
export function lastWindowMean(values: readonly number[], window: number): number {
  const n = Math.min(window, values.length);
  return values.slice(-n).reduce((a, b) => a + b, 0) / n;
}

/** Tracks per-step ASRs and updates T at the end of each window. */
export class DynamicLambda {
  private asrs: number[] = [];
  T: number;

  constructor(private readonly s: LambdaSchedule) {
    this.T = s.T;
  }

  get weight(): number {
    return 1 / this.T;
  }

  /** Records one step's ASR; returns the new T when a window closed. */
  record(asr: number): number {
    this.asrs.push(asr);
    if (this.asrs.length % this.s.window === 0) {
      this.T = nextT(this.T, lastWindowMean(this.asrs, this.s.window), this.s);
    }
    return this.T;
  }
}
