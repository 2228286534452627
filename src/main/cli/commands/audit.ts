import { parseArgs } from 'node:util';
import { UmaError } from '../../../shared/errors.ts';
import { listAudit, listCaseAudit, verifyAuditLog, type AuditVerification } from '../../cases/audit.ts';
import { getCase } from '../../cases/cases.ts';
import { openCaseDb } from '../../cases/open.ts';
import { synchronousRun, type Command } from '../command.ts';

/** One line on the chain's state, for `uma audit` and `uma cases`. */
export function chainStatusLine(v: AuditVerification): string {
  if (!v.ok) return `audit log: BROKEN at entry ${v.firstBadSeq}: ${v.reason}`;
  const anchor = v.anchor ? `, head ${v.head.seq} ${v.anchor.note}` : '';
  return `audit log: ${v.entries} entries, chain intact${anchor}`;
}

export const audit: Command = {
  name: 'audit',
  summary: "verify the case database's hash-chained audit log and print its entries",
  usage: `uma audit [--db FILE] [--case ID] [--json]

Checks the whole audit log: every entry chained to the one before (sha256), the heads that signed
reports recorded still in the chain, and the newest entry the one anchored outside the database in
FILE.audit-head (so deleting the newest entries shows). Then prints the entries, all of them or
those about one case (--case: the case, its evidence, scans and notes), and the chain's state.
Exit codes: 0 the chain is intact; 1 it is broken (the first entry that does not fit is named);
2 bad input. The database defaults to $UMA_HOME/cases.sqlite, else ~/.uma/cases.sqlite.`,
  run: synchronousRun((argv, io) => {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { db: { type: 'string' }, case: { type: 'string' }, json: { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length)
      throw new UmaError(
        'BAD_INPUT',
        `uma audit takes no arguments (got ${positionals.join(' ')}); see uma help audit`,
      );
    const caseId = values.case === undefined ? undefined : Number(values.case);
    if (caseId !== undefined && !(Number.isInteger(caseId) && caseId > 0))
      throw new UmaError('BAD_INPUT', `--case ${values.case} is not a case id (see uma cases)`);
    const cdb = openCaseDb({ path: values.db, mustExist: true });
    try {
      if (caseId !== undefined) getCase(cdb, caseId);
      const v = verifyAuditLog(cdb);
      const entries = caseId === undefined ? listAudit(cdb) : listCaseAudit(cdb, caseId);
      if (values.json) {
        io.out(JSON.stringify({ db: cdb.paths.db, verification: v, entries }, null, 2));
        return v.ok ? 0 : 1;
      }
      const width = String(v.entries).length;
      for (const e of entries) {
        const mark = !v.ok && e.seq === v.firstBadSeq ? '  <-- BROKEN HERE' : '';
        io.out(
          `${String(e.seq).padStart(width)}  ${e.time}  ${e.actor}  ${e.action}  ${e.target}  ${JSON.stringify(e.details)}${mark}`,
        );
      }
      io.out(`${chainStatusLine(v)}  (${cdb.paths.db})`);
      return v.ok ? 0 : 1;
    } finally {
      cdb.sql.close();
    }
  }),
};
