/** Plain data shaped like the service's answers: a case with the demo evidence and a finished scan. */
import type { CaseDetail, EvidenceInfo, ScanDetail, ScanSummary } from '../../src/shared/api.ts';
import type { ClassFinding, ScanResult, ThresholdCalibrationRecord } from '../../src/shared/results.ts';
import { AUTHORS_PROFILE } from '../../src/shared/scan-params.ts';

export const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);

export function finding(index: number, over: Partial<ClassFinding> = {}): ClassFinding {
  return {
    index,
    name: String(index),
    ablatedAccTarget: 0.01,
    ablatedAccOther: 0.95,
    ablationSteps: 40,
    asr: 0.5 + index / 100,
    maskL1: 200 - index * 10,
    transferAsr: 0.5,
    ratio: 0.3,
    anomalyIndex: index / 10,
    flagged: false,
    seconds: 10,
    artifactDigests: [],
    ...over,
  };
}

export function classes(): ClassFinding[] {
  return Array.from({ length: 10 }, (_, i) =>
    i === 7 ? finding(7, { asr: 0.89, maskL1: 8, transferAsr: 0.03, anomalyIndex: 45.9, flagged: true }) : finding(i),
  );
}

export function result(): ScanResult {
  return {
    verdict: 'trojaned',
    score: 45.9,
    target: 7,
    method: 'uma',
    params: { ...AUTHORS_PROFILE, maxPerClass: 100 },
    paramsSha256: 'a'.repeat(64),
    seed: 1,
    backend: 'wasm',
    toolVersion: '0.1.0',
    startedAt: '2026-11-24T01:00:00.000Z',
    finishedAt: '2026-11-24T01:01:12.000Z',
    seconds: 72,
    model: {
      name: 'demo-model',
      sha256: 'f'.repeat(64),
      format: 'tfjs-layers',
      inputShape: [28, 28, 1],
      numClasses: 10,
      params: 100_000,
    },
    data: { source: 'demo', samples: 1000, perClass: Array(10).fill(100) },
    reference: { kind: 'trained', accuracy: 0.9, seconds: 5 },
    stageSeconds: { ablation: 30, inversion: 40 },
    classes: classes(),
  };
}

export const evidence: EvidenceInfo = {
  id: 3,
  caseId: 1,
  displayName: 'demo-badnets-mnist',
  originalPath: '/res/demo-model/model.json',
  size: 120_000,
  sha256: 'e'.repeat(64),
  expectedSha256: null,
  expectedSource: null,
  match: 'none',
  format: 'tfjs-layers',
  inputSpec: null,
  classNames: null,
  created: '2026-11-24T00:59:00.000Z',
  files: [],
};

export function scanSummary(over: Partial<ScanSummary> = {}): ScanSummary {
  return {
    id: 5,
    caseId: 1,
    evidenceId: 3,
    modelName: 'suspect.onnx',
    examiner: null,
    method: 'uma',
    seed: 1,
    status: 'completed',
    numClasses: 10,
    classNames: Array.from({ length: 10 }, (_, i) => String(i)),
    created: '2026-11-24T01:00:00.000Z',
    started: '2026-11-24T01:00:00.000Z',
    finished: '2026-11-24T01:01:12.000Z',
    error: null,
    verdict: 'trojaned',
    score: 45.9,
    target: 7,
    classesDone: 10,
    jobId: null,
    ...over,
  };
}

export function scanDetail(over: Partial<ScanSummary> = {}): ScanDetail {
  const scan = scanSummary(over);
  const completed = scan.status === 'completed';
  return {
    scan,
    params: AUTHORS_PROFILE,
    paramsSha256: 'a'.repeat(64),
    calibration: null,
    data: 'demo',
    findings: completed ? classes() : [],
    result: completed ? result() : null,
    todo: [],
    resumable: false,
  };
}

export function caseDetail(): CaseDetail {
  return {
    case: {
      id: 1,
      name: 'Demo: BadNets MNIST',
      number: null,
      examiner: null,
      description: '',
      created: '2026-11-24T00:58:00.000Z',
    },
    evidence: [evidence],
    scans: [scanSummary()],
    notes: [
      {
        id: 9,
        caseId: 1,
        scanId: null,
        classIndex: null,
        author: 'ana',
        text: 'first look',
        created: 'x',
        updated: 'x',
      },
    ],
    reports: [],
  };
}

/** A threshold calibrated on two clean scans of another case: 3 x 5.8 = 17.4 is above the profile's 2. */
export function calibrationRecord(): ThresholdCalibrationRecord {
  return {
    base: 2,
    margin: 3,
    threshold: 17.4,
    clean: [
      {
        scanId: 8,
        caseId: 2,
        model: 'clean-cnn-a',
        sha256: 'a1'.repeat(32),
        score: 1.93,
        finishedAt: '2026-11-20T10:00:00.000Z',
      },
      {
        scanId: 9,
        caseId: 2,
        model: 'clean-cnn-b',
        sha256: 'b2'.repeat(32),
        score: 5.8,
        finishedAt: '2026-11-20T11:00:00.000Z',
      },
    ],
  };
}

/**
 * The same two clean scans calibrated per class (margin 2): each class's threshold is max(2, 2 x the
 * largest index it reached where its trigger passed the filter, null where not), rounded up. Six of the
 * ten classes are raised, one more than a line names.
 */
export function classCalibrationRecord(): ThresholdCalibrationRecord {
  const [a, b] = calibrationRecord().clean;
  return {
    rule: 'class',
    base: 2,
    margin: 2,
    threshold: 2,
    classThresholds: [2, 9.2, 2, 4.5, 2, 11.6, 3.1, 2, 2.5, 6],
    clean: [
      { ...a, score: 5.8, classScores: [0.5, 4.6, null, 2.25, 0.8, 5.8, 1.55, null, 1.25, 3] },
      { ...b, score: 2.4, classScores: [0.9, 1.2, 0.3, null, 0.4, 2.1, 0.7, 0.2, null, 2.4] },
    ],
  };
}
