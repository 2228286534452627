import { describe, expect, it } from 'vitest';
import { auc, confusion, rocPoints, type Scored } from '../../../../src/main/eval/metrics/roc.ts';

const s = (score: number, positive: boolean): Scored => ({ score, positive });

/** Trapezoidal area under the ROC points, to check the rank statistic against the curve. */
function area(items: Scored[]): number {
  const p = rocPoints(items);
  let a = 0;
  for (let i = 1; i < p.length; i++) a += ((p[i].fpr - p[i - 1].fpr) * (p[i].tpr + p[i - 1].tpr)) / 2;
  return a;
}

describe('auc', () => {
  it('is 1 for perfect separation, 0 for inverted, 0.5 when everything ties', () => {
    expect(auc([s(3, true), s(4, true), s(1, false), s(2, false)])).toBe(1);
    expect(auc([s(1, true), s(2, true), s(3, false), s(4, false)])).toBe(0);
    expect(auc([s(1, true), s(1, false), s(1, true)])).toBe(0.5);
  });

  it('counts ties between a positive and a negative as one half', () => {
    // pairs: (5 vs 2) win, (5 vs 3) win, (3 vs 2) win, (3 vs 3) tie -> 3.5 / 4
    expect(auc([s(5, true), s(3, true), s(2, false), s(3, false)])).toBe(0.875);
  });

  it('equals the pairwise definition and the area under the ROC curve on random scores', () => {
    let seed = 3;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const items = Array.from({ length: 60 }, () => s(Math.round(rand() * 10), rand() < 0.4));
    const pos = items.filter((i) => i.positive);
    const neg = items.filter((i) => !i.positive);
    let wins = 0;
    for (const p of pos) for (const n of neg) wins += p.score > n.score ? 1 : p.score === n.score ? 0.5 : 0;
    expect(auc(items)).toBeCloseTo(wins / (pos.length * neg.length), 12);
    expect(area(items)).toBeCloseTo(auc(items), 12);
  });

  it('is undefined without both classes', () => {
    expect(auc([s(1, true)])).toBeNaN();
    expect(auc([])).toBeNaN();
  });
});

describe('rocPoints and confusion', () => {
  it('walks from (0,0) to (1,1) through one point per distinct score', () => {
    const items = [s(0.9, true), s(0.7, false), s(0.7, true), s(0.1, false)];
    expect(rocPoints(items).map(({ fpr, tpr }) => [fpr, tpr])).toEqual([
      [0, 0],
      [0, 0.5],
      [0.5, 1],
      [1, 1],
    ]);
  });

  it("counts a threshold's outcomes", () => {
    const items = [s(5, true), s(1, true), s(3, false), s(0, false), s(2, false)];
    expect(confusion(items, 2)).toEqual({ tp: 1, fn: 1, fp: 2, tn: 1 });
  });
});
