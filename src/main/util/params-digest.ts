/**
 * The digest of a scan's constants, so a report can prove which ones a verdict came from. Resolving
 * and checking them is src/shared/scan-params.ts's resolveParams, done once where a scan is defined.
 */
import { canonicalJson, sha256Hex } from './digest.ts';
import type { ScanParams } from '../../shared/scan-params.ts';

export function paramsSha256(params: ScanParams, method: string, seed: number): string {
  return sha256Hex(canonicalJson({ method, seed, params }));
}
