import fs from 'node:fs';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeBase64Strict,
  keyidOf,
  pae,
  serializeEnvelope,
  signEnvelope,
  verifyEnvelope,
} from '../../../src/main/reports/dsse.ts';
import { examinerKey, keyFileStem, readPublicKey } from '../../../src/main/reports/keys.ts';
import { sha256Hex } from '../../../src/main/util/digest.ts';
import { tempDir } from '../../fixtures/reports/scan-fixture.ts';

const dir = tempDir('uma-keys-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('DSSE with Ed25519', () => {
  it('PAE is the DSSE spec encoding, with byte lengths', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
    // Lengths count bytes, not characters.
    expect(pae('t', Buffer.from('é', 'utf8')).toString('utf8')).toBe('DSSEv1 1 t 2 é');
    expect(pae('', new Uint8Array()).toString()).toBe('DSSEv1 0  0 ');
  });

  it('signs and verifies; any change of type, payload, signature or key fails', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519').publicKey;
    const env = signEnvelope('application/vnd.in-toto+json', Buffer.from('{"a":1}'), privateKey);
    expect(env.signatures[0].keyid).toBe(sha256Hex(publicKey.export({ type: 'spki', format: 'der' })));
    expect(verifyEnvelope(env, publicKey)).toBe(true);
    expect(verifyEnvelope({ ...env, payloadType: 'application/json' }, publicKey)).toBe(false);
    expect(verifyEnvelope({ ...env, payload: Buffer.from('{"a":2}').toString('base64') }, publicKey)).toBe(false);
    const sig = Buffer.from(env.signatures[0].sig, 'base64');
    sig[10] ^= 1;
    expect(
      verifyEnvelope({ ...env, signatures: [{ ...env.signatures[0], sig: sig.toString('base64') }] }, publicKey),
    ).toBe(false);
    expect(verifyEnvelope(env, other)).toBe(false);
    expect(JSON.parse(serializeEnvelope(env))).toEqual(env);
  });

  it('base64 must have one spelling (Node would skip stray characters)', () => {
    expect(decodeBase64Strict('aGk=')?.toString()).toBe('hi');
    expect(Buffer.from('aG@k=', 'base64').toString()).toBe('hi'); // what the strict decoder guards against
    for (const bad of ['aG@k=', 'aGk', 'aGk=\n', 'aGl=', ' aGk=']) expect(decodeBase64Strict(bad), bad).toBeNull();
  });

  it('examiner keys are generated once, private 0600, public exportable, keyid of the SPKI DER', () => {
    const k1 = examinerKey(path.join(dir, 'keys'), 'Alice Example');
    expect(path.basename(k1.keyFile)).toBe('alice-example.key');
    expect(fs.statSync(k1.keyFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(k1.pubFile, 'utf8')).toBe(k1.publicKeyPem);
    expect(k1.keyid).toBe(keyidOf(readPublicKey(k1.publicKeyPem)));
    expect(keyidOf(k1.privateKey)).toBe(k1.keyid);
    const k2 = examinerKey(path.join(dir, 'keys'), 'Alice Example');
    expect(k2.keyid).toBe(k1.keyid);
    expect(examinerKey(path.join(dir, 'keys'), 'bob').keyid).not.toBe(k1.keyid);
    fs.chmodSync(k1.keyFile, 0o644);
    expect(() => examinerKey(path.join(dir, 'keys'), 'Alice Example')).toThrow(/readable by others/);
    expect(() => keyFileStem('../..')).toThrow(/no characters/);
    expect(() =>
      readPublicKey(
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      ),
    ).toThrow(/Ed25519/);
  });
});
