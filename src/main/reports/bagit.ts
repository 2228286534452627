/**
 * The archive: a zip in BagIt 1.0 layout (RFC 8493). Payload under data/, manifest-sha256.txt for
 * the payload, tagmanifest-sha256.txt for the tag files. Zip entries are stored with a fixed time,
 * so the same content gives the same bytes.
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { sha256Hex } from '../util/digest.ts';

export const BAGIT_TXT = 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n';
export const MANIFEST = 'manifest-sha256.txt';
export const TAGMANIFEST = 'tagmanifest-sha256.txt';
export const BAGIT = 'bagit.txt';
export const BAG_INFO = 'bag-info.txt';
const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');

export type BagFiles = Map<string, Uint8Array>;

/** `sha256  path` lines, sorted by path. */
export function manifestOf(files: [string, Uint8Array][]): string {
  return files
    .map(([p, bytes]) => `${sha256Hex(bytes)}  ${p}\n`)
    .sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1))
    .join('');
}

/**
 * bag-info.txt without its Payload-Oxum line: the part the signed statement covers by digest. The
 * Oxum (payload bytes and file count) includes the envelope, whose size depends on the statement,
 * so it cannot be signed; the verifier recomputes it from the payload instead.
 */
export function bagInfoFields(info: [string, string][]): string {
  return info.map(([k, v]) => `${k}: ${v.replace(/\s*\n\s*/g, ' ')}\n`).join('');
}

/** The Payload-Oxum line for these payload files: total bytes and file count. */
export function payloadOxumLine(payload: Uint8Array[]): string {
  return `Payload-Oxum: ${payload.reduce((s, b) => s + b.length, 0)}.${payload.length}\n`;
}

/** Builds the whole bag from payload files (paths relative to data/) and bag-info fields. */
export function buildBag(payload: BagFiles, info: [string, string][]): BagFiles {
  const bag: BagFiles = new Map();
  for (const [p, bytes] of payload) bag.set(`data/${p}`, bytes);
  const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');
  bag.set(BAGIT, text(BAGIT_TXT));
  bag.set(BAG_INFO, text(bagInfoFields(info) + payloadOxumLine([...payload.values()])));
  bag.set(MANIFEST, text(manifestOf([...bag].filter(([p]) => p.startsWith('data/')))));
  bag.set(TAGMANIFEST, text(manifestOf([...bag].filter(([p]) => !p.startsWith('data/')))));
  return bag;
}

/**
 * Stored, not deflated: every byte of a stored entry is file content, covered by the manifests, so
 * the strict container check (zipcheck.ts) can account for every byte. The PNGs and the PDF are
 * compressed already; the text files are small.
 */
export function zipBag(bag: BagFiles): Uint8Array {
  const z: Zippable = {};
  for (const [p, bytes] of [...bag].sort(([a], [b]) => (a < b ? -1 : 1)))
    z[p] = [bytes, { level: 0, mtime: FIXED_MTIME }];
  return zipSync(z);
}

/** Files of a zip (directories dropped); throws on a malformed zip. */
export function unzipBag(zip: Uint8Array): BagFiles {
  const out: BagFiles = new Map();
  for (const [p, bytes] of Object.entries(unzipSync(zip))) if (!p.endsWith('/')) out.set(p, bytes);
  return out;
}

export interface ManifestEntry {
  sha256: string;
  path: string;
}

/**
 * Parses a manifest strictly: lowercase 64-hex digest, whitespace, a relative path without '..'.
 * Returns the entries or the number of the first line that is not one.
 */
export function parseManifest(text: string): { entries: ManifestEntry[] } | { badLine: number } {
  const entries: ManifestEntry[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const m = /^([0-9a-f]{64})[ \t]+\*?([^\s].*)$/.exec(lines[i]);
    if (!m || m[2].split('/').includes('..') || m[2].startsWith('/')) return { badLine: i + 1 };
    entries.push({ sha256: m[1], path: m[2] });
  }
  return { entries };
}
