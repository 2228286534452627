/**
 * `uma`: the command-line face of the workstation. Subcommands are registered in COMMANDS; each owns
 * its argument parsing (node:util parseArgs) and returns an exit code.
 */
import { UmaError } from '../../shared/errors.ts';
import type { CliIO, Command } from './command.ts';
import { doctor } from './commands/doctor.ts';
import { inspect } from './commands/inspect.ts';
import { resume } from './commands/resume.ts';
import { scan } from './commands/scan.ts';
import { verify } from './commands/verify.ts';
import { cases } from './commands/cases.ts';
import { report } from './commands/report.ts';
import { serve } from './commands/serve.ts';
import { zoo } from './commands/zoo.ts';
import { bench } from './commands/bench.ts';
import { keys } from './commands/keys.ts';
import { audit } from './commands/audit.ts';
import { batch } from './commands/batch.ts';
import { calibrate } from './commands/calibrate.ts';
import { worker } from './commands/worker.ts';

const COMMANDS: Command[] = [
  scan,
  resume,
  batch,
  worker,
  doctor,
  verify,
  cases,
  report,
  keys,
  audit,
  inspect,
  calibrate,
  zoo,
  bench,
  serve,
];

function defaultIO(): CliIO {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    isTTY: Boolean(process.stderr.isTTY),
  };
}

function help(io: CliIO): void {
  io.out('uma: scan image classifiers for backdoors (UMA, Unlearning-based Model Ablation)\n');
  io.out('usage: uma <command> [options]\n');
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  for (const c of COMMANDS) io.out(`  ${c.name.padEnd(width)}  ${c.summary}`);
  io.out("\numa help <command> shows a command's options.");
}

export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const target = rest[0] && COMMANDS.find((c) => c.name === rest[0]);
    if (target) io.out(target.usage);
    else help(io);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`uma: unknown command '${name}'. Run 'uma help' for the list.`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UmaError) {
      io.err(`uma ${name}: ${err.message}`);
      return 2;
    }
    // parseArgs reports unknown or malformed options with a code; they are the user's to fix.
    const code = (err as { code?: string }).code;
    if (code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`uma ${name}: ${(err as Error).message}. Run 'uma help ${name}'.`);
      return 2;
    }
    io.err(`uma ${name}: internal error: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}
