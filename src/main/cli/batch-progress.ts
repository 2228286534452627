/**
 * `uma batch` on the terminal: one line per model, redrawn in place on a TTY (a bar each), and in a
 * log (CI, a pipe) a line only when a model's state or its count of finished classes changed.
 */
import type { ItemStatus } from '../batch/coordinator.ts';
import type { CliIO } from './command.ts';

function line(s: ItemStatus, width: number, bar: boolean): string {
  const name = s.model.length > width ? `...${s.model.slice(-(width - 3))}` : s.model.padEnd(width);
  const fill = Math.round(Math.min(1, s.fraction) * 20);
  const shown = bar ? `[${'#'.repeat(fill)}${'.'.repeat(20 - fill)}] ` : '';
  const where = s.worker ? ` on ${s.worker}` : '';
  const what =
    s.state === 'completed'
      ? `${s.verdict}, score ${s.score?.toFixed(2)}${where}`
      : s.state === 'failed'
        ? `FAILED: ${s.error}`
        : `${s.state}${s.attempt > 1 ? ` (attempt ${s.attempt})` : ''}${where}`;
  return `${name}  ${shown}classes ${s.classesDone}/${s.numClasses}  ${what}`;
}

export interface BatchPrinter {
  update: (items: ItemStatus[]) => void;
  /** A message between redraws; the next redraw starts below it. */
  log: (line: string) => void;
}

export function batchPrinter(io: CliIO): BatchPrinter {
  const last = new Map<string, string>();
  let drawn = 0;
  const log = (l: string) => {
    io.err(l);
    drawn = 0;
  };
  const update = (items: ItemStatus[]) => {
    const width = Math.min(40, Math.max(...items.map((s) => s.model.length)));
    if (io.isTTY) {
      // Up over the block drawn last time, then every line again.
      if (drawn > 0) process.stderr.write(`\x1b[${drawn}A`);
      for (const s of items) process.stderr.write(`\r\x1b[2K${line(s, width, true)}\n`);
      drawn = items.length;
      return;
    }
    for (const s of items) {
      const key = `${s.state}/${s.classesDone}/${s.worker}/${s.attempt}`;
      if (last.get(s.jobId) === key) continue;
      last.set(s.jobId, key);
      io.err(line(s, width, false));
    }
  };
  return { update, log };
}

/** The summary: model, verdict, score, target, seconds, worker. */
export function printBatchSummary(io: CliIO, items: ItemStatus[]): void {
  const width = Math.max(5, ...items.map((s) => s.model.length));
  io.out(`${'model'.padEnd(width)}  verdict   score  target  seconds  worker`);
  for (const s of items) {
    const verdict = s.state === 'completed' ? (s.verdict ?? '-') : s.state.toUpperCase();
    io.out(
      `${s.model.padEnd(width)}  ${verdict.padEnd(8)} ${(s.score?.toFixed(2) ?? '-').padStart(6)}  ${String(s.target ?? '-').padStart(6)}  ${(s.seconds?.toFixed(1) ?? '-').padStart(7)}  ${s.worker ?? '-'}` +
        (s.error ? `  (${s.error})` : ''),
    );
  }
}
