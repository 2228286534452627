/** `uma` as a real child process for the batch tests: its output lines as they come, waits on them, and its exit. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const UMA = path.resolve(import.meta.dirname, '../../../bin/uma.mjs');

export interface UmaProcess {
  child: ChildProcess;
  /** stderr and stdout lines so far, in arrival order. */
  lines: string[];
  /** Resolves with the first line matching `re` (already printed or still to come). */
  waitFor(re: RegExp, what: string): Promise<string>;
  /** Resolves once `count` lines matched `re`. */
  waitForCount(re: RegExp, count: number, what: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

export function uma(args: string[]): UmaProcess {
  // UMA_TEST: the queue URL is refused unless it is loopback, in the worker and the coordinator alike.
  const child = spawn(process.execPath, [UMA, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, UMA_TEST: '1' },
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let exitedYet = false;
  const feed = (stream: NodeJS.ReadableStream) => {
    let rest = '';
    stream.on('data', (d: Buffer) => {
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop()!;
      lines.push(...parts);
      for (const w of [...waiters]) w();
    });
  };
  feed(child.stdout);
  feed(child.stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      exitedYet = true;
      for (const w of [...waiters]) w();
      resolve({ code, signal });
    }),
  );
  const output = () => lines.join('\n');
  const waitUntil = (ok: () => string | undefined, what: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const hit = ok();
        if (hit !== undefined) {
          waiters.delete(check);
          resolve(hit);
        } else if (exitedYet) {
          waiters.delete(check);
          reject(new Error(`uma ${args[0]} exited before ${what}:\n${output()}`));
        }
      };
      waiters.add(check);
      check();
    });
  return {
    child,
    lines,
    exited,
    output,
    waitFor: (re, what) => waitUntil(() => lines.find((l) => re.test(l)), what),
    waitForCount: async (re, count, what) => {
      await waitUntil(() => (lines.filter((l) => re.test(l)).length >= count ? 'yes' : undefined), what);
    },
  };
}
