/** Where each file lives in the archive's data/ folder (writer and verifier must agree). */
import type { StoredArtifact } from '../cases/findings.ts';

export const ENVELOPE_PATH = 'attestation.intoto.json';
export const FINDINGS_PATH = 'findings.json';
export const HTML_PATH = 'report.html';
export const PDF_PATH = 'report.pdf';

export const keyPath = (keyid: string): string => `keys/${keyid}.pub`;

export function triggerPath(a: Pick<StoredArtifact, 'classIndex' | 'kind' | 'ordinal'>): string {
  return `triggers/class-${a.classIndex}-${a.kind === 'stamped' ? `stamped-${a.ordinal}` : a.kind}.png`;
}
