/**
 * What travels through the queue, as JSON in Redis: a scan job (the model's bytes with their sha256,
 * the data reference, the method and its resolved parameters), the progress a worker reports, and the
 * result it returns. The model travels in the job, base64, up to a size limit (MAX_MODEL_BYTES by
 * default): workers need no shared folder and no access to the coordinator's case store. The data is
 * a reference (`demo` or a path every worker sees), since clean data sets are large and reused.
 * Nothing secret is in a job: no queue password, no examiner key.
 */
import type { ScanProgress } from '../../shared/events.ts';
import type { ClassArtifacts, ClassFinding, ScanResult } from '../../shared/results.ts';
import type { ScanMethod, ScanParams } from '../../shared/scan-params.ts';

export const QUEUE_NAME = 'uma-scans';
/** Model bytes one job may carry (base64 in Redis makes it a third larger). */
export const MAX_MODEL_BYTES = 256 * 1024 * 1024;

export interface ScanJobData {
  /** The coordinator's batch and scan (its case database's scan id), for logs and the UI. */
  batchId: string;
  scanId: number;
  model: {
    displayName: string;
    sha256: string;
    /** In intake order: the model file first (model.json or the .onnx), then weight shards. */
    files: { name: string; base64: string }[];
    inputSpec?: { mean?: number[]; std?: number[]; classNames?: string[] };
  };
  data: { kind: 'demo' } | { kind: 'path'; path: string; labels?: string };
  method: ScanMethod;
  params: ScanParams;
  seed: number;
  workers?: number;
}

/** job.progress while a worker runs the scan. */
export interface ScanJobProgress {
  worker: string;
  progress: ScanProgress | null;
  /** Classes with a result in the checkpoint so far. */
  classesDone: number;
}

export interface ScanJobResult {
  worker: string;
  result: ScanResult;
  /** Classes this run took from the checkpoint instead of computing them. */
  fromCheckpoint: number[];
}

/** One class as the checkpoint stores it: the finding and its PNGs, base64. */
export interface StoredClass {
  finding: ClassFinding;
  mask: string;
  pattern: string;
  stamped: string[];
}

const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
const bytes = (s: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(s, 'base64'));

export function encodeClass(finding: ClassFinding, a: ClassArtifacts): StoredClass {
  return { finding, mask: b64(a.mask), pattern: b64(a.pattern), stamped: a.stamped.map(b64) };
}

export function decodeClass(c: StoredClass): { finding: ClassFinding; artifacts: ClassArtifacts } {
  return {
    finding: c.finding,
    artifacts: {
      classIndex: c.finding.index,
      mask: bytes(c.mask),
      pattern: bytes(c.pattern),
      stamped: c.stamped.map(bytes),
    },
  };
}

export const encodeBytes = b64;
export const decodeBytes = bytes;
