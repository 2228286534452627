/** The CLI's progress lines (not a TTY): one per finished class, counted per pass of the ablation backoff. */
import { describe, expect, it } from 'vitest';
import { progressPrinter } from '../../../src/main/cli/progress-bar.ts';
import type { ApiEvent } from '../../../src/shared/api.ts';
import type { ScanProgress } from '../../../src/shared/events.ts';
import type { ClassFinding } from '../../../src/shared/results.ts';
import { classArtifacts, classFinding } from '../../fixtures/reports/scan-fixture.ts';

const finding = (index: number, second = false): ClassFinding => ({
  ...classFinding(index, classArtifacts(index)),
  name: `c${index}`,
  ...(second ? { firstPass: { asr: 0.1, maskL1: 200, ablationSteps: 10, ablatedAccTarget: 0 } } : {}),
});
const images = (k: number) => ({
  scanId: 1,
  classIndex: k,
  mask: new Uint8Array(),
  pattern: new Uint8Array(),
  stamped: [],
});
const result = (f: ClassFinding): ApiEvent => ({
  type: 'job/class-result',
  jobId: 'j',
  scanId: 1,
  finding: f,
  images: images(f.index),
});
const progress = (rescan?: ScanProgress['rescan']): ApiEvent => ({
  type: 'job/progress',
  jobId: 'j',
  scanId: 1,
  progress: {
    stage: 'ablation',
    classIndex: 0,
    step: 1,
    steps: 2,
    fraction: 0.5,
    etaSeconds: null,
    classFractions: [0, 0, 0],
    workers: [],
    ...(rescan && { rescan }),
  },
});

describe('progressPrinter', () => {
  it('counts each pass on its own and says once why the second runs', () => {
    const lines: string[] = [];
    const print = progressPrinter({ out: () => undefined, err: (l) => lines.push(l), isTTY: false }, 3);
    for (const e of [
      result(finding(0)),
      result(finding(1)),
      result(finding(2)),
      progress({ failedClasses: [0, 2], ablationLr: 5e-4 }),
      progress({ failedClasses: [0, 2], ablationLr: 5e-4 }),
      result(finding(1, true)),
    ])
      print(e);
    expect(lines.map((l) => l.replace(/:.*$/, ''))).toEqual([
      'class 0 (c0) done [1/3]',
      'class 1 (c1) done [2/3]',
      'class 2 (c2) done [3/3]',
      'ablation backoff',
      'class 1 (c1) done [second pass 1/3]',
    ]);
    expect(lines[3]).toBe(
      'ablation backoff: after the first ablation, classes 0, 2 reversed no trigger; every class again at ablation rate 0.0005',
    );
  });

  it("counts a resumed scan's kept classes, once per class, in their passes", () => {
    const lines: string[] = [];
    const kept = [finding(0), finding(0, true), finding(1), finding(2)];
    const print = progressPrinter({ out: () => undefined, err: (l) => lines.push(l), isTTY: false }, 3, kept);
    print(result(finding(1, true)));
    expect(lines[0]).toMatch(/^class 1 \(c1\) done \[second pass 2\/3\]/);
  });
});
