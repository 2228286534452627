import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rescoreResult } from '../../../src/main/engine/scan/anomaly.ts';
import { calibrateThreshold, thresholdFromCleanScores } from '../../../src/main/engine/scan/calibration.ts';
import { main } from '../../../src/main/cli/index.ts';
import { UmaError } from '../../../src/shared/errors.ts';
import type { ScanResult } from '../../../src/shared/results.ts';
import {
  CALIBRATION_MARGIN,
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
