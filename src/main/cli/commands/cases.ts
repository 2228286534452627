import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyAuditLog } from '../../cases/audit.ts';
import { listCases } from '../../cases/cases.ts';
import { openCaseDb } from '../../cases/open.ts';
import { listEvidence } from '../../cases/evidence.ts';
import { listReports } from '../../cases/reports.ts';
import { listScans } from '../../cases/scans.ts';
import { defaultDbPath } from '../../cases/paths.ts';
import { synchronousRun, type Command } from '../command.ts';
import { chainStatusLine } from './audit.ts';
import { raisedClasses, ruleOf } from '../../../shared/calibration-record.ts';
import type { ThresholdCalibrationRecord } from '../../../shared/results.ts';

/**
 * A calibration's threshold in a line; per class the scan's own is only every class's floor, so the
 * classes raised above it are counted instead.
 */
function statedThreshold(c: ThresholdCalibrationRecord): string {
  if (ruleOf(c) !== 'class') return String(c.threshold);
  return `per class (${raisedClasses(c).length} above ${c.base})`;
}

export const cases: Command = {
  name: 'cases',
  summary: 'list the cases in the case database, with their evidence and scans',
  usage: `uma cases [--db FILE] [--json]

Lists every case with its evidence (sha256 at intake) and its scans (method, status, verdict,
score, suspected target, reports exported), then the audit log's state (uma audit shows where a
break is). The database defaults to $UMA_HOME/cases.sqlite, else
~/.uma/cases.sqlite.`,
  run: synchronousRun((argv, io) => {
    const { values } = parseArgs({
      args: argv,
      options: { db: { type: 'string' }, json: { type: 'boolean', default: false } },
      strict: true,
    });
    const dbPath = values.db ?? defaultDbPath();
    if (!fs.existsSync(dbPath)) {
      if (values.json) io.out('[]');
      else io.out(`no cases: there is no case database at ${dbPath}`);
      return 0;
    }
    const cdb = openCaseDb({ path: dbPath, mustExist: true });
    try {
      const all = listCases(cdb).map((c) => ({
        ...c,
        evidence: listEvidence(cdb, c.id).map((e) => ({
          id: e.id,
          name: e.displayName,
          sha256: e.sha256,
          size: e.size,
          match: e.match,
          format: e.format,
          // A Keras weights-only model's architecture JSON, taken in with it (its own sha256).
          architecture: e.files.find((f) => f.role === 'architecture'),
        })),
        scans: listScans(cdb, c.id).map((s) => ({
          id: s.id,
          evidenceId: s.evidenceId,
          method: s.method,
          status: s.status,
          verdict: s.verdict,
          score: s.score,
          target: s.target,
          targetName: s.target === null ? null : (s.classNames[s.target] ?? null),
          started: s.started,
          finished: s.finished,
          error: s.error,
          reports: listReports(cdb, s.id).map((r) => r.path),
          calibration: s.calibration,
        })),
      }));
      if (values.json) {
        io.out(JSON.stringify(all, null, 2));
        return 0;
      }
      if (all.length === 0) io.out(`no cases in ${cdb.paths.db}`);
      for (const c of all) {
        io.out(
          `case ${c.id}  ${c.name}${c.number ? `  no. ${c.number}` : ''}  examiner ${c.examiner ?? '-'}  created ${c.created}`,
        );
        for (const e of c.evidence) {
          io.out(
            `  evidence ${e.id}  ${e.name}  ${e.size} bytes  sha256 ${e.sha256}${e.match === 'none' ? '' : `  expected: ${e.match}`}`,
          );
          if (e.architecture) io.out(`    with architecture ${e.architecture.name}  sha256 ${e.architecture.sha256}`);
        }
        for (const s of c.scans) {
          const verdict = s.verdict
            ? `  ${s.verdict}  score ${s.score?.toFixed(2)}${s.target === null ? '' : `  target ${s.target} (${s.targetName})`}`
            : '';
          const reports = s.reports.length ? `  reports ${s.reports.length}` : '';
          const calibrated = s.calibration
            ? `  threshold ${statedThreshold(s.calibration)} calibrated on scans ${s.calibration.clean.map((k) => k.scanId).join(',')}`
            : '';
          io.out(
            `  scan ${s.id}  evidence ${s.evidenceId}  ${s.method}  ${s.status}${verdict}${calibrated}  started ${s.started ?? '-'}${reports}${s.error ? `  (${s.error})` : ''}`,
          );
        }
      }
      // The listing is only as good as the log behind it: say whether the chain holds.
      io.out(chainStatusLine(verifyAuditLog(cdb)));
      return 0;
    } finally {
      cdb.sql.close();
    }
  }),
};
