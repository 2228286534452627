/**
 * The signed content of a report: an in-toto Statement v1 whose subject is the model (each of its
 * files with its sha256) and whose predicate records how the scan ran and what it found, with the
 * digest of every trigger image, of findings.json and of the rendered report, so every file of the
 * archive is bound to the signature, and of bag-info.txt (less its Payload-Oxum line, which the
 * verifier recomputes); the other tag files are fixed text or manifests the verifier rebuilds. The
 * payload is the statement's canonical JSON.
 */
import type { ExplainedFinding, ExplainedResult } from '../../shared/class-explanation.ts';
import type { ArtifactKind, ScanResult, ThresholdCalibrationRecord, Verdict } from '../../shared/results.ts';
import type { ScanMethod, ScanParams } from '../../shared/scan-params.ts';
import type { AuditHead } from '../cases/audit.ts';
import { canonicalJson, sha256Hex } from '../util/digest.ts';
import { paramsSha256 } from '../util/params-digest.ts';
import type { CaseRecord } from '../cases/cases.ts';
import type { EvidenceRecord, HashMatch, Rehash } from '../cases/evidence.ts';
import type { StoredArtifact } from '../cases/findings.ts';
import type { ScanRecord } from '../cases/scans.ts';
import { FINDINGS_PATH, triggerPath } from './layout.ts';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://uma-workstation.dev/scan/v1';
export const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const SCANNER_NAME = 'uma-workstation';

export interface TriggerRef {
  kind: ArtifactKind;
  ordinal: number;
  /** Path inside the archive's data/ folder. */
  path: string;
  sha256: string;
}

/** A class's findings with why it was flagged, filtered or passed (shared/class-explanation.ts). */
export type PredicateClass = Omit<ExplainedFinding, 'seconds' | 'artifactDigests'> & { triggers: TriggerRef[] };

export interface HashCheck {
  sha256: string;
  at: string;
  ok: boolean;
}

export interface ScanPredicate {
  scanner: { name: string; version: string };
  method: ScanMethod;
  parameters: ScanParams;
  parametersSha256: string;
  seed: number;
  backend: string;
  case: { id: number; name: string; number: string | null };
  evidence: {
    id: number;
    displayName: string;
    sha256: string;
    size: number;
    format: string | null;
    /** The subject that is a Keras weights-only model's architecture JSON; absent when there is none. */
    architecture?: string;
  };
  scan: { id: number };
  examiner: { name: string; keyid: string };
  integrity: {
    intake: { sha256: string; at: string };
    expected: { sha256: string | null; source: string | null; match: HashMatch };
    beforeScan: HashCheck;
    beforeSigning: HashCheck;
  };
  verdict: Verdict;
  score: number;
  target: number | null;
  targetName: string | null;
  anomalyThreshold: number;
  /**
   * The clean reference model the transfer filter used (its accuracy decides whether the filter counted:
   * referenceMinAccuracy); absent in statements signed before it was recorded.
   */
  reference?: ScanResult['reference'];
  /** Where anomalyThreshold came from when it was calibrated on clean scans (the clean models by sha256). */
  calibration?: ThresholdCalibrationRecord;
  classes: PredicateClass[];
  findings: { path: string; sha256: string };
  /** The rendered report (HTML, PDF): rendered from this predicate while this list was empty. */
  documents: { path: string; sha256: string }[];
  /** bag-info.txt without its last line, Payload-Oxum (see bagit.ts bagInfoFields); added with the documents. */
  bagInfo: { sha256: string };
  auditLog: AuditHead;
  startedAt: string;
  finishedAt: string;
  signedAt: string;
}

export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: typeof PREDICATE_TYPE;
  predicate: ScanPredicate;
}

export interface StatementInput {
  result: ExplainedResult;
  artifacts: StoredArtifact[];
  kase: CaseRecord;
  evidence: EvidenceRecord;
  scan: ScanRecord;
  examiner: { name: string; keyid: string };
  findingsSha256: string;
  preSigning: Rehash;
  auditHead: AuditHead;
  signedAt: string;
}

export function buildStatement(i: StatementInput): Statement {
  const { result, scan, evidence } = i;
  const target = result.target === null ? null : (result.classes.find((c) => c.index === result.target) ?? null);
  return {
    _type: STATEMENT_TYPE,
    subject: evidence.files.map((f) => ({ name: f.name, digest: { sha256: f.sha256 } })),
    predicateType: PREDICATE_TYPE,
    predicate: {
      scanner: { name: SCANNER_NAME, version: scan.toolVersion },
      method: scan.method,
      parameters: scan.params,
      parametersSha256: paramsSha256(scan.params, scan.method, scan.seed),
      seed: scan.seed,
      backend: scan.backend,
      case: { id: i.kase.id, name: i.kase.name, number: i.kase.number },
      evidence: {
        id: evidence.id,
        displayName: evidence.displayName,
        sha256: evidence.sha256,
        size: evidence.size,
        format: evidence.format,
        architecture: evidence.files.find((f) => f.role === 'architecture')?.name,
      },
      scan: { id: scan.id },
      examiner: i.examiner,
      integrity: {
        intake: { sha256: evidence.sha256, at: evidence.created },
        expected: { sha256: evidence.expectedSha256, source: evidence.expectedSource, match: evidence.match },
        beforeScan: {
          sha256: scan.prescanSha256 ?? '',
          at: scan.prescanAt ?? '',
          ok: scan.prescanSha256 === evidence.sha256,
        },
        beforeSigning: {
          sha256: i.preSigning.sha256,
          at: i.preSigning.at,
          ok: i.preSigning.sha256 === evidence.sha256,
        },
      },
      verdict: result.verdict,
      score: result.score,
      target: result.target,
      targetName: target?.name ?? null,
      anomalyThreshold: scan.params.anomalyThreshold,
      reference: result.reference,
      ...(scan.calibration && { calibration: scan.calibration }),
      classes: result.classes.map((c) => ({
        index: c.index,
        name: c.name,
        asr: c.asr,
        maskL1: c.maskL1,
        transferAsr: c.transferAsr,
        ...(c.survival ? { survival: c.survival } : {}),
        ...(c.firstPass ? { firstPass: c.firstPass } : {}),
        ratio: c.ratio,
        anomalyIndex: c.anomalyIndex,
        flagged: c.flagged,
        ablatedAccTarget: c.ablatedAccTarget,
        ablatedAccOther: c.ablatedAccOther,
        ablationSteps: c.ablationSteps,
        ...(c.ablationLr != null ? { ablationLr: c.ablationLr } : {}),
        explanation: c.explanation,
        triggers: i.artifacts
          .filter((a) => a.classIndex === c.index)
          .map((a) => ({ kind: a.kind, ordinal: a.ordinal, path: triggerPath(a), sha256: a.sha256 })),
      })),
      findings: { path: FINDINGS_PATH, sha256: i.findingsSha256 },
      documents: [],
      bagInfo: { sha256: '' },
      auditLog: i.auditHead,
      startedAt: result.startedAt,
      finishedAt: result.finishedAt,
      signedAt: i.signedAt,
    },
  };
}

/**
 * Binds the rendered documents and bag-info.txt to the signature: the documents show the statement,
 * so they are rendered from it first, and these digests are added just before signing.
 */
export function withBoundFiles(s: Statement, docs: Map<string, Uint8Array>, bagInfoFields: string): Statement {
  const documents = [...docs].map(([path, bytes]) => ({ path, sha256: sha256Hex(bytes) }));
  return {
    ...s,
    predicate: { ...s.predicate, documents, bagInfo: { sha256: sha256Hex(Buffer.from(bagInfoFields, 'utf8')) } },
  };
}

export function statementPayload(s: Statement): Uint8Array {
  return Buffer.from(canonicalJson(s), 'utf8');
}
