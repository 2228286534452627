/**
 * DSSE envelopes (https://github.com/secure-systems-lab/dsse, protocol.md) signed with Ed25519.
 * The signature covers PAE(payloadType, payload), never the JSON around it:
 *   "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths as ASCII decimal byte counts.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { sha256Hex } from '../util/digest.ts';

export interface DsseSignature {
  keyid: string;
  sig: string;
}

export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: DsseSignature[];
}

export function pae(payloadType: string, body: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

/** keyid = sha256 hex of the public key's SubjectPublicKeyInfo DER. */
export function keyidOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return sha256Hex(pub.export({ type: 'spki', format: 'der' }));
}

export function signEnvelope(payloadType: string, body: Uint8Array, privateKey: KeyObject): DsseEnvelope {
  const sig = sign(null, pae(payloadType, body), privateKey);
  return {
    payloadType,
    payload: Buffer.from(body).toString('base64'),
    signatures: [{ keyid: keyidOf(privateKey), sig: sig.toString('base64') }],
  };
}

/**
 * Strict base64: Node's decoder skips characters it does not know, so two different strings can
 * decode alike; a signed payload must have exactly one spelling.
 */
export function decodeBase64Strict(s: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return null;
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s ? bytes : null;
}

/** True when one of the envelope's signatures with this key's keyid verifies. */
export function verifyEnvelope(env: DsseEnvelope, publicKey: KeyObject): boolean {
  const body = decodeBase64Strict(env.payload);
  if (!body) return false;
  const keyid = keyidOf(publicKey);
  return env.signatures.some((s) => {
    const sig = decodeBase64Strict(s.sig);
    return s.keyid === keyid && sig !== null && verify(null, pae(env.payloadType, body), publicKey, sig);
  });
}

/** The one byte form an envelope file is written in; verification insists on it. */
export function serializeEnvelope(env: DsseEnvelope): string {
  return `${JSON.stringify({ payloadType: env.payloadType, payload: env.payload, signatures: env.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })) }, null, 2)}\n`;
}
