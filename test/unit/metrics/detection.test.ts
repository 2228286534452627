import { describe, expect, it } from 'vitest';
import { benchMarkdown } from '../../../src/main/engine/metrics/bench-markdown.ts';
import { detectionTable, type DetectionRecord } from '../../../src/main/engine/metrics/detection.ts';

function rec(kind: string, score: number, over: Partial<DetectionRecord> = {}): DetectionRecord {
  const positive = kind !== 'clean';
  return { dataset: 'mnist', kind, positive, method: 'uma', score, verdict: score > 2 ? 'trojaned' : 'clean', suspected: score > 2 ? 3 : null, target: positive ? 3 : null, seconds: 10, ...over };
}

describe('detectionTable', () => {
  const records = [
    rec('clean', 0.5), rec('clean', 2.5), rec('clean', 1),
    rec('badnets', 9), rec('badnets', 1.5),
    rec('blend', 4, { suspected: 5 }),
  ];
  const rows = detectionTable(records);

  it('compares each attack\'s trojans with every clean model of the data set', () => {
    const badnets = rows.find((r) => r.attack === 'badnets')!;
    expect([badnets.clean, badnets.trojaned]).toEqual([3, 2]);
    expect(badnets.fpr).toBeCloseTo(1 / 3);
    expect(badnets.fnr).toBe(0.5);
    expect(badnets.accuracy).toBeCloseTo(3 / 5);
    // 9 beats all three clean scores, 1.5 beats 0.5 and 1: 5 of 6 pairs
    expect(badnets.auc).toBeCloseTo(5 / 6);
    expect(badnets.targetHit).toBe(1);
  });

  it('adds an all-attacks row and reports target hits among detected trojans', () => {
    const all = rows.find((r) => r.attack === 'all')!;
    expect(all.trojaned).toBe(3);
    expect(all.targetHit).toBe(0.5);
    expect(rows.find((r) => r.attack === 'blend')!.auc).toBe(1);
  });

  it('renders one table per method with the paper\'s figures for the attacks it reports', () => {
    const md = benchMarkdown(detectionTable([...records, rec('large-patch', 5)]), 'authors');
    expect(md).toContain('### UMA (profile `authors`), with the paper\'s Table 2');
    expect(md).toMatch(/\| large-patch \| .* \| 8 \/ 16 \/ 88 \/ 91.7 \| 2 \/ 2 \/ 98 \/ 99 \|/);
    expect(md).toMatch(/\| all \| 33.3 \/ 25.0 \/ 71.4 \/ \*\*91.7\*\*/);
  });
});
