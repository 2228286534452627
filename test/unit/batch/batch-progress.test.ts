/** uma batch's terminal output: a log line per change of a model's state, and the summary table. */
import { describe, expect, it } from 'vitest';
import type { ItemStatus } from '../../../src/main/batch/coordinator.ts';
import { batchPrinter, printBatchSummary } from '../../../src/main/cli/batch-progress.ts';

function status(over: Partial<ItemStatus>): ItemStatus {
  return {
    scanId: 1,
    jobId: 'b-scan-1',
    model: 'models/a.onnx',
    state: 'queued',
    numClasses: 10,
    classesDone: 0,
    fraction: 0,
    worker: null,
    attempt: 0,
    verdict: null,
    score: null,
    target: null,
    seconds: null,
    error: null,
    ...over,
  };
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), isTTY: false } };
}

describe('batchPrinter (not a terminal)', () => {
  it('prints a model again only when its state, classes, worker or attempt changed', () => {
    const c = capture();
    const p = batchPrinter(c.io);
    p.update([status({})]);
    p.update([status({})]);
    p.update([status({ state: 'running', worker: 'box1:42', classesDone: 3 })]);
    p.update([status({ state: 'running', worker: 'box1:42', classesDone: 3, fraction: 0.4 })]);
    p.update([status({ state: 'failed', error: 'BAD_DATA: no data', classesDone: 3 })]);
    expect(c.err).toEqual([
      'models/a.onnx  classes 0/10  queued',
      'models/a.onnx  classes 3/10  running on box1:42',
      'models/a.onnx  classes 3/10  FAILED: BAD_DATA: no data',
    ]);
  });
});

describe('printBatchSummary', () => {
  it('has a row per model: verdict, score, target, seconds, worker; a failed one says why', () => {
    const c = capture();
    printBatchSummary(c.io, [
      status({ state: 'completed', verdict: 'trojaned', score: 3.456, target: 7, seconds: 61.25, worker: 'box1:42' }),
      status({ model: 'b.onnx', state: 'failed', error: 'INTEGRITY: digest differs', worker: 'box2:7' }),
    ]);
    expect(c.out[0]).toMatch(/^model\s+verdict\s+score\s+target\s+seconds\s+worker$/);
    expect(c.out[1]).toMatch(/^models\/a\.onnx\s+trojaned\s+3\.46\s+7\s+61\.3\s+box1:42$/);
    expect(c.out[2]).toMatch(/^b\.onnx\s+FAILED\s+-\s+-\s+-\s+box2:7\s+\(INTEGRITY: digest differs\)$/);
  });
});
