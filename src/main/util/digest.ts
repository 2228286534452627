/**
 * Canonical JSON and sha256 helpers, one definition for the scanner, the case database and reports. Hash chains and signed digests must not depend on key order or
 * whitespace, so everything that is hashed goes through canonicalJson: object keys sorted by code
 * unit, no whitespace, numbers and strings as JSON.stringify writes them, undefined members dropped.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    if (s === undefined) throw new TypeError(`canonicalJson: ${typeof value} is not JSON`);
    return s;
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The digest of a model as evidence: one file's sha256 is its own (what `sha256sum model.onnx`
 * prints); several files (a TF.js model.json and its weight shards) are digested as the sha256 of
 * their `sha256sum`-style listing, sorted by name, so the order they were given in does not matter.
 */
export function combinedDigest(files: { name: string; sha256: string }[]): string {
  if (files.length === 1) return files[0].sha256;
  const lines = files
    .map((f) => `${f.sha256}  ${f.name}\n`)
    .sort()
    .join('');
  return sha256Hex(lines);
}
