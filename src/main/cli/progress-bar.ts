/**
 * Scan progress on the terminal: a redrawn bar on a TTY, one line per finished class otherwise (logs).
 */
import type { ApiEvent } from '../../shared/api.ts';
import type { ClassFinding } from '../../shared/results.ts';
import type { CliIO } from './command.ts';

function eta(seconds: number | null): string {
  if (seconds === null) return '--:--';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * kept: classes stored by an earlier run of the scan, counted in the [i/N] of each line; a class the
 * ablation backoff scanned again (engine/scan/ablation-backoff.ts) counts in its second pass's count.
 */
export function progressPrinter(
  io: CliIO,
  numClasses: number,
  kept: readonly ClassFinding[] = [],
): (e: ApiEvent) => void {
  let finished = new Set(kept.map((f) => f.index)).size;
  let rescanned = kept.filter((f) => f.firstPass).length;
  let announced = false;
  const stderr = process.stderr;
  const say = (line: string) => {
    if (io.isTTY) stderr.write('\r\x1b[2K');
    io.err(line);
  };
  return (e) => {
    if (e.type === 'job/progress' && e.progress.rescan && !announced) {
      announced = true;
      const r = e.progress.rescan;
      say(
        `ablation backoff: after the first ablation, classes ${r.failedClasses.join(', ')} reversed no trigger; ` +
          `every class again at ablation rate ${r.ablationLr}`,
      );
    }
    if (e.type === 'job/progress' && io.isTTY) {
      const p = e.progress;
      const width = 30;
      const fill = Math.round(p.fraction * width);
      const what = `${p.rescan ? 'pass 2 ' : ''}${p.classIndex === null ? p.stage : `${p.stage} class ${p.classIndex}`}`;
      stderr.write(
        `\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(p.fraction * 100).toFixed(0).padStart(3)}%  eta ${eta(p.etaSeconds)}  ${what.padEnd(24)}`,
      );
    } else if (e.type === 'job/class-result') {
      const f = e.finding;
      const count = f.firstPass ? `second pass ${++rescanned}` : String(++finished);
      say(
        `class ${f.index} (${f.name}) done [${count}/${numClasses}]: ASR ${f.asr.toFixed(2)}, mask L1 ${f.maskL1.toFixed(1)}` +
          `${f.transferAsr === null ? '' : `, transfer ASR ${f.transferAsr.toFixed(2)}`}${f.ablatedAccTarget === null ? '' : `, ablated acc ${f.ablatedAccTarget.toFixed(2)}/${f.ablatedAccOther!.toFixed(2)}`} (${f.seconds.toFixed(1)} s)`,
      );
    } else if ((e.type === 'job/done' || e.type === 'job/failed') && io.isTTY) {
      stderr.write('\r\x1b[2K');
    }
  };
}
