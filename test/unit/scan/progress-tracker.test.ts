/** The tracker's per-worker lines: a step report names its worker, start and idle come from the executor. */
import { describe, expect, it } from 'vitest';
import { idleWorker } from '../../../src/main/engine/scan/executor.ts';
import { ProgressTracker } from '../../../src/main/engine/scan/progress-tracker.ts';

describe('ProgressTracker workers', () => {
  it('keeps one line per worker: idle at first, its last step report, idle again when its task ends', () => {
    const t = new ProgressTracker(3, true, true, [], [1, 2]);
    expect(t.snapshot().workers).toEqual([idleWorker(1), idleWorker(2)]);
    t.setWorker({ worker: 2, stage: 'reference', classIndex: null, step: 0, steps: 0 });
    const p = t.update({ stage: 'ablation', classIndex: 1, step: 3, steps: 10 }, 1);
    expect(p.workers).toEqual([
      { worker: 1, stage: 'ablation', classIndex: 1, step: 3, steps: 10 },
      { worker: 2, stage: 'reference', classIndex: null, step: 0, steps: 0 },
    ]);
    // The pipeline's own reports (no worker) change no worker's line; an unknown worker is ignored.
    t.update({ stage: 'prepare', classIndex: null, step: 1, steps: 2 });
    t.setWorker({ worker: 9, stage: 'transfer', classIndex: 0, step: 0, steps: 0 });
    t.setWorker(idleWorker(1));
    const last = t.snapshot();
    expect(last.workers.map((w) => [w.worker, w.stage])).toEqual([
      [1, null],
      [2, 'reference'],
    ]);
    // The snapshot repeats the last step report it was given.
    expect(last).toMatchObject({ stage: 'prepare', step: 1, steps: 2 });
  });
});
