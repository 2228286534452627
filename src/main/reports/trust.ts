/**
 * The keys whose signatures verification accepts as trusted: the workstation's own examiner keys
 * (keys/<examiner>.pub, made when an examiner first signs) and the keys the analyst chose to trust
 * (trusted-keys.json in the data folder: name, keyid, public key PEM). A report signed by any other
 * key can be intact and still say nothing about who wrote it, so it never verifies as trusted.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KeyInfo } from '../../shared/api.ts';
import { UmaError } from '../../shared/errors.ts';
import type { DataPaths } from '../cases/paths.ts';
import { keyidOf } from './dsse.ts';
import { keyFileStem, readPublicKey } from './keys.ts';

export type KnownKey = KeyInfo & { publicKeyPem: string };

type KeyPaths = Pick<DataPaths, 'keysDir' | 'trustFile'>;

interface TrustFile {
  keys: { name: string; keyid: string; publicKeyPem: string; added: string }[];
}

/** The canonical PEM of a public key and its keyid; throws BAD_INPUT for anything not Ed25519. */
function canonicalKey(pem: string | Uint8Array): { keyid: string; publicKeyPem: string } {
  const key = readPublicKey(pem);
  return { keyid: keyidOf(key), publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString() };
}

export function examinerKeys(paths: KeyPaths): KnownKey[] {
  if (!fs.existsSync(paths.keysDir)) return [];
  return fs
    .readdirSync(paths.keysDir)
    .filter((f) => f.endsWith('.pub'))
    .sort()
    .map((file) => {
      const full = path.join(paths.keysDir, file);
      let key: { keyid: string; publicKeyPem: string };
      try {
        key = canonicalKey(fs.readFileSync(full));
      } catch (err) {
        throw new UmaError('INTEGRITY', `examiner key ${full}: ${(err as Error).message}`);
      }
      return { name: file.slice(0, -'.pub'.length), source: 'examiner' as const, file: full, ...key };
    });
}

function readTrustFile(paths: KeyPaths): TrustFile {
  if (!fs.existsSync(paths.trustFile)) return { keys: [] };
  try {
    const parsed = JSON.parse(fs.readFileSync(paths.trustFile, 'utf8')) as TrustFile;
    for (const k of parsed.keys) {
      if (canonicalKey(k.publicKeyPem).keyid !== k.keyid)
        throw new Error(`entry '${k.name}' names keyid ${k.keyid} for another key`);
    }
    return parsed;
  } catch (err) {
    throw new UmaError(
      'INTEGRITY',
      `the trust store ${paths.trustFile} is unreadable: ${(err as Error).message}; fix or remove it`,
    );
  }
}

const stored = (paths: KeyPaths, k: TrustFile['keys'][number]): KnownKey => ({
  name: k.name,
  keyid: k.keyid,
  source: 'trusted',
  file: paths.trustFile,
  publicKeyPem: k.publicKeyPem,
});

function writeTrustFile(paths: KeyPaths, store: TrustFile): void {
  fs.mkdirSync(path.dirname(paths.trustFile), { recursive: true });
  const tmp = `${paths.trustFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o644 });
  fs.renameSync(tmp, paths.trustFile);
}

export function storedTrustedKeys(paths: KeyPaths): KnownKey[] {
  return readTrustFile(paths).keys.map((k) => stored(paths, k));
}

/** Every key a signature is trusted from: the examiners' own first, then the trust store's. */
export function trustedKeys(paths: KeyPaths): KnownKey[] {
  return [...examinerKeys(paths), ...storedTrustedKeys(paths)];
}

/** Adds a public key (PEM) to the trust store under a name; trusting a trusted key again renames it. */
export function trustKey(paths: KeyPaths, pem: string | Uint8Array, name: string): KnownKey {
  const label = name.trim();
  if (!label) throw new UmaError('BAD_INPUT', 'a trusted key needs a name (who holds it)');
  const key = canonicalKey(pem);
  const own = examinerKeys(paths).find((k) => k.keyid === key.keyid);
  if (own) return own;
  const store = readTrustFile(paths);
  const keys = store.keys.filter((k) => k.keyid !== key.keyid);
  const entry = { name: label, ...key, added: new Date().toISOString() };
  writeTrustFile(paths, { keys: [...keys, entry] });
  return stored(paths, entry);
}

/** A key's keyid and the known key it is, if any: what the analyst confirms before trusting it. */
export function inspectKey(paths: KeyPaths, pem: string | Uint8Array): { keyid: string; known: KnownKey | null } {
  const { keyid } = canonicalKey(pem);
  return { keyid, known: trustedKeys(paths).find((k) => k.keyid === keyid) ?? null };
}

/** Removes a key from the trust store by keyid (a unique prefix of at least 8 hex digits will do). */
export function untrustKey(paths: KeyPaths, keyid: string): KnownKey {
  const want = keyid.trim().toLowerCase();
  if (!/^[0-9a-f]{8,64}$/.test(want)) throw new UmaError('BAD_INPUT', `'${keyid}' is not a keyid (8 to 64 hex digits)`);
  const own = examinerKeys(paths).find((k) => k.keyid.startsWith(want));
  if (own)
    throw new UmaError(
      'BAD_INPUT',
      `${own.keyid} is examiner '${own.name}''s own key (${own.file}); it stays trusted while that file exists`,
    );
  const store = readTrustFile(paths);
  const hits = store.keys.filter((k) => k.keyid.startsWith(want));
  if (hits.length === 0) throw new UmaError('NOT_FOUND', `no trusted key ${keyid} (see uma keys list)`);
  if (hits.length > 1)
    throw new UmaError('BAD_INPUT', `keyid prefix ${keyid} matches ${hits.length} keys; give more digits`);
  writeTrustFile(paths, { keys: store.keys.filter((k) => k !== hits[0]) });
  return stored(paths, hits[0]);
}

/** An examiner's public key (by examiner name) or any known key (by keyid), for handing to others. */
export function findKnownKey(paths: KeyPaths, examinerOrKeyid: string): KnownKey {
  const want = examinerOrKeyid.trim();
  const all = trustedKeys(paths);
  const stem = /^[^a-z0-9]*$/i.test(want) ? null : keyFileStem(want);
  const byName = all.find((k) => k.source === 'examiner' && k.name === stem);
  const byId = /^[0-9a-f]{8,64}$/i.test(want) ? all.filter((k) => k.keyid.startsWith(want.toLowerCase())) : [];
  const hit = byName ?? (byId.length === 1 ? byId[0] : undefined);
  if (!hit) {
    throw new UmaError(
      'NOT_FOUND',
      `no key for '${examinerOrKeyid}' (an examiner's key is made when they first sign a report; see uma keys list)`,
    );
  }
  return hit;
}
