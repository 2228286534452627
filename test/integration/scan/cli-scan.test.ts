import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/main/cli/index.ts';
import { verifyArchive } from '../../../src/main/reports/verify.ts';
import { trustedKeys } from '../../../src/main/reports/trust.ts';
import { dataPaths } from '../../../src/main/cases/paths.ts';
import { explainClass } from '../../../src/shared/class-explanation.ts';
import type { ScanResult } from '../../../src/shared/results.ts';
import { TINY_SCAN_ARGS } from './tiny-scan-args.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), isTTY: false }, out, err };
}

const TINY = [...TINY_SCAN_ARGS, '--workers', '2'];

describe('uma scan', () => {
  it('scans the demo, records it in a case and writes a signed archive that verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uma-cli-'));
    const c = capture();
    const code = await main(
      [
        'scan',
        'demo',
        '--data',
        'demo',
        ...TINY,
        '--json',
        join(dir, 'r.json'),
        '--out',
        join(dir, 'png'),
        '--case',
        'CLI case',
        '--db',
        join(dir, 'cases.sqlite'),
        '--report',
        join(dir, 'r.zip'),
        '--examiner',
        'Test Examiner',
      ],
      c.io,
    );
    expect(c.err.filter((l) => l.includes('error'))).toEqual([]);
    expect(code).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as ScanResult;
    expect(result.classes).toHaveLength(10);
    expect(result.data.perClass).toEqual(Array(10).fill(10));
    // Every class says why, from its own fields, agreeing with the engine's flag; the text prints the sentences.
    for (const k of result.classes) {
      expect(k.explanation).toEqual(explainClass(k, result));
      expect(k.explanation?.agreesWithScan).toBe(true);
      if (k.flagged) expect(c.out).toContain(`class ${k.index} (${k.name}): ${k.explanation?.text}`);
    }
    expect(c.err.filter((l) => /^class \d+ .* done/.test(l))).toHaveLength(10);
    expect(c.out.join('\n')).toMatch(/recorded as scan 1 of case 'CLI case'/);
    expect(
      readFileSync(join(dir, 'png', 'class-7-mask.png'))
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    const checks = await verifyArchive(new Uint8Array(readFileSync(join(dir, 'r.zip'))), {
      trusted: trustedKeys(dataPaths(join(dir, 'cases.sqlite'))),
    });
    expect(checks.ok).toBe(true);
    // The result document calibrates a threshold: re-scored under the profile it ran with, it scores what the scan said.
    const cal = capture();
    expect(await main(['calibrate', join(dir, 'r.json')], cal.io)).toBe(0);
    expect(cal.out[0]).toContain(
      `score ${result.score.toFixed(2)}  model ${result.model.name} sha256 ${result.model.sha256}`,
    );
    expect(cal.out.at(-1)).toMatch(/--profile tuned --param anomalyThreshold=\d+\.\d\d$/);
    // --calibrate reaches the service's calibration: the case's one scan is of this very model, so it is refused.
    const self = capture();
    const db = ['--case', 'CLI case', '--db', join(dir, 'cases.sqlite')];
    expect(await main(['scan', 'demo', '--data', 'demo', ...TINY, ...db, '--calibrate', '1'], self.io)).toBe(2);
    expect(self.err.join('\n')).toMatch(/scan 1 is a scan of the suspect model itself/);
    // --per-class reaches it too: another model of the task, each class against its own threshold.
    const perClass = capture();
    const clean = join(import.meta.dirname, '../../../resources/demo-model-clean');
    const args = ['scan', clean, '--data', 'demo', ...TINY, ...db, '--calibrate', '1', '--per-class'];
    expect(await main([...args, '--json', join(dir, 'p.json')], perClass.io)).toBe(0);
    const calibrated = JSON.parse(readFileSync(join(dir, 'p.json'), 'utf8')) as ScanResult;
    expect(calibrated.calibration).toMatchObject({ rule: 'class', margin: 2, clean: [{ scanId: 1 }] });
    expect(calibrated.calibration?.classThresholds).toHaveLength(10);
    expect(calibrated.params.anomalyBaselineWorking).toBe(1);
  }, 180_000);

  it('exits 2 with a clear message on bad input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uma-cli-'));
    const pickle = join(dir, 'model.pt');
    writeFileSync(pickle, Buffer.from([0x80, 0x04, 0x95, 0, 0]));
    const cases: [string[], RegExp][] = [
      [['scan', 'demo'], /--data is required/],
      [['scan', pickle, '--data', 'demo'], /PyTorch checkpoint.*\n.*never opens them/s],
      [['scan', 'demo', '--data', join(dir, 'missing')], /missing: no such file or folder/],
      [
        [
          'scan',
          'demo',
          '--data',
          join(import.meta.dirname, '../../../../shared/datasets/cifar10/test-images-idx4-ubyte.gz'),
          '--workers',
          '0',
        ],
        /images are 32x32x1 but the model expects 28x28x1|32x32x3/,
      ],
      [
        ['scan', 'demo', '--data', 'demo', '--method', 'magic'],
        /--method must be one of uma, uma-nofilter, uma-noablation, nc/,
      ],
      [['scan', 'demo', '--data', 'demo', '--param', 'inversionSteps=abc'], /inversionSteps: 'abc' is not a number/],
      [['scan', 'demo', '--data', 'demo', '--report', join(dir, 'x.zip')], /--report needs --case/],
      [['scan', 'demo', '--data', 'demo', '--calibrate', '1'], /--calibrate needs --case/],
      [['scan', 'demo', '--data', 'demo', '--calibrate', '1,x'], /--calibrate must be an integer >= 1, not 'x'/],
      [['scan', 'demo', '--data', 'demo', '--calibration-margin', '2'], /--calibration-margin needs --calibrate/],
      [['scan', 'demo', '--data', 'demo', '--per-class'], /--per-class needs --calibrate/],
      [
        ['scan', 'demo', '--data', 'demo', '--calibrate', '1', '--calibration-margin', 'lots'],
        /--calibration-margin must be a number >= 0/,
      ],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      expect(await main(argv, c.io)).toBe(2);
      expect(c.err.join('\n')).toMatch(message);
    }
  }, 120_000);
});
