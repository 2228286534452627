/**
 * The shape of one `uma` subcommand. Each lives in its own file under commands/ and is listed once in
 * index.ts. Commands return an exit code; they throw UmaError for bad input, which the entry point
 * prints as one clear line (exit 2) instead of a stack trace.
 */
export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
  /** True when stderr is a terminal (progress bars), false in CI and pipes (one line per event). */
  isTTY: boolean;
}

export interface Command {
  name: string;
  /** One line for `uma help`. */
  summary: string;
  /** Full usage text for `uma help NAME` and `uma NAME --help`. */
  usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/**
 * `run` for a command whose work is synchronous. It still answers with a promise, and what the work throws
 * becomes that promise's rejection, as it would from an async function.
 */
export function synchronousRun(work: (argv: string[], io: CliIO) => number): Command['run'] {
  return (argv, io) => new Promise((resolve) => resolve(work(argv, io)));
}
