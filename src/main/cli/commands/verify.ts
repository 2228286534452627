import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { VerificationStatus } from '../../../shared/api.ts';
import { UmaError } from '../../../shared/errors.ts';
import { dataPaths, defaultDbPath } from '../../cases/paths.ts';
import { trustedKeys } from '../../reports/trust.ts';
import { verifyArchive } from '../../reports/verify.ts';
import type { Command } from '../command.ts';

/** Exit codes: an intact archive by an unknown signer must not pass as verified, nor look altered. */
export const VERIFY_EXIT: Record<VerificationStatus, number> = { verified: 0, failed: 1, untrusted: 3 };

export const verify: Command = {
  name: 'verify',
  summary:
    "verify a signed scan report archive offline (every file, the signature, the signer's trust, optionally the model)",
  usage: `uma verify ARCHIVE.zip [--model FILE] [--trust KEY.pub]... [--db FILE] [--json]

Checks a report archive without network: the BagIt files (every file listed, none missing or added,
every sha256, both manifests and bag-info.txt exactly as signed), the DSSE envelope's Ed25519
signature with the key in the archive, the in-toto statement's types, each trigger image,
findings.json and the report documents against the signed digests, and that the signer is trusted:
one of this workstation's examiner keys or a key in its trust store (uma keys list; the data folder
is the one of --db, default $UMA_HOME or ~/.uma). --trust KEY.pub (repeatable) trusts exactly the
given keys instead. --model FILE also requires that the model file is the statement's subject.
Prints one PASS/FAIL/SKIP line per check, then VERIFIED, UNTRUSTED SIGNER or NOT VERIFIED.
Exit codes: 0 intact and signed by a trusted key; 3 intact but the signer is not trusted (anyone
can sign an archive with a key of their own); 1 altered, malformed or not the given model; 2 bad input.`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        trust: { type: 'string', multiple: true },
        db: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UmaError('BAD_INPUT', 'give exactly one archive to verify');
    const [archive] = positionals;
    for (const [what, file] of [
      ['archive', archive],
      ['--model file', values.model],
      ...(values.trust ?? []).map((t) => ['--trust key', t] as const),
    ]) {
      if (file !== undefined && !fs.existsSync(file)) throw new UmaError('NOT_FOUND', `${what} ${file} does not exist`);
    }
    const trusted = values.trust
      ? values.trust.map((file) => ({ name: file, publicKeyPem: fs.readFileSync(file, 'utf8') }))
      : trustedKeys(dataPaths(values.db ?? defaultDbPath()));
    const result = await verifyArchive(new Uint8Array(fs.readFileSync(archive)), { model: values.model, trusted });
    const code = VERIFY_EXIT[result.status];
    if (values.json) {
      io.out(
        JSON.stringify(
          { archive, ok: result.ok, status: result.status, signer: result.signer, checks: result.checks },
          null,
          2,
        ),
      );
      return code;
    }
    const width = Math.max(...result.checks.map((c) => c.name.length));
    for (const c of result.checks) io.out(`${c.status.toUpperCase().padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`);
    const p = result.statement?.predicate;
    const failed = result.checks.filter((c) => c.status === 'fail');
    const what = p
      ? `case '${p.case.name}' scan ${p.scan.id}, verdict ${p.verdict}${p.target === null ? '' : `, suspected target ${p.target} (${p.targetName})`}`
      : '';
    if (result.status === 'verified' && p) {
      const key = `key ${p.examiner.keyid.slice(0, 16)}…, trusted as ${result.signer?.trustedAs}`;
      io.out(`VERIFIED  ${archive}: ${what}; signed by ${p.examiner.name} (${key}) at ${p.signedAt}`);
    } else if (result.status === 'untrusted' && p) {
      io.out(
        `UNTRUSTED SIGNER  ${archive}: intact, but signed by key ${p.examiner.keyid.slice(0, 16)}…, which is not trusted here;` +
          ` it names '${p.examiner.name}' as examiner, which nobody vouches for. ${what}.`,
      );
      io.out(
        '                  If that examiner gave you their key: uma keys trust KEY.pub --name NAME, or verify with --trust KEY.pub',
      );
    } else
      io.out(`NOT VERIFIED  ${archive}: ${failed.length} check(s) failed: ${failed.map((c) => c.name).join(', ')}`);
    return code;
  },
};
