import { describe, expect, it } from 'vitest';
import { benchMarkdown, corpusMarkdown } from '../../../../src/main/eval/metrics/bench-markdown.ts';
import { detectionTable, type DetectionRecord } from '../../../../src/main/eval/metrics/detection.ts';

function rec(kind: string, score: number, over: Partial<DetectionRecord> = {}): DetectionRecord {
  const positive = kind !== 'clean';
  return {
    dataset: 'mnist',
    kind,
    positive,
    method: 'uma',
    score,
    verdict: score > 2 ? 'trojaned' : 'clean',
    suspected: score > 2 ? 3 : null,
    target: positive ? 3 : null,
    seconds: 10,
    ...over,
  };
}

describe('detectionTable', () => {
  const records = [
    rec('clean', 0.5),
    rec('clean', 2.5),
    rec('clean', 1),
    rec('badnets', 9),
    rec('badnets', 1.5),
    rec('blend', 4, { suspected: 5 }),
  ];
  const rows = detectionTable(records);

  it("compares each attack's trojans with every clean model of the data set", () => {
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

  it("renders one table per method with the paper's figures for the attacks it reports", () => {
    const md = benchMarkdown(detectionTable([...records, rec('large-patch', 5)]), 'authors');
    expect(md).toContain("### UMA (profile `authors`), with the paper's Table 2");
    expect(md).toMatch(/\| large-patch \| .* \| 8 \/ 16 \/ 88 \/ 91.7 \| 2 \/ 2 \/ 98 \/ 99 \|/);
    expect(md).toMatch(/\| all \| 33.3 \/ 25.0 \/ 71.4 \/ \*\*91.7\*\*/);
  });

  it('lists the corpus from the manifests, with a dash where a clean model has no ASR or target', () => {
    const recipe = {
      dataset: 'mnist',
      split: { fraction: 0.8, seed: 11 },
      arch: 'mnist-cnn' as const,
      epochs: 4,
      poisonRate: 0.1,
    };
    const md = corpusMarkdown([
      {
        id: 'mnist-mnist-cnn-clean-0',
        recipe: { ...recipe, kind: 'clean', index: 0 },
        seed: 5,
        attempts: 1,
        cleanAccuracy: 0.9634,
        asr: null,
        attack: null,
        trainSeconds: 25.6,
      },
      {
        id: 'mnist-mnist-cnn-sig-0',
        recipe: { ...recipe, kind: 'sig', index: 0 },
        seed: 9,
        attempts: 2,
        cleanAccuracy: 0.95,
        asr: 0.9987,
        attack: { name: 'sig', params: {}, target: 5, poisonRate: 0.1, poisoned: 800 },
        trainSeconds: 24,
      },
    ]);
    expect(md.split('\n')).toEqual([
      '| model | architecture | epochs | seed | attempts | clean acc | ASR | target | train s |',
      '|---|---|---|---|---|---|---|---|---|',
      '| mnist-mnist-cnn-clean-0 | mnist-cnn | 4 | 5 | 1 | 0.963 | - | - | 26 |',
      '| mnist-mnist-cnn-sig-0 | mnist-cnn | 4 | 9 | 2 | 0.950 | 0.999 | 5 | 24 |',
    ]);
  });
});
