/**
 * Examiners' Ed25519 signing keys, one per examiner, generated on first use under the data folder:
 * keys/<examiner>.key (PKCS#8 PEM, mode 0600) and keys/<examiner>.pub (SPKI PEM, for export).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UmaError } from '../../shared/errors.ts';
import { keyidOf } from './dsse.ts';

export interface ExaminerKey {
  examiner: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
  keyid: string;
  keyFile: string;
  pubFile: string;
}

/** A file name for the examiner: names are free text, file names must not be. */
export function keyFileStem(examiner: string): string {
  const stem = examiner
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '');
  if (!stem) throw new UmaError('BAD_INPUT', `examiner name '${examiner}' has no characters usable in a key file name`);
  return stem;
}

export function examinerKey(keysDir: string, examiner: string): ExaminerKey {
  const stem = keyFileStem(examiner);
  const keyFile = path.join(keysDir, `${stem}.key`);
  const pubFile = path.join(keysDir, `${stem}.pub`);
  fs.mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(keyFile)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    try {
      // 'wx': if another process created the key meanwhile, keep theirs.
      fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      fs.chmodSync(keyFile, 0o600); // whatever the umask
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const mode = fs.statSync(keyFile).mode & 0o777;
  if (mode & 0o077)
    throw new UmaError(
      'INTEGRITY',
      `private key ${keyFile} is readable by others (mode ${mode.toString(8)}); chmod 600 it`,
    );
  const privateKey = createPrivateKey(fs.readFileSync(keyFile));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new UmaError('INTEGRITY', `${keyFile} is not an Ed25519 key`);
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  if (!fs.existsSync(pubFile) || fs.readFileSync(pubFile, 'utf8') !== publicKeyPem)
    fs.writeFileSync(pubFile, publicKeyPem, { mode: 0o644 });
  return { examiner, privateKey, publicKey, publicKeyPem, keyid: keyidOf(publicKey), keyFile, pubFile };
}

/** Reads a public key PEM (an exported .pub or a --trust file). */
export function readPublicKey(pem: string | Uint8Array): KeyObject {
  try {
    const key = createPublicKey(typeof pem === 'string' ? pem : Buffer.from(pem));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (err) {
    throw new UmaError('BAD_INPUT', `not an Ed25519 public key PEM: ${(err as Error).message}`);
  }
}
