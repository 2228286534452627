import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rescoreResult } from '../../../src/main/engine/scan/anomaly.ts';
import {
  calibratedClassThresholds,
  calibrateThreshold,
  thresholdFromCleanScores,
} from '../../../src/main/engine/scan/calibration.ts';
import { main } from '../../../src/main/cli/index.ts';
import { UmaError } from '../../../src/shared/errors.ts';
import type { ScanResult } from '../../../src/shared/results.ts';
import {
  CALIBRATION_MARGIN,
  CLASS_CALIBRATION_MARGIN,
  DEFAULT_PROFILE,
  resolveParams,
  type ScanMethod,
} from '../../../src/shared/scan-params.ts';

/**
 * A clean scan in the degenerate regime of many-class models: eight of ten classes have no trigger
 * after the ablation (r at ratioMin 0.1, so median 0.1 and MAD 0), and one natural class a mask of 100
 * px (r = 1): its index is (1 - 0.1) / 0.05 = 18, far above the constant 2.
 */
function cleanScan(naturalMask = 100, method: ScanMethod = 'uma', referenceAccuracy = 0.9) {
  const classes = Array.from({ length: 10 }, (_, k) => ({
    asr: k < 2 ? 1 : 0,
    maskL1: k === 0 ? naturalMask : k === 1 ? 500 : 300,
    transferAsr: 0.05,
  }));
  return {
    method,
    params: { ...DEFAULT_PROFILE },
    reference: { kind: 'trained' as const, accuracy: referenceAccuracy, seconds: 1 },
    classes: classes as unknown as ScanResult['classes'],
  };
}

describe('threshold calibration on known-clean scans', () => {
  it('T = max(profile threshold, margin x the largest clean score)', () => {
    expect(thresholdFromCleanScores([18, 6], 2, 1.5)).toBe(27);
    expect(thresholdFromCleanScores([0.5, 1.2], 2, 1.5)).toBe(2);
    expect(thresholdFromCleanScores([18], 2, 0)).toBe(2);
    expect(() => thresholdFromCleanScores([], 2, 1.5)).toThrow(/at least one clean scan/);
    expect(() => thresholdFromCleanScores([3], 2, Number.NaN)).toThrow(/margin must be a finite number >= 0/);
    expect(() => thresholdFromCleanScores([3], 2, -1)).toThrow(UmaError);
  });

  it('re-scores each clean scan under the given constants and lifts the threshold above all of them', () => {
    const params = resolveParams({});
    const c = calibrateThreshold([cleanScan(100), cleanScan(200)], ['a.json', 'b.json'], params, 1.5);
    // r = 1 -> (1 - 0.1) / 0.05 = 18; r = 0.5 -> 8.
    expect(c.scores[0]).toBeCloseTo(18);
    expect(c.scores[1]).toBeCloseTo(8);
    expect(c.threshold).toBeCloseTo(27);
    // Under the calibrated threshold the same clean scans pass; under the profile's they were flagged.
    expect(rescoreResult(cleanScan(100), params).target).toBe(0);
    expect(rescoreResult(cleanScan(100), { ...params, anomalyThreshold: c.threshold }).target).toBeNull();
  });

  it('scores with the transfer test only where it counts (a reference that learned nothing does not filter)', () => {
    const params = resolveParams({ transferThreshold: 0.01 });
    // The natural class's trigger "transfers" (0.05 > 0.01): filtered, unless the reference learned nothing.
    expect(calibrateThreshold([cleanScan()], ['a'], params, 1).scores[0]).toBeLessThan(2);
    const collapsed = cleanScan(100, 'uma', 0.1);
    expect(calibrateThreshold([collapsed], ['a'], params, 1).scores[0]).toBeCloseTo(18);
  });

  it('refuses scans that cannot be compared or whose flags no threshold changes, naming the file', () => {
    const params = resolveParams({});
    expect(() => calibrateThreshold([cleanScan(), cleanScan(100, 'nc')], ['a.json', 'b.json'], params, 1)).toThrow(
      /b.json is a 'nc' scan and a.json a 'uma' scan/,
    );
    const fewer = { ...cleanScan(), classes: cleanScan().classes.slice(0, 5) };
    expect(() => calibrateThreshold([cleanScan(), fewer], ['a.json', 'b.json'], params, 1)).toThrow(
      /b.json has 5 classes and a.json 10/,
    );
    const survival = { ...cleanScan(), params: { ...DEFAULT_PROFILE, survivalTest: 1 } };
    expect(() => calibrateThreshold([survival], ['s.json'], params, 1)).toThrow(/s.json ran the survival test/);
  });
});

/** The clean scan with class `k`'s natural trigger instead of class 0's (a trojan's target, or another clean model). */
function naturalAt(k: number, naturalMask = 100) {
  const scan = cleanScan(naturalMask);
  const classes = [...scan.classes];
  [classes[0], classes[k]] = [classes[k], classes[0]];
  return { ...scan, classes };
}

describe('threshold calibration per class', () => {
  it('T_k = max(base, margin x the largest index class k reached where it passed the filter), rounded up', () => {
    expect(
      calibratedClassThresholds(
        [
          [18, 1, null, -3],
          [4, 3.001, null, -1],
        ],
        2,
        2,
      ),
    ).toEqual([36, 6.01, 2, 2]);
    expect(() => calibratedClassThresholds([], 2, 2)).toThrow(/at least one clean scan/);
    expect(() => calibratedClassThresholds([[1]], 2, -1)).toThrow(/margin must be a finite number >= 0/);
  });

  it("raises only the clean models' natural classes: a trojan at another class is still flagged", () => {
    const params = resolveParams({});
    const c = calibrateThreshold([cleanScan(100), cleanScan(200)], ['a', 'b'], params, 1, 'class');
    expect(c.rule).toBe('class');
    expect(c.threshold).toBe(params.anomalyThreshold);
    // Class 0's natural trigger (index 18 and 8) sets its threshold; class 1 (r = 0.2) reaches 2; the rest 0.
    expect(c.classScores![0][0]).toBeCloseTo(18);
    expect(c.classThresholds![0]).toBeCloseTo(18);
    expect(c.classThresholds!.slice(1)).toEqual(new Array(9).fill(2));
    // A clean model whose natural class is class 0 passes; the one per-task threshold would pass it too...
    expect(rescoreResult(cleanScan(100), params, true, c.classThresholds).target).toBeNull();
    // ...but a trigger as strong at class 5 is flagged per class, and missed by the per-task threshold.
    expect(rescoreResult(naturalAt(5), params, true, c.classThresholds).target).toBe(5);
    const task = calibrateThreshold([cleanScan(100), cleanScan(200)], ['a', 'b'], params, 1);
    expect(rescoreResult(naturalAt(5), { ...params, anomalyThreshold: task.threshold }).target).toBeNull();
  });

  it('a class whose trigger transferred in a clean scan sets no threshold', () => {
    const params = resolveParams({ transferThreshold: 0.01 });
    const c = calibrateThreshold([cleanScan()], ['a'], params, 1, 'class');
    expect(c.classScores![0]).toEqual(new Array(10).fill(null));
    expect(c.classThresholds).toEqual(new Array(10).fill(params.anomalyThreshold));
  });
});

describe('uma calibrate', () => {
  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), isTTY: false }, out, err };
  }
  const dir = mkdtempSync(join(tmpdir(), 'uma-calibrate-'));
  const write = (name: string, body: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
    return file;
  };

  it('prints each clean score and the threshold to scan with, rounded up', async () => {
    const a = write('a.json', cleanScan(100));
    const b = write('b.json', cleanScan(300));
    const c = capture();
    expect(await main(['calibrate', a, b, '--margin', '1.1'], c.io)).toBe(0);
    expect(c.out[0]).toMatch(/a\.json +score 18\.00$/);
    // r = 1/3 -> (0.3333 - 0.1) / 0.05 = 4.67
    expect(c.out[1]).toMatch(/b\.json +score 4\.67$/);
    // 1.1 x 18 = 19.8 (to within float error, rounded up to the cent)
    expect(c.out[2]).toMatch(/^threshold 19\.8\d = max\(2, 1\.1 x 18\.00\)$/);
    expect(c.out[3]).toMatch(/--profile tuned --param anomalyThreshold=19\.8\d$/);
    expect(c.err).toEqual([]);
  });

  it('uses the default margin and warns when one scan is all it has', async () => {
    const c = capture();
    expect(await main(['calibrate', write('one.json', cleanScan(100))], c.io)).toBe(0);
    expect(c.out.join('\n')).toContain(`anomalyThreshold=${(18 * CALIBRATION_MARGIN).toFixed(2)}`);
    expect(c.err.join('\n')).toMatch(/one clean scan/);
  });

  it('--per-class prints the classes raised above the base and how to scan with them', async () => {
    const c = capture();
    const files = [write('p1.json', cleanScan(100)), write('p2.json', naturalAt(3, 300))];
    expect(await main(['calibrate', ...files, '--per-class'], c.io)).toBe(0);
    const text = c.out.join('\n');
    // Margin 2 (the per-class rule's): class 0 at 2 x 18, class 3 at 2 x 4.67 (r = 1/3), rounded up, class 1 at
    // 2 x 2 (r = 0.2).
    expect(CLASS_CALIBRATION_MARGIN).toBe(2);
    expect(text).toMatch(/^class 0 +threshold 36\.00$/m);
    expect(text).toMatch(/^class 3 +threshold 9\.34$/m);
    expect(text).toMatch(/^class 1 +threshold 4\.00$/m);
    expect(text).toContain('per class: 3 of 10 classes above 2');
    expect(text).toContain('--calibrate CLEAN_SCAN_IDS --per-class --calibration-margin 2');
    expect(text).not.toContain('anomalyThreshold=');
  });

  it('exits 2 naming the file or option at fault', async () => {
    const good = write('good.json', cleanScan());
    const cases: [string[], RegExp][] = [
      [['calibrate'], /give one or more clean scan results/],
      [['calibrate', join(dir, 'missing.json')], /missing\.json does not exist/],
      [['calibrate', write('bad.json', '{"method": "uma", ')], /bad\.json is not JSON/],
      [['calibrate', write('other.json', { hello: 1 })], /other\.json is not a scan result document/],
      [
        [
          'calibrate',
          write('nan.json', {
            ...cleanScan(),
            classes: [
              { asr: null, maskL1: 3 },
              { asr: 1, maskL1: 2 },
            ],
          }),
        ],
        /nan\.json is not a scan result document/,
      ],
      [['calibrate', good, '--margin', 'x'], /margin must be a finite number/],
      [['calibrate', good, '--profile', 'best'], /--profile must be one of/],
      [['calibrate', good, '--param', 'nosuch=1'], /unknown parameter 'nosuch'/],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      expect(await main(argv, c.io)).toBe(2);
      expect(c.err.join('\n')).toMatch(message);
    }
  });
});
