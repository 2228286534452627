import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UmaError } from '../../../shared/errors.ts';
import { BACKEND_CHOICES, isBackendChoice } from '../../engine/backend/index.ts';
import type { Command } from '../command.ts';
import { openCliSession, type CliSession } from '../service-session.ts';
import { printSummary } from './scan.ts';

const list = (ks: number[]): string => (ks.length === 0 ? 'none' : ks.join(', '));

/** Interrupted scans this command resumes: not those a batch's queue runs (uma batch --resume follows them). */
async function interruptedHere(session: CliSession): Promise<number[]> {
  const ids = [];
  for (const s of await session.call('scans/list', {})) {
    if (s.status === 'interrupted' && (await session.call('scans/get', { scanId: s.id })).resumable) ids.push(s.id);
  }
  return ids;
}

export const resume: Command = {
  name: 'resume',
  summary: 'finish interrupted scans, recomputing only the classes without a stored result',
  usage: `uma resume [SCAN_ID] [options]

Finishes a scan that stopped before it completed (its process was killed, the machine went down, the
app closed): the classes already stored are kept, the others are computed, then every class is scored.
Without SCAN_ID every interrupted scan of the database is resumed, one after the other, except the
scans of a 'uma batch' (its queue's workers run them; 'uma batch --resume' follows them again).
With SCAN_ID a cancelled or failed scan resumes too.

options:
  --db FILE       case database (default $UMA_HOME/cases.sqlite or ~/.uma/cases.sqlite)
  --backend B     ${BACKEND_CHOICES.join(' | ')} (default auto)
  --json OUT      write the result document of the (last) resumed scan (- for stdout)

Exit code 0 when every scan finished (or none was interrupted); 2 on bad input.`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { db: { type: 'string' }, backend: { type: 'string', default: 'auto' }, json: { type: 'string' } },
    });
    if (positionals.length > 1) throw new UmaError('BAD_INPUT', 'give at most one SCAN_ID');
    if (!isBackendChoice(values.backend))
      throw new UmaError('BAD_INPUT', `--backend must be one of ${BACKEND_CHOICES.join(', ')}`);
    const given = positionals[0] === undefined ? undefined : Number(positionals[0]);
    if (given !== undefined && !(Number.isInteger(given) && given > 0))
      throw new UmaError('BAD_INPUT', `SCAN_ID must be a positive integer, not '${positionals[0]}'`);

    const session = await openCliSession({ db: values.db, backend: values.backend }, io);
    try {
      const ids = given !== undefined ? [given] : await interruptedHere(session);
      if (ids.length === 0) io.out(`no interrupted scans in ${session.dbPath}`);
      for (const scanId of ids) {
        const before = await session.call('scans/get', { scanId });
        const kept = before.findings.map((f) => f.index);
        const { jobId, todo } = await session.call('scans/resume', { scanId });
        io.out(`scan ${scanId}: kept classes ${list(kept)}; computing classes ${list(todo)}`);
        const result = await session.follow(jobId, before.scan.numClasses, before.findings);
        printSummary(io, result);
        if (values.json === '-') io.out(JSON.stringify(result, null, 2));
        else if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
      }
      return 0;
    } finally {
      await session.close();
    }
  },
};
