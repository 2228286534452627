/**
 * Per-class findings and their trigger images, written as each class finishes (one transaction per
 * class, so a crash loses at most the class in flight); the ablation backoff's second pass replaces a
 * class's first. The PNGs are stored with their sha256, computed here from the bytes stored; digests the
 * engine claims must agree with them.
 */
import { withExplanations, type ExplainedResult } from '../../shared/class-explanation.ts';
import type { ArtifactKind, ClassArtifacts, ClassFinding } from '../../shared/results.ts';
import { UmaError } from '../../shared/errors.ts';
import { appendAudit } from './audit.ts';
import { sha256Hex } from '../util/digest.ts';
import { nowIso, writeTx, type CaseDb } from './db.ts';
import { getScan, type ScanRecord } from './scans.ts';

export interface StoredArtifact {
  classIndex: number;
  kind: ArtifactKind;
  /** 0 for mask and pattern; the example's number for stamped images. */
  ordinal: number;
  png: Uint8Array;
  sha256: string;
}

function artifactList(a: ClassArtifacts): Omit<StoredArtifact, 'sha256'>[] {
  return [
    { classIndex: a.classIndex, kind: 'mask' as const, ordinal: 0, png: a.mask },
    { classIndex: a.classIndex, kind: 'pattern' as const, ordinal: 0, png: a.pattern },
    ...a.stamped.map((png, i) => ({ classIndex: a.classIndex, kind: 'stamped' as const, ordinal: i, png })),
  ];
}

export function recordClassResult(cdb: CaseDb, scanId: number, finding: ClassFinding, artifacts: ClassArtifacts): void {
  writeTx(cdb, () => {
    const s = getScan(cdb, scanId);
    if (s.status !== 'running')
      throw new UmaError('BAD_INPUT', `scan ${scanId} is ${s.status}; class results are recorded only while it runs`);
    if (finding.index !== artifacts.classIndex)
      throw new UmaError(
        'BAD_INPUT',
        `class result ${finding.index} came with artifacts of class ${artifacts.classIndex}`,
      );
    if (!Number.isInteger(finding.index) || finding.index < 0 || finding.index >= s.numClasses) {
      throw new UmaError('BAD_INPUT', `class ${finding.index} is outside scan ${scanId}'s ${s.numClasses} classes`);
    }
    const list = artifactList(artifacts).map((a) => ({ ...a, sha256: sha256Hex(a.png) }));
    const claimed = finding.artifactDigests;
    if (
      claimed.length > 0 &&
      (claimed.length !== list.length || claimed.some((d, i) => d.kind !== list[i].kind || d.sha256 !== list[i].sha256))
    ) {
      throw new UmaError(
        'INTEGRITY',
        `class ${finding.index}: the artifact digests in the finding do not match the PNG bytes delivered`,
      );
    }
    const replaced = replaceFirstPass(cdb, scanId, finding);
    cdb.sql
      .prepare(
        `INSERT INTO class_results (scan_id, class_index, name, ablated_acc_target, ablated_acc_other, ablation_steps, asr, mask_l1,
           transfer_asr, ratio, anomaly_index, flagged, seconds, created, survival_mask_l1, survival_asr_model,
           survival_asr_ablated, first_pass_asr, first_pass_mask_l1, first_pass_ablation_steps, first_pass_acc_target,
           ablation_lr)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        scanId,
        finding.index,
        finding.name,
        finding.ablatedAccTarget,
        finding.ablatedAccOther,
        finding.ablationSteps,
        finding.asr,
        finding.maskL1,
        finding.transferAsr,
        finding.ratio,
        finding.anomalyIndex,
        finding.flagged === null ? null : finding.flagged ? 1 : 0,
        finding.seconds,
        nowIso(),
        finding.survival?.maskL1 ?? null,
        finding.survival?.asrModel ?? null,
        finding.survival?.asrAblated ?? null,
        finding.firstPass?.asr ?? null,
        finding.firstPass?.maskL1 ?? null,
        finding.firstPass?.ablationSteps ?? null,
        finding.firstPass?.ablatedAccTarget ?? null,
        finding.ablationLr ?? null,
      );
    const insert = cdb.sql.prepare(
      'INSERT INTO artifacts (scan_id, class_index, kind, ordinal, png, sha256) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const a of list) insert.run(scanId, a.classIndex, a.kind, a.ordinal, Buffer.from(a.png), a.sha256);
    appendAudit(cdb, replaced ? 'scan.class-rescan' : 'scan.class-result', `scan:${scanId}`, {
      classIndex: finding.index,
      ...(replaced && { ablationLr: s.params.ablationBackoffLr, replaced }),
      asr: finding.asr,
      maskL1: finding.maskL1,
      transferAsr: finding.transferAsr,
      ...(finding.survival ? { survival: finding.survival } : {}),
      ...(finding.firstPass ? { firstPass: finding.firstPass } : {}),
      artifacts: list.map((a) => ({ kind: a.kind, ordinal: a.ordinal, sha256: a.sha256 })),
    });
  });
}

type RecordedPass = 'none' | 'first' | 'second';

/** A class's stored measures and which pass they are of (none yet, one, or the backoff's second). */
function storedClass(cdb: CaseDb, scanId: number, classIndex: number) {
  const row = cdb.sql
    .prepare('SELECT asr, mask_l1, first_pass_asr FROM class_results WHERE scan_id = ? AND class_index = ?')
    .get(scanId, classIndex) as { asr: number; mask_l1: number; first_pass_asr: number | null } | undefined;
  const pass: RecordedPass = !row ? 'none' : row.first_pass_asr === null ? 'first' : 'second';
  return { pass, row };
}

/** What a class's stored row says of its passes: none yet, one, or the backoff's second (ablation-backoff.ts). */
export function recordedPass(cdb: CaseDb, scanId: number, classIndex: number): RecordedPass {
  return storedClass(cdb, scanId, classIndex).pass;
}

/**
 * The ablation backoff's second pass replaces a class's first-pass row and artifacts (within a running
 * scan; triggers freeze them once it completes). The finding must carry that row's measures as its first
 * pass; the audit entry of the first pass keeps its artifact digests, and the rescan's entry names them.
 * Returns the replaced row's measures and digests, or null when the class had no row. A class already
 * recorded at the finding's pass or a later one is refused.
 */
function replaceFirstPass(
  cdb: CaseDb,
  scanId: number,
  finding: ClassFinding,
): { asr: number; maskL1: number; artifacts: string[] } | null {
  const k = finding.index;
  const { pass, row: old } = storedClass(cdb, scanId, k);
  // A second pass with no row: seeded from a checkpoint of a scan whose first pass it already replaced.
  if (!old) return null;
  if (pass === 'second' || !finding.firstPass)
    throw new UmaError('BAD_INPUT', `class ${k} of scan ${scanId} is already recorded (${pass} pass)`);
  if (old.asr !== finding.firstPass.asr || old.mask_l1 !== finding.firstPass.maskL1)
    throw new UmaError(
      'INTEGRITY',
      `class ${k} of scan ${scanId}: the second pass's first-pass measures (ASR ${finding.firstPass.asr}, mask ${finding.firstPass.maskL1}) are not the recorded ones (${old.asr}, ${old.mask_l1})`,
    );
  const digests = (
    cdb.sql
      .prepare(`SELECT sha256 FROM artifacts WHERE scan_id = ? AND class_index = ? ${ARTIFACT_ORDER}`)
      .all(scanId, k) as { sha256: string }[]
  ).map((r) => r.sha256);
  cdb.sql.prepare('DELETE FROM artifacts WHERE scan_id = ? AND class_index = ?').run(scanId, k);
  cdb.sql.prepare('DELETE FROM class_results WHERE scan_id = ? AND class_index = ?').run(scanId, k);
  return { asr: old.asr, maskL1: old.mask_l1, artifacts: digests };
}

// mask, pattern, then the stamped examples: the order ClassFinding.artifactDigests uses.
const ARTIFACT_ORDER = "ORDER BY class_index, CASE kind WHEN 'mask' THEN 0 WHEN 'pattern' THEN 1 ELSE 2 END, ordinal";

interface ClassRow {
  class_index: number;
  name: string;
  ablated_acc_target: number | null;
  ablated_acc_other: number | null;
  ablation_steps: number | null;
  ablation_lr: number | null;
  asr: number;
  mask_l1: number;
  transfer_asr: number | null;
  ratio: number | null;
  anomaly_index: number | null;
  flagged: number | null;
  seconds: number;
  survival_mask_l1: number | null;
  survival_asr_model: number | null;
  survival_asr_ablated: number | null;
  first_pass_asr: number | null;
  first_pass_mask_l1: number | null;
  first_pass_ablation_steps: number | null;
  first_pass_acc_target: number | null;
}

export function getArtifacts(cdb: CaseDb, scanId: number): StoredArtifact[] {
  const rows = cdb.sql
    .prepare(`SELECT class_index, kind, ordinal, png, sha256 FROM artifacts WHERE scan_id = ? ${ARTIFACT_ORDER}`)
    .all(scanId) as { class_index: number; kind: ArtifactKind; ordinal: number; png: Buffer; sha256: string }[];
  return rows.map((r) => ({
    classIndex: r.class_index,
    kind: r.kind,
    ordinal: r.ordinal,
    png: new Uint8Array(r.png),
    sha256: r.sha256,
  }));
}

/** The stored class findings in class order (anomalyIndex and flagged are null until the scan completes). */
export function getClassFindings(cdb: CaseDb, scanId: number): ClassFinding[] {
  const rows = cdb.sql
    .prepare('SELECT * FROM class_results WHERE scan_id = ? ORDER BY class_index')
    .all(scanId) as ClassRow[];
  const digests = new Map<number, ClassFinding['artifactDigests']>();
  for (const row of cdb.sql
    .prepare(`SELECT class_index, kind, sha256 FROM artifacts WHERE scan_id = ? ${ARTIFACT_ORDER}`)
    .all(scanId) as { class_index: number; kind: ArtifactKind; sha256: string }[]) {
    const list = digests.get(row.class_index) ?? [];
    list.push({ kind: row.kind, sha256: row.sha256 });
    digests.set(row.class_index, list);
  }
  return rows.map((r) => ({
    index: r.class_index,
    name: r.name,
    ablatedAccTarget: r.ablated_acc_target,
    ablatedAccOther: r.ablated_acc_other,
    ablationSteps: r.ablation_steps,
    ...(r.ablation_lr === null ? {} : { ablationLr: r.ablation_lr }),
    asr: r.asr,
    maskL1: r.mask_l1,
    transferAsr: r.transfer_asr,
    ...(r.survival_asr_ablated === null
      ? {}
      : {
          survival: {
            maskL1: r.survival_mask_l1!,
            asrModel: r.survival_asr_model!,
            asrAblated: r.survival_asr_ablated,
          },
        }),
    ...(r.first_pass_asr === null
      ? {}
      : {
          firstPass: {
            asr: r.first_pass_asr,
            maskL1: r.first_pass_mask_l1!,
            ablationSteps: r.first_pass_ablation_steps,
            ablatedAccTarget: r.first_pass_acc_target,
          },
        }),
    ratio: r.ratio,
    anomalyIndex: r.anomaly_index,
    flagged: r.flagged === null ? null : r.flagged === 1,
    seconds: r.seconds,
    artifactDigests: digests.get(r.class_index) ?? [],
  }));
}

/**
 * A completed scan's result as stored (its metadata and the class rows), each class with its explanation,
 * derived here so scans recorded before explanations existed get one too; null until the scan completes.
 */
export function getScanResult(cdb: CaseDb, scan: ScanRecord): ExplainedResult | null {
  return scan.resultMeta && withExplanations({ ...scan.resultMeta, classes: getClassFindings(cdb, scan.id) });
}
