import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { UmaError } from '../../../shared/errors.ts';
import { dataPaths, defaultDbPath } from '../../cases/paths.ts';
import { findKnownKey, trustedKeys, trustKey, untrustKey } from '../../reports/trust.ts';
import { synchronousRun, type Command } from '../command.ts';

export const keys: Command = {
  name: 'keys',
  summary: "the keys verification trusts: list them, export an examiner's, trust or untrust another's",
  usage: `uma keys list [--db FILE] [--json]
uma keys export EXAMINER|KEYID [--out FILE] [--db FILE]
uma keys trust KEY.pub --name NAME [--db FILE]
uma keys untrust KEYID [--db FILE]

A report verifies (uma verify, exit 0) only when its signer is trusted: one of this workstation's
examiner keys (keys/<examiner>.pub, made when an examiner first signs) or a key in its trust store
(trusted-keys.json), both in the data folder of --db (default $UMA_HOME, else ~/.uma).
list      every trusted key: name, where it comes from, keyid
export    an examiner's public key (by name) or any trusted key (by keyid or 8+ digit prefix), as
          PEM to stdout or --out, for the people who will verify your reports
trust     adds another examiner's public key (PEM) under a NAME saying who holds it
untrust   removes a key from the trust store (own examiner keys stay trusted while their file exists)`,
  run: synchronousRun((argv, io) => {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        db: { type: 'string' },
        json: { type: 'boolean', default: false },
        out: { type: 'string' },
        name: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
    const [action, arg, ...more] = positionals;
    const paths = dataPaths(values.db ?? defaultDbPath());
    const needs = (what: string): string => {
      if (arg === undefined || more.length)
        throw new UmaError('BAD_INPUT', `uma keys ${action} takes exactly one ${what}`);
      return arg;
    };
    switch (action) {
      case 'list': {
        const all = trustedKeys(paths).map(({ name, keyid, source, file }) => ({ name, keyid, source, file }));
        if (values.json) io.out(JSON.stringify(all, null, 2));
        else if (all.length === 0)
          io.out(`no trusted keys in ${paths.dataDir} (an examiner's key is made when they first sign a report)`);
        else {
          const width = Math.max(...all.map((k) => k.name.length));
          for (const k of all) io.out(`${k.name.padEnd(width)}  ${k.source.padEnd(8)}  ${k.keyid}  ${k.file}`);
        }
        return 0;
      }
      case 'export': {
        const key = findKnownKey(paths, needs('examiner name or keyid'));
        if (values.out) {
          fs.writeFileSync(values.out, key.publicKeyPem, { mode: 0o644 });
          io.out(`wrote ${values.out}: ${key.name}'s public key ${key.keyid}`);
        } else io.out(key.publicKeyPem.trimEnd());
        return 0;
      }
      case 'trust': {
        const file = needs('public key file');
        if (!values.name) throw new UmaError('BAD_INPUT', '--name NAME is required: say who holds the key');
        if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile())
          throw new UmaError('NOT_FOUND', `key file ${file} does not exist or is not a file`);
        if (fs.statSync(file).size > 10_000)
          throw new UmaError('BAD_INPUT', `${file} is too large to be an Ed25519 public key PEM`);
        const key = trustKey(paths, fs.readFileSync(file), values.name);
        io.out(
          key.source === 'examiner'
            ? `${key.keyid} is examiner '${key.name}''s own key: trusted already`
            : `trusted ${key.keyid} as '${key.name}' (${key.file})`,
        );
        return 0;
      }
      case 'untrust': {
        const key = untrustKey(paths, needs('keyid'));
        io.out(`no longer trusted: ${key.keyid} ('${key.name}')`);
        return 0;
      }
      default:
        throw new UmaError(
          'BAD_INPUT',
          `uma keys needs an action: list, export, trust or untrust${action ? ` (not '${action}')` : ''}`,
        );
    }
  }),
};
