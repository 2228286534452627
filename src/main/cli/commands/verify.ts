import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { UmaError } from '../../../shared/errors.ts';
import { verifyArchive } from '../../reports/verify.ts';
import type { Command } from '../command.ts';

export const verify: Command = {
  name: 'verify',
  summary: 'verify a signed scan report archive offline (signature, every digest, optionally the model)',
  usage: `uma verify ARCHIVE.zip [--model FILE] [--trust KEY.pub] [--json]

Checks a report archive without the case database or network: the BagIt manifests (every file
listed, none missing or added, every sha256), the DSSE envelope's Ed25519 signature with the key in
the archive, the in-toto statement's types, each trigger image, findings.json and the report
documents against the signed digests. --trust KEY.pub also requires that the signer is that key (the examiner's exported public
key); --model FILE also requires that the model file is the statement's subject.
Prints one PASS/FAIL/SKIP line per check; exits 1 when any check fails.`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { model: { type: 'string' }, trust: { type: 'string' }, json: { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UmaError('BAD_INPUT', 'give exactly one archive to verify');
    const [archive] = positionals;
    for (const [what, file] of [['archive', archive], ['--model file', values.model], ['--trust key', values.trust]] as const) {
      if (file !== undefined && !fs.existsSync(file)) throw new UmaError('NOT_FOUND', `${what} ${file} does not exist`);
    }
    const result = await verifyArchive(new Uint8Array(fs.readFileSync(archive)), {
      model: values.model,
      trust: values.trust === undefined ? undefined : fs.readFileSync(values.trust, 'utf8'),
    });
    if (values.json) {
      io.out(JSON.stringify({ archive, ok: result.ok, checks: result.checks }, null, 2));
      return result.ok ? 0 : 1;
    }
    const width = Math.max(...result.checks.map((c) => c.name.length));
    for (const c of result.checks) io.out(`${c.status.toUpperCase().padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`);
    const p = result.statement?.predicate;
    const failed = result.checks.filter((c) => c.status === 'fail');
    if (result.ok && p) {
      const target = p.target === null ? '' : `, suspected target ${p.target} (${p.targetName})`;
      io.out(`VERIFIED  ${archive}: case '${p.case.name}' scan ${p.scan.id}, verdict ${p.verdict}${target}; signed by ${p.examiner.name} (key ${p.examiner.keyid.slice(0, 16)}…) at ${p.signedAt}`);
      if (values.trust === undefined) io.out('          the signer was not checked against a trusted key: add --trust EXAMINER.pub to know who signed');
      return 0;
    }
    io.out(`NOT VERIFIED  ${archive}: ${failed.length} check(s) failed: ${failed.map((c) => c.name).join(', ')}`);
    return 1;
  },
};
