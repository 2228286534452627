import { describe, expect, it } from 'vitest';
import { printSummary } from '../../../src/main/cli/commands/scan.ts';
import { withExplanations } from '../../../src/shared/class-explanation.ts';
import { scanFixture } from '../../fixtures/reports/scan-fixture.ts';

describe('uma scan text summary', () => {
  it("marks flagged and filtered classes and prints each one's sentence, none for a class that passed", () => {
    const { result } = scanFixture({ modelSha256: 'a'.repeat(64) });
    const classes = result.classes.map((k) =>
      k.index === 5 ? { ...k, anomalyIndex: 2.6, transferAsr: 0.47, flagged: false } : k,
    );
    const explained = withExplanations({ ...result, classes });
    const out: string[] = [];
    printSummary({ out: (l) => out.push(l), err: () => undefined, isTTY: false }, explained);
    const row = (k: number) => out.find((l) => l.startsWith(`${String(k).padStart(5)}  `))!;
    expect(row(3)).toMatch(/ FLAG$/);
    expect(row(5)).toMatch(/ filtered$/);
    expect(row(0)).toMatch(/ -0\.50  $/);
    const why = out.filter((l) => /^class \d+ /.test(l));
    expect(why).toEqual([
      `class 3 (cat): ${explained.classes[3].explanation.text}`,
      `class 5 (dog): ${explained.classes[5].explanation.text}`,
    ]);
    expect(why[1]).toContain('Filtered: anomaly index 2.60 > 2');
  });

  it('prints the sentence of a class passed only by its raised per-class threshold', () => {
    const { result } = scanFixture({ modelSha256: 'a'.repeat(64) });
    const classThresholds = result.classes.map((k) => (k.index === 3 ? 8.91 : k.index === 4 ? 5 : 2));
    const calibration = { rule: 'class' as const, base: 2, margin: 2, threshold: 2, classThresholds, clean: [] };
    const classes = result.classes.map((k) => (k.index === 3 ? { ...k, flagged: false } : k));
    const explained = withExplanations({ ...result, verdict: 'clean', target: null, classes, calibration });
    const out: string[] = [];
    printSummary({ out: (l) => out.push(l), err: () => undefined, isTTY: false }, explained);
    // Class 4 was raised too, but its index is under the base: no sentence.
    expect(out.filter((l) => /^class \d+ /.test(l))).toEqual([
      "class 3 (cat): Passed: anomaly index 7.25 <= 8.91 (this class's calibrated threshold); above the base threshold 2, so only the raised one passes it.",
    ]);
  });

  it('prints the floor caution where half the classes have no working trigger, and not otherwise', () => {
    const { result } = scanFixture({ modelSha256: 'a'.repeat(64) });
    const lines = (r: typeof result) => {
      const out: string[] = [];
      printSummary({ out: (l) => out.push(l), err: () => undefined, isTTY: false }, r);
      return out.filter((l) => l.startsWith('!!! Caution'));
    };
    expect(lines(result)).toEqual([]);
    const classes = result.classes.map((k) => (k.index >= 5 ? { ...k, ratio: result.params.ratioMin } : k));
    expect(lines({ ...result, classes })).toEqual([
      expect.stringContaining('!!! Caution: 5 of 10 classes have no working trigger'),
    ]);
  });
});
