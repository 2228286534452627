/**
 * Mid-ranks and Spearman's rank correlation (src/main/eval/metrics/ranks.ts): ties share their average
 * rank, a monotone relation correlates 1 whatever its shape, a reversed one -1, and a constant side or
 * mismatched lengths give NaN instead of a number.
 */
import { describe, expect, it } from 'vitest';
import { midRanks, spearman } from '../../../../src/main/eval/metrics/ranks.ts';

describe('midRanks', () => {
  it('ranks ascending from 1 and gives tied values their average rank', () => {
    expect(midRanks([30, 10, 20])).toEqual([3, 1, 2]);
    expect(midRanks([5, 1, 5, 5, 0])).toEqual([4, 2, 4, 4, 1]);
    expect(midRanks([])).toEqual([]);
  });
});

describe('spearman', () => {
  it('is 1 for any increasing relation and -1 for a decreasing one', () => {
    const x = [1, 2, 3, 4, 5];
    expect(
      spearman(
        x,
        x.map((v) => v ** 3),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      spearman(
        x,
        x.map((v) => Math.exp(-v)),
      ),
    ).toBeCloseTo(-1, 12);
  });

  it('matches the textbook value with ties (Pearson on mid-ranks)', () => {
    // ranks of a: 1, 2.5, 2.5, 4; of b: 1, 3, 2, 4 -> Pearson 0.9486832980505138
    expect(spearman([1, 2, 2, 3], [10, 30, 20, 40])).toBeCloseTo(0.9486832980505138, 12);
  });

  it('is NaN where it is undefined', () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(spearman([1, 2], [1, 2, 3])).toBeNaN();
    expect(spearman([1], [1])).toBeNaN();
  });
});
