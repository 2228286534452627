/** The ablation backoff's decisions (engine/scan/ablation-backoff.ts): which pass comes next, from the findings alone. */
import { describe, expect, it } from 'vitest';
import {
  backoffEnabled,
  backsOff,
  failedClasses,
  firstPassFailures,
  nextPass,
  withFirstPass,
} from '../../../src/main/engine/scan/ablation-backoff.ts';
import type { ClassFinding } from '../../../src/shared/results.ts';
import { PROFILES, resolveParams } from '../../../src/shared/scan-params.ts';
import { classArtifacts, classFinding } from '../../fixtures/reports/scan-fixture.ts';

const params = resolveParams({ ablationBackoffClasses: 3, ablationBackoffAsr: 0.3 });

function finding(index: number, asr: number, extra: Partial<ClassFinding> = {}): ClassFinding {
  const base = classFinding(index, classArtifacts(index));
  return { ...base, ablatedAccTarget: 0.01, ablationSteps: 12, asr, maskL1: 10 + index, ...extra };
}
const byIndex = (list: ClassFinding[]) => new Map(list.map((f) => [f.index, f]));
const firstPassOf = (f: ClassFinding) => withFirstPass(finding(f.index, 0.9), f);

describe('ablation backoff', () => {
  it('is off in every profile but full-ablation and on by its parameter, for methods that ablate', () => {
    for (const [name, profile] of Object.entries(PROFILES))
      expect(backoffEnabled('uma', profile)).toBe(name === 'full-ablation');
    expect(backoffEnabled('uma', params)).toBe(true);
    // Only methods that ablate can back off.
    expect(backoffEnabled('uma-noablation', params)).toBe(false);
    expect(backoffEnabled('nc', params)).toBe(false);
  });

  it('counts a class as failed strictly below the ASR threshold, and backs off at the class count', () => {
    const two = [finding(2, 0.05), finding(0, 0.29), finding(1, 0.3), finding(3, 0.95)];
    expect(failedClasses(two, params)).toEqual([0, 2]);
    expect(backsOff(two, 'uma', params)).toBe(false);
    const three = [...two, finding(4, 0)];
    expect(backsOff(three, 'uma', params)).toBe(true);
    expect(backsOff(three, 'uma', { ...params, ablationBackoffClasses: 4 })).toBe(false);
    expect(backsOff(three, 'uma', { ...params, ablationBackoffClasses: 0 })).toBe(false);
    expect(backsOff(three, 'uma-noablation', params)).toBe(false);
  });

  it('runs the missing classes first, then every class again when the first pass backs off', () => {
    const failing = [0, 1, 2, 3].map((k) => finding(k, k < 3 ? 0.1 : 0.9));
    expect(nextPass(new Map(), 4, 'uma', params)).toEqual({ gentle: false, todo: [0, 1, 2, 3] });
    expect(nextPass(byIndex(failing.slice(0, 2)), 4, 'uma', params)).toEqual({ gentle: false, todo: [2, 3] });
    expect(nextPass(byIndex(failing), 4, 'uma', params)).toEqual({ gentle: true, todo: [0, 1, 2, 3] });
    const passing = [0, 1, 2, 3].map((k) => finding(k, k < 2 ? 0.1 : 0.9));
    expect(nextPass(byIndex(passing), 4, 'uma', params)).toBeNull();
    expect(nextPass(byIndex(failing), 4, 'uma', { ...params, ablationBackoffClasses: 0 })).toBeNull();
  });

  it('resumes a second pass with the classes that have no second result, and ends when all have', () => {
    const first = [0, 1, 2, 3].map((k) => finding(k, 0.1));
    const half = [firstPassOf(first[0]), firstPassOf(first[1]), first[2], first[3]];
    expect(nextPass(byIndex(half), 4, 'uma', params)).toEqual({ gentle: true, todo: [2, 3] });
    // A class with no finding at all (a partial set) gets its first pass before the second goes on.
    expect(nextPass(byIndex(half.slice(0, 3)), 4, 'uma', params)).toEqual({ gentle: false, todo: [3] });
    // A second pass is never undone by its own findings, even when they would not back off again.
    expect(nextPass(byIndex(first.map(firstPassOf)), 4, 'uma', params)).toBeNull();
    // The first pass's failures are read through a second-pass finding (ASR 0.9) to its first (0.1).
    expect(failedClasses(half, params)).toEqual([2, 3]);
    expect(firstPassFailures(half, params)).toEqual([0, 1, 2, 3]);
  });

  it("keeps the first pass's measures beside the second's", () => {
    const first = finding(2, 0.12, { maskL1: 140, ablationSteps: 24, ablatedAccTarget: 0.02 });
    const second = finding(2, 0.97, { maskL1: 9 });
    const both = withFirstPass(second, first);
    expect(both.asr).toBe(0.97);
    expect(both.maskL1).toBe(9);
    expect(both.firstPass).toEqual({ asr: 0.12, maskL1: 140, ablationSteps: 24, ablatedAccTarget: 0.02 });
    expect(() => withFirstPass(second, finding(3, 0.1))).toThrow(/same class/);
    expect(() => withFirstPass(second, both)).toThrow(/single-pass/);
  });
});
