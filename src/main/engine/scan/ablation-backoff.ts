/**
 * The ablation backoff (docs/algorithm.md, step 2, "Ablation strength chosen per model"): which classes a
 * scan still has to compute, and at which ablation rate, from the findings it already has. A first pass
 * ablates at ablationLr; when ablationBackoffClasses or more of its classes reverse no trigger reaching
 * ablationBackoffAsr, the ablation erased more than the classes' own features (on BatchNorm ResNets two
 * SGD steps at 2e-3 erase a BadNets backdoor) and every class is scanned again at ablationBackoffLr,
 * each keeping its first pass's measures. Decided from the findings alone, so a scan killed in either
 * pass resumes where it stopped, and the benchmark composes the same result from cached scans.
 */
import type { ClassFinding, FirstPassMeasure } from '../../../shared/results.ts';
import { backoffFailed, METHOD_STAGES, type ScanMethod, type ScanParams } from '../../../shared/scan-params.ts';

type BackoffParams = Pick<ScanParams, 'ablationBackoffClasses' | 'ablationBackoffAsr'>;

/** The classes still to compute and whether at the backoff's gentler rate (the second pass). */
export interface ScanPass {
  gentle: boolean;
  todo: number[];
}

/** Whether a scan of this method and these parameters can back off (the method ablates, the rule is on). */
export function backoffEnabled(method: ScanMethod, params: BackoffParams): boolean {
  return METHOD_STAGES[method].ablation && params.ablationBackoffClasses > 0;
}

/** The classes whose reversed trigger stayed below ablationBackoffAsr, in class order. */
export function failedClasses(
  classes: readonly Pick<ClassFinding, 'index' | 'asr'>[],
  params: BackoffParams,
): number[] {
  return classes
    .filter((c) => backoffFailed(c.asr, params))
    .map((c) => c.index)
    .sort((a, b) => a - b);
}

/** The first pass's failed classes, from findings of either pass (a second-pass finding carries its first). */
export function firstPassFailures(findings: readonly ClassFinding[], params: BackoffParams): number[] {
  return failedClasses(
    findings.map((f) => ({ index: f.index, asr: f.firstPass?.asr ?? f.asr })),
    params,
  );
}

/** Whether a complete first pass sends the model to the gentler second pass. */
export function backsOff(
  firstPass: readonly Pick<ClassFinding, 'index' | 'asr'>[],
  method: ScanMethod,
  params: BackoffParams,
): boolean {
  return backoffEnabled(method, params) && failedClasses(firstPass, params).length >= params.ablationBackoffClasses;
}

/**
 * What a scan with these findings computes next; null when it is complete. Classes without a finding
 * come first, at the scan's rate; then, a finding with a first pass means the scan backed off: the
 * classes without one are still to do at the gentle rate.
 */
export function nextPass(
  findings: ReadonlyMap<number, ClassFinding>,
  numClasses: number,
  method: ScanMethod,
  params: BackoffParams,
): ScanPass | null {
  const all = Array.from({ length: numClasses }, (_, k) => k);
  // A class with no finding at all needs its first pass before anything else.
  const missing = all.filter((k) => !findings.has(k));
  if (missing.length > 0) return { gentle: false, todo: missing };
  if (all.some((k) => findings.get(k)!.firstPass)) {
    const todo = all.filter((k) => !findings.get(k)!.firstPass);
    return todo.length > 0 ? { gentle: true, todo } : null;
  }
  return backsOff([...findings.values()], method, params) ? { gentle: true, todo: all } : null;
}

/** A class's second-pass finding with what its first pass measured. */
export function withFirstPass(second: ClassFinding, first: ClassFinding): ClassFinding {
  if (first.index !== second.index || first.firstPass)
    throw new Error(`class ${second.index}: a first pass is a single-pass finding of the same class`);
  const firstPass: FirstPassMeasure = {
    asr: first.asr,
    maskL1: first.maskL1,
    ablationSteps: first.ablationSteps,
    ablatedAccTarget: first.ablatedAccTarget,
  };
  return { ...second, firstPass };
}
