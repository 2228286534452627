/**
 * Rank statistics shared by the evaluation: mid-ranks (tied values share their average rank, 1-based)
 * and Spearman's rank correlation, which bench/reachable-classes.ts uses to say how closely a class's
 * reachability after ablation follows its share of the training data.
 */

/** Each value's 1-based rank in ascending order; tied values share the average of their ranks. */
export function midRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let t = i; t <= j; t++) ranks[order[t][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

/** Pearson's correlation of the mid-ranks; NaN where either side is constant or the lengths differ. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length < 2) return NaN;
  const [ra, rb] = [midRanks(a), midRanks(b)];
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [mean(ra), mean(rb)];
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : NaN;
}
