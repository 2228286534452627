/**
 * ROC analysis of detector scores (higher = more likely trojaned): AUC by the Mann-Whitney rank
 * statistic (ties count one half), the ROC curve's points, and the confusion counts at a threshold.
 */
import { midRanks } from './ranks.ts';

export interface Scored {
  score: number;
  /** True for a trojaned model. */
  positive: boolean;
}

/**
 * P(score of a random positive > score of a random negative) + P(tie) / 2, from mid-ranks; NaN when
 * either class is empty (the AUC is undefined, not 0.5).
 */
export function auc(items: readonly Scored[]): number {
  const pos = items.filter((s) => s.positive).length;
  const neg = items.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  const ranks = midRanks(items.map((s) => s.score));
  const rankSum = items.reduce((sum, s, i) => (s.positive ? sum + ranks[i] : sum), 0);
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export interface RocPoint {
  threshold: number;
  fpr: number;
  tpr: number;
}

/**
 * The curve from (0,0) to (1,1): one point per distinct score, classifying score >= threshold as
 * positive; tied scores move FPR and TPR together (a diagonal step), which is what the AUC integrates.
 */
export function rocPoints(items: readonly Scored[]): RocPoint[] {
  const pos = items.filter((s) => s.positive).length;
  const neg = items.length - pos;
  const thresholds = [...new Set(items.map((s) => s.score))].sort((a, b) => b - a);
  const points: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  for (const t of thresholds) {
    const c = confusion(items, t);
    points.push({ threshold: t, fpr: neg ? c.fp / neg : 0, tpr: pos ? c.tp / pos : 0 });
  }
  return points;
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Counts with `score >= threshold` called positive (the scanner flags when the index exceeds 2; at the
 *  boundary itself the difference never matters for real-valued scores). */
export function confusion(items: readonly Scored[], threshold: number): Confusion {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const s of items) {
    const called = s.score >= threshold;
    if (s.positive) c[called ? 'tp' : 'fn']++;
    else c[called ? 'fp' : 'tn']++;
  }
  return c;
}
