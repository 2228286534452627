import { describe, expect, it } from 'vitest';
import {
  ablationStopRule,
  plateaued,
  shouldStop,
  type AblationTrace,
} from '../../../src/main/engine/scan/uma/ablation-stop.ts';
import { AUTHORS_PROFILE, DEFAULT_PROFILE } from '../../../src/shared/scan-params.ts';

const steps = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

describe('ablation early stop', () => {
  it('stops when the mean over the last window falls below the threshold', () => {
    expect(shouldStop([0.01, 0.01], 3, 0.05)).toBe(false);
    expect(shouldStop([0.9, 0.04, 0.04, 0.04], 3, 0.05)).toBe(true);
    expect(shouldStop([0.04, 0.04, 0.2], 3, 0.05)).toBe(false);
  });

  it('finds a plateau only after `patience` steps without a relative improvement beyond tol', () => {
    const falling = steps(40, (i) => 10 - i * 0.2);
    expect(plateaued(falling, 5, 10, 0.01)).toBe(false);
    const flat = [...falling, ...steps(10, () => 2.2)];
    // the window still holds falling values for the first steps after the fall: not a plateau yet
    expect(plateaued(flat, 5, 10, 0.01)).toBe(false);
    const flatter = [...falling, ...steps(15, () => 2.2)];
    expect(plateaued(flatter, 5, 10, 0.01)).toBe(true);
    // a slow fall of 0.5% per step is an improvement at tol 1% over 10 steps; at tol 10% it is not
    const slow = steps(60, (i) => 5 * 0.995 ** i);
    expect(plateaued(slow, 5, 10, 0.01)).toBe(false);
    expect(plateaued(slow, 5, 10, 0.1)).toBe(true);
    expect(plateaued(flatter, 5, 0, 0.01)).toBe(false);
    expect(
      plateaued(
        steps(14, () => 1),
        5,
        10,
        0.01,
      ),
    ).toBe(false);
  });

  it("names the first rule that holds, with the authors' profile using the probability rule alone", () => {
    const n = 80;
    // a weakly trained model: own-class probability stuck at 0.08, accuracy at 0.02, unlearning loss flat
    const weak: AblationTrace = { prob: steps(n, () => 0.08), acc: steps(n, () => 0.02), unlearn: steps(n, () => 1.5) };
    expect(ablationStopRule(weak, AUTHORS_PROFILE)).toBeNull();
    expect(ablationStopRule(weak, { ...AUTHORS_PROFILE, ablationStopAcc: 0.05 })).toBe('accuracy');
    expect(ablationStopRule(weak, { ...AUTHORS_PROFILE, ablationPlateauSteps: 50 })).toBe('plateau');
    // the default profile stops it before the epoch cap
    expect(ablationStopRule(weak, DEFAULT_PROFILE)).not.toBeNull();
    const unlearned: AblationTrace = { ...weak, prob: steps(n, () => 0.01) };
    expect(ablationStopRule(unlearned, AUTHORS_PROFILE)).toBe('probability');
    // still learning: accuracy above the threshold and the loss falling
    const learning: AblationTrace = {
      prob: steps(n, () => 0.5),
      acc: steps(n, () => 0.4),
      unlearn: steps(n, (i) => 5 - 0.05 * i),
    };
    expect(
      ablationStopRule(learning, { ...AUTHORS_PROFILE, ablationStopAcc: 0.05, ablationPlateauSteps: 50 }),
    ).toBeNull();
  });
});
