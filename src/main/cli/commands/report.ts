import path from 'node:path';
import { parseArgs } from 'node:util';
import { UmaError } from '../../../shared/errors.ts';
import { openCaseDb } from '../../cases/open.ts';
import { getEvidence } from '../../cases/evidence.ts';
import { getScan } from '../../cases/scans.ts';
import { exportScanArchive } from '../../reports/export.ts';
import { examinerKey } from '../../reports/keys.ts';
import type { Command } from '../command.ts';

export const report: Command = {
  name: 'report',
  summary: 'export one scan as a signed report archive (HTML, PDF, findings, triggers, signature)',
  usage: `uma report SCAN_ID --out OUT.zip [--db FILE] [--examiner NAME] [--no-pdf]

Re-hashes the scan's evidence and verifies the audit log, then signs an in-toto statement of the
scan with the examiner's Ed25519 key (created on first use under the data folder's keys/) and
writes a BagIt zip: report.html, report.pdf (when /usr/bin/chromium exists), findings.json, the
trigger images, the signed envelope and the public key. Check it anywhere with 'uma verify'.`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        db: { type: 'string' },
        examiner: { type: 'string' },
        'no-pdf': { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    const scanId = Number(positionals[0]);
    if (positionals.length !== 1 || !Number.isInteger(scanId) || scanId <= 0)
      throw new UmaError('BAD_INPUT', 'give one scan id (see `uma cases`)');
    if (!values.out) throw new UmaError('BAD_INPUT', '--out OUT.zip is required');
    const cdb = openCaseDb({ path: values.db, mustExist: true });
    try {
      const out = await exportScanArchive(cdb, scanId, values.out, {
        examiner: values.examiner,
        pdf: !values['no-pdf'],
      });
      const p = out.statement.predicate;
      const evidence = getEvidence(cdb, getScan(cdb, scanId).evidenceId);
      const pub = examinerKey(cdb.paths.keysDir, p.examiner.name).pubFile;
      io.out(`wrote ${out.path}`);
      io.out(
        `  scan ${scanId} of case '${p.case.name}': ${p.verdict}${p.target === null ? '' : `, suspected target ${p.target} (${p.targetName})`}`,
      );
      io.out(`  signed by ${p.examiner.name}, key ${out.keyid} (public key: ${pub})`);
      io.out(`  PDF ${out.pdf ? 'included' : out.pdfNote}`);
      const model =
        evidence.files.length === 1
          ? ` --model ${path.join(cdb.paths.dataDir, evidence.storedPath, evidence.files[0].name)}`
          : '';
      io.out(`verify with: uma verify ${out.path}${model} --trust ${pub}`);
      return 0;
    } finally {
      cdb.sql.close();
    }
  },
};
