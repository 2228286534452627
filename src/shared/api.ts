/**
 * The contract between the UI and the service (docs/architecture.md, "Contracts"): every call, its argument
 * schema (zod, checked by the service on arrival, whatever the transport) and its result type, and
 * the job events. The preload bridge, the WebSocket client, the IPC client and the service's handler
 * table are all typed from `API` below, so adding a call is one entry here (plus its handler).
 *
 * Conventions:
 * - Every call answers `Reply<R>`: `{ok: true, value}` or `{ok: false, error: {code, message}}`;
 *   nothing is thrown across the boundary.
 * - Binary data (model uploads, image uploads, PNGs, archives, keys) is a `Uint8Array` everywhere.
 *   IPC/MessagePort carries it by structured clone; the WebSocket carries it in binary frames
 *   (src/shared/wire.ts), never as JSON number arrays.
 * - `job/class-result` carries the class's PNGs as bytes (they are small and the UI shows them at
 *   once); `scans/artifacts` fetches them again later from the case database.
 * - Ids are the case database's integer row ids; jobIds are strings minted by the service.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorInfo } from './errors.ts';
import type { ScanProgress } from './events.ts';
import type { ClassFinding, ScanResult, ThresholdCalibrationRecord } from './results.ts';
import {
  calibrationMargin,
  CALIBRATION_RULES,
  CALIBRATION_MARGIN_MAX,
  CALIBRATION_MAX_CLEAN_SCANS,
  PARAM_INFO,
  SCAN_METHODS,
  type ScanMethod,
  type ScanParams,
} from './scan-params.ts';

// ---------------------------------------------------------------------------------------------
// Schemas of shared argument pieces

const id = z.number().int().positive();
const bytes = z.instanceof(Uint8Array);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lower-case hex digits');

/** One uploaded model file: a single .onnx, or a TF.js model.json and its weight shards. */
export const UploadedFile = z.object({ name: z.string().min(1).max(255), bytes });

/** Where a model comes from. */
export const ModelSourceRef = z.discriminatedUnion('kind', [
  /** A file (or a TF.js model folder) on the machine that runs the service. */
  z.object({ kind: z.literal('path'), path: z.string().min(1) }),
  z.object({ kind: z.literal('upload'), files: z.array(UploadedFile).min(1) }),
  /** The bundled MNIST demo models: BadNets-trojaned (target 7) or its clean twin. */
  z.object({ kind: z.literal('demo'), which: z.enum(['trojaned', 'clean']) }),
]);
export type ModelSourceRef = z.infer<typeof ModelSourceRef>;

/**
 * A Keras weights-only model's architecture (`model.to_json()` output, or a TF.js model.json), taken in
 * as a file of the same evidence item beside the weights.
 */
export const ArchitectureRef = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('path'), path: z.string().min(1) }),
  z.object({ kind: z.literal('upload'), file: UploadedFile }),
]);
export type ArchitectureRef = z.infer<typeof ArchitectureRef>;

/** Clean data for a scan or an inspection. */
export const DataRef = z.discriminatedUnion('kind', [
  /** An image folder (one sub-folder per class) or an IDX images file, on the service's machine. */
  z.object({
    kind: z.literal('path'),
    path: z.string().min(1),
    /** IDX labels, when not beside the images */ labels: z.string().min(1).optional(),
  }),
  /** Images with their relative paths, e.g. {path: 'cat/1.png'}: the first folder names the class. */
  z.object({
    kind: z.literal('upload'),
    files: z.array(z.object({ path: z.string().min(1).max(1024), bytes })).min(1),
  }),
  /** A zip of such a folder tree. */
  z.object({ kind: z.literal('zip'), name: z.string().max(255).optional(), bytes }),
  /** The bundled MNIST digits. */
  z.object({ kind: z.literal('demo') }),
]);
export type DataRef = z.infer<typeof DataRef>;

/** Analyst overrides of the input spec read from the model. */
export const InputSpecOverrides = z.object({
  mean: z.array(z.number()).min(1).max(4).optional(),
  std: z.array(z.number().positive()).min(1).max(4).optional(),
  classNames: z.array(z.string().min(1)).min(2).optional(),
});

/** One parameter's schema, from its bounds in PARAM_INFO: the form and the CLI check the same ones. */
type ParamSchema = z.ZodOptional<z.ZodType<number | null, number | null>>;
function paramSchema(key: keyof ScanParams): ParamSchema {
  const { integer, min, minExclusive, max, maxExclusive, nullable } = PARAM_INFO[key];
  let n = z.number().finite();
  if (integer) n = n.int();
  if (min !== undefined) n = minExclusive ? n.gt(min) : n.min(min);
  if (max !== undefined) n = maxExclusive ? n.lt(max) : n.max(max);
  return (nullable ? n.nullable() : n).optional() as ParamSchema;
}
const paramShape = Object.fromEntries(
  (Object.keys(PARAM_INFO) as (keyof ScanParams)[]).map((k) => [k, paramSchema(k)]),
) as Record<keyof ScanParams, ParamSchema>;
/** Overrides of scan parameters (src/shared/scan-params.ts), within their bounds; unknown names are refused. */
export const ScanParamOverrides = z.strictObject(paramShape);

/**
 * The anomaly threshold calibrated on completed scans of known-clean models of the suspect's task
 * (docs/algorithm.md, step 5): rule 'task', max(the profile's threshold, margin x their largest score);
 * rule 'class', per class, max(the profile's threshold, margin x the largest index the class reached).
 * The margin defaults to the rule's own (calibrationMargin).
 */
export const CalibrationSpec = z
  .object({
    cleanScanIds: z
      .array(id)
      .min(1)
      .max(CALIBRATION_MAX_CLEAN_SCANS)
      .refine((ids) => new Set(ids).size === ids.length, 'a clean scan is listed twice'),
    rule: z.enum(CALIBRATION_RULES).default('task'),
    margin: z.number().finite().min(0).max(CALIBRATION_MARGIN_MAX).optional(),
  })
  .strict()
  .transform((s) => ({ ...s, margin: s.margin ?? calibrationMargin(s.rule) }));
export type CalibrationSpec = z.input<typeof CalibrationSpec>;
/** A CalibrationSpec as the service reads it: rule and margin filled in. */
export type ResolvedCalibrationSpec = z.output<typeof CalibrationSpec>;

export const Theme = z.enum(['system', 'light', 'dark']);
export const Settings = z.object({
  examinerName: z.string().max(200),
  /** Worker threads per scan; 0 = the service's default (cores, 1 on a GPU). */
  workers: z.number().int().min(0).max(64),
  theme: Theme,
});
export type Settings = z.infer<typeof Settings>;

// ---------------------------------------------------------------------------------------------
// Result types (plain data: they cross structured clone and the wire as they are)

export interface AppInfo {
  version: string;
  /** The compute backend the engine host initialised (wasm, node, node-gpu, cpu). */
  backend: string;
  dataDir: string;
  dbPath: string;
  demoAvailable: boolean;
  /** 'electron' (utilityProcess), 'serve' (a Node process behind `uma serve`), 'cli' (`uma scan`, in process). */
  host: 'electron' | 'serve' | 'memory' | 'cli';
  /** Bumped each time the engine host restarts, so the UI can tell a fresh host from the old one. */
  hostGeneration: number;
}

export interface CaseInfo {
  id: number;
  name: string;
  number: string | null;
  examiner: string | null;
  description: string;
  created: string;
}

export interface CaseSummary extends CaseInfo {
  evidenceCount: number;
  scanCount: number;
  /** Verdict of the latest completed scan, if any. */
  lastVerdict: 'trojaned' | 'clean' | null;
}

export interface EvidenceFileInfo {
  ordinal: number;
  name: string;
  /** 'model': the model as saved; 'architecture': a Keras weights-only model's architecture JSON. */
  role: 'model' | 'architecture';
  originalPath: string;
  size: number;
  sha256: string;
}

export interface EvidenceInfo {
  id: number;
  caseId: number;
  displayName: string;
  originalPath: string;
  size: number;
  sha256: string;
  expectedSha256: string | null;
  expectedSource: string | null;
  match: 'match' | 'mismatch' | 'none';
  format: string | null;
  inputSpec: unknown;
  classNames: string[] | null;
  created: string;
  files: EvidenceFileInfo[];
}

export type ScanStatus = 'queued' | 'running' | 'cancelled' | 'failed' | 'completed' | 'interrupted';

export interface ScanSummary {
  id: number;
  caseId: number;
  evidenceId: number;
  /** The evidence's display name: which model, in lists that span cases. */
  modelName: string;
  examiner: string | null;
  method: ScanMethod;
  seed: number;
  status: ScanStatus;
  numClasses: number;
  classNames: string[];
  created: string;
  started: string | null;
  finished: string | null;
  error: string | null;
  verdict: 'trojaned' | 'clean' | null;
  score: number | null;
  target: number | null;
  /** Classes with a stored result. */
  classesDone: number;
  /** The running or queued job of this scan, if any. */
  jobId: string | null;
}

export interface NoteInfo {
  id: number;
  caseId: number;
  scanId: number | null;
  classIndex: number | null;
  author: string;
  text: string;
  created: string;
  updated: string;
}

export interface ReportInfo {
  id: number;
  scanId: number;
  /** File name of the archive (download with reports/download). */
  name: string;
  envelopeSha256: string;
  keyid: string;
  auditHead: { seq: number; sha256: string };
  created: string;
}

export interface CaseDetail {
  case: CaseInfo;
  evidence: EvidenceInfo[];
  scans: ScanSummary[];
  notes: NoteInfo[];
  reports: ReportInfo[];
}

export interface ModelInspection {
  name: string;
  format: string;
  sha256: string;
  inputSpec: {
    height: number;
    width: number;
    channels: number;
    layout: 'NHWC' | 'NCHW';
    mean: number[];
    std: number[];
    classNames?: string[];
  };
  numClasses: number;
  params: number;
  opHistogram: Record<string, number>;
  /** Weight layers input -> output with their weight tensors' shapes; frozenAtHalf marks what the default freeze ratio freezes. */
  weightLayers: { name: string; kind: string; op: string; params: number; shapes: number[][]; frozenAtHalf: boolean }[];
  warnings: string[];
  /** Top-1 accuracy on the clean data given with the call, if any. */
  accuracy?: { accuracy: number; correct: number; count: number; source: string };
  /** Every layer input -> output, where the format has a layer list (Keras); outputShape without the batch axis. */
  layers?: { name: string; className: string; outputShape: (number | null)[]; params: number }[];
  /** The graph in topological order for the model view's diagram: node 0 the input, inputs index earlier nodes. */
  graph?: { name: string; op: string; inputs: number[] }[];
}

export interface DataInspection {
  source: string;
  count: number;
  classNames: string[];
  perClass: number[];
  shape: [number, number, number];
  /** What loading changed that the analyst should know (colour converted to grayscale). */
  warnings?: string[];
}

export interface ScanDetail {
  scan: ScanSummary;
  params: ScanParams;
  paramsSha256: string;
  /** Where params.anomalyThreshold came from, when it was calibrated on clean scans (set at start). */
  calibration: ThresholdCalibrationRecord | null;
  /** Clean data the scan reads (as given at start). */
  data: string | null;
  /** Findings stored so far (anomaly index and flag are null until the scan completes). */
  findings: ClassFinding[];
  /** The full result, once completed. */
  result: ScanResult | null;
  /** Classes still to do, for an unfinished scan. */
  todo: number[];
  resumable: boolean;
}

export interface ClassImages {
  scanId: number;
  classIndex: number;
  mask: Uint8Array;
  pattern: Uint8Array;
  stamped: Uint8Array[];
}

/** A model's top-1 answer for one image: the class and its softmax probability. */
export interface TopOne {
  classIndex: number;
  probability: number;
}

/** One clean image of another class with a class's reversed trigger stamped on it, and what the models answer. */
export interface StampedPrediction {
  /** The image's index in the scan's clean data, and its true class. */
  sample: number;
  label: number;
  /** PNGs of the image as it is and stamped. */
  clean: Uint8Array;
  stamped: Uint8Array;
  /** The suspect model (the scan's evidence) on the clean and on the stamped image. */
  suspect: { clean: TopOne; stamped: TopOne };
  /** The clean reference model the scan was given, on the same two images; null when it trained its own. */
  reference: { clean: TopOne; stamped: TopOne } | null;
}

export interface StampedPredictions {
  scanId: number;
  classIndex: number;
  classNames: string[];
  /** The clean data the images come from: the scan's own. */
  data: string;
  /** The reference model's name, or null with why there is none in `referenceNote`. */
  reference: string | null;
  referenceNote: string;
  examples: StampedPrediction[];
}

export interface JobInfo {
  jobId: string;
  scanId: number;
  caseId: number;
  state: 'queued' | 'running';
  /** The last progress event, null before the first. */
  progress: ScanProgress | null;
  /** Classes finished so far in this scan (resumed ones included). */
  classesDone: number[];
  queuedAt: string;
  startedAt: string | null;
}

/** One model's scan in a batch (`uma batch`), as the case database records it. */
export interface BatchScanInfo {
  scanId: number;
  /** The model as given to `uma batch`. */
  model: string;
  status: ScanStatus;
  classesDone: number;
  numClasses: number;
  verdict: 'trojaned' | 'clean' | null;
  score: number | null;
  target: number | null;
  error: string | null;
}

export interface BatchInfo {
  batchId: string;
  created: string;
  /** The queue's URL, without its password. */
  queue: string;
  caseId: number;
  caseName: string;
  scans: BatchScanInfo[];
}

/** The batch queue as this host sees it (`uma serve --queue URL`); queue null when it has none. */
export interface QueueState {
  queue: string | null;
  connected: boolean;
  /** Why the queue could not be read, when it could not. */
  error: string | null;
  counts: { waiting: number; active: number; delayed: number; completed: number; failed: number } | null;
  /** Workers connected to the queue now: their name (host:pid) and seconds since their last command. */
  workers: { name: string; idleSeconds: number }[];
}

export interface AuditEntryInfo {
  seq: number;
  time: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
  prev_sha256: string;
  sha256: string;
}

export interface AuditVerificationInfo {
  ok: boolean;
  entries: number;
  head: { seq: number; sha256: string };
  firstBadSeq?: number;
  reason?: string;
  /**
   * The chain head kept outside the table (<db>.audit-head) and how the table compares with it
   * (note); previous: set while a write is in flight or was interrupted; broken: a break found
   * when a later change began (see docs/integrity.md).
   */
  anchor: {
    seq: number;
    sha256: string;
    note: string;
    previous?: { seq: number; sha256: string };
    broken?: { seq: number; reason: string };
  } | null;
}

/**
 * verified: intact and signed by a trusted key; untrusted: intact, but the signer is not a trusted
 * key (who wrote it is unknown); failed: altered, malformed, or not about the given model.
 */
export type VerificationStatus = 'verified' | 'untrusted' | 'failed';

export interface VerifyCheck {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
}

/** A key whose signatures verification trusts: an examiner's own, or one the analyst trusted. */
export interface KeyInfo {
  /** The examiner (own keys: the key file's stem) or the name the analyst gave a trusted key. */
  name: string;
  keyid: string;
  source: 'examiner' | 'trusted';
  /** Where it is kept: the examiner's .pub file, or the trust store file. */
  file: string;
}

export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// The calls

/** Phantom carrier of a result type: the value is never read. */
const returns = <R>() => undefined as unknown as R;
const call = <A extends z.ZodType, R>(args: A, result: R) => ({ args, result });
const none = z.object({}).strict();

export const API = {
  'app/info': call(none, returns<AppInfo>()),

  'cases/list': call(z.object({ query: z.string().max(200).optional() }).strict(), returns<CaseSummary[]>()),
  'cases/create': call(
    z
      .object({
        name: z.string().trim().min(1).max(200),
        number: z.string().max(100).optional(),
        examiner: z.string().max(200).optional(),
        description: z.string().max(10_000).optional(),
      })
      .strict(),
    returns<CaseInfo>(),
  ),
  'cases/get': call(z.object({ caseId: id }).strict(), returns<CaseDetail>()),

  'evidence/add': call(
    z
      .object({
        caseId: id,
        source: ModelSourceRef,
        /** Only for a Keras weights-only H5 model: checked against its weights before intake. */
        architecture: ArchitectureRef.optional(),
        displayName: z.string().max(200).optional(),
        expectedSha256: sha256.optional(),
        expectedSource: z.string().max(500).optional(),
        inputSpec: InputSpecOverrides.optional(),
      })
      .strict(),
    returns<EvidenceInfo>(),
  ),
  'evidence/rehash': call(
    z.object({ evidenceId: id }).strict(),
    returns<{ evidenceId: number; sha256: string; at: string }>(),
  ),
  'evidence/inspect': call(z.object({ evidenceId: id, data: DataRef.optional() }).strict(), returns<ModelInspection>()),

  'data/inspect': call(
    z.object({ data: DataRef, channels: z.union([z.literal(1), z.literal(3)]).optional() }).strict(),
    returns<DataInspection>(),
  ),

  'scans/start': call(
    z
      .object({
        caseId: id,
        evidenceId: id,
        method: z.enum(SCAN_METHODS).default('uma'),
        params: ScanParamOverrides.optional(),
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1)
          .default(1),
        data: DataRef,
        /** Evidence holding a trusted clean model, used as the reference instead of training one. */
        referenceEvidenceId: id.optional(),
        /**
         * Sets the anomaly threshold from these clean scans (scans/calibrate) instead of the profile;
         * refused together with a params.anomalyThreshold. Recorded with the scan and signed in its report.
         */
        calibration: CalibrationSpec.optional(),
        /** Worker threads; absent = settings.workers (0 there = the service's default); 0 = the host's own thread. */
        workers: z.number().int().min(0).max(64).optional(),
        examiner: z.string().max(200).optional(),
      })
      .strict(),
    /** warnings: what the model importer noticed (unusual ops, guessed input spec). */
    returns<{ jobId: string; scanId: number; warnings: string[] }>(),
  ),
  /**
   * The threshold a scan with this method and parameters would get from these clean scans, without
   * starting one: each clean scan re-scored under those scoring constants. evidenceId names the suspect,
   * so that a scan of the suspect model itself is refused as a clean one.
   */
  'scans/calibrate': call(
    z
      .object({
        calibration: CalibrationSpec,
        method: z.enum(SCAN_METHODS).default('uma'),
        params: ScanParamOverrides.optional(),
        evidenceId: id.optional(),
      })
      .strict(),
    returns<ThresholdCalibrationRecord>(),
  ),
  'scans/cancel': call(z.object({ jobId: z.string().min(1) }).strict(), returns<{ cancelled: boolean }>()),
  /** Re-queues an interrupted, cancelled or failed scan; only its unfinished classes are redone. */
  'scans/resume': call(z.object({ scanId: id }).strict(), returns<{ jobId: string; scanId: number; todo: number[] }>()),
  'scans/get': call(z.object({ scanId: id }).strict(), returns<ScanDetail>()),
  'scans/list': call(z.object({ caseId: id.optional() }).strict(), returns<ScanSummary[]>()),
  'scans/artifacts': call(
    z.object({ scanId: id, classIndex: z.number().int().min(0) }).strict(),
    returns<ClassImages>(),
  ),
  /** Findings and images of several classes (of any scans, models, cases), for side-by-side review. */
  'scans/compare': call(
    z
      .object({
        items: z
          .array(z.object({ scanId: id, classIndex: z.number().int().min(0) }).strict())
          .min(1)
          .max(32),
      })
      .strict(),
    returns<
      {
        scanId: number;
        caseId: number;
        evidenceId: number;
        modelName: string;
        finding: ClassFinding;
        images: ClassImages;
      }[]
    >(),
  ),

  /**
   * A class's reversed trigger (as stored) stamped by the engine's stamp onto `count` seeded clean images of
   * other classes from the scan's data, and the suspect model's (and a supplied reference model's) top-1
   * answers on each image clean and stamped: does the trigger really move the model to the class?
   */
  'scans/stamped-predictions': call(
    z
      .object({ scanId: id, classIndex: z.number().int().min(0), count: z.number().int().min(1).max(24).default(6) })
      .strict(),
    returns<StampedPredictions>(),
  ),

  'jobs/list': call(none, returns<JobInfo[]>()),
  /** Batches of `uma batch` recorded beside this case database, newest first, with each scan's state. */
  'batches/list': call(none, returns<BatchInfo[]>()),
  'batches/queue': call(none, returns<QueueState>()),

  'notes/add': call(
    z
      .object({
        caseId: id,
        scanId: id.optional(),
        classIndex: z.number().int().min(0).optional(),
        text: z.string().min(1).max(100_000),
      })
      .strict(),
    returns<NoteInfo>(),
  ),
  'notes/update': call(z.object({ noteId: id, text: z.string().min(1).max(100_000) }).strict(), returns<NoteInfo>()),
  'notes/delete': call(z.object({ noteId: id }).strict(), returns<{ deleted: true }>()),

  'audit/list': call(z.object({ target: z.string().max(200).optional() }).strict(), returns<AuditEntryInfo[]>()),
  'audit/verify': call(none, returns<AuditVerificationInfo>()),

  /** Signs and archives a completed scan (with a PDF when the service has Chromium; see reports/pdf). */
  'reports/create': call(
    z.object({ scanId: id, examiner: z.string().trim().min(1).max(200) }).strict(),
    returns<ReportInfo & { pdf: boolean; pdfNote: string }>(),
  ),
  'reports/download': call(z.object({ reportId: id }).strict(), returns<NamedBytes>()),
  /** The report page as HTML, for a preview (the same renderer the archive uses, unsigned). */
  'reports/html': call(z.object({ scanId: id }).strict(), returns<{ html: string }>()),
  /** The report as a PDF: Electron prints it with printToPDF; `uma serve` with Chromium when installed. */
  'reports/pdf': call(z.object({ scanId: id }).strict(), returns<NamedBytes>()),
  'reports/verify': call(
    z
      .object({
        archive: z.union([z.object({ path: z.string().min(1) }).strict(), z.object({ bytes }).strict()]),
        model: z.union([z.object({ path: z.string().min(1) }).strict(), z.object({ bytes }).strict()]).optional(),
        /** PEM of the one public key the signer must hold; absent = the workstation's trusted keys (keys/list). */
        trustedKey: z.string().max(10_000).optional(),
      })
      .strict(),
    returns<{
      ok: boolean;
      status: VerificationStatus;
      signer: { keyid: string; trustedAs: string | null } | null;
      checks: VerifyCheck[];
    }>(),
  ),

  'settings/get': call(none, returns<Settings>()),
  'settings/set': call(Settings.partial().strict(), returns<Settings>()),

  /** The keys verification trusts: the examiners' own and the trust store's. */
  'keys/list': call(none, returns<KeyInfo[]>()),
  /** A public key PEM by examiner name or keyid (prefix of 8+ hex digits). */
  'keys/export': call(z.object({ examiner: z.string().trim().min(1).max(200) }).strict(), returns<NamedBytes>()),
  'keys/trust': call(
    z.object({ publicKeyPem: z.string().min(1).max(10_000), name: z.string().trim().min(1).max(200) }).strict(),
    returns<KeyInfo>(),
  ),
  /** Reads a pasted or uploaded public key without trusting it: its keyid (fingerprint) and whether it is known. */
  'keys/inspect': call(
    z.object({ publicKeyPem: z.string().min(1).max(10_000) }).strict(),
    returns<{ keyid: string; known: KeyInfo | null }>(),
  ),
  /** The examiner's own signing key, made now if they have none yet (it is otherwise made at their first report). */
  'keys/create': call(z.object({ examiner: z.string().trim().min(1).max(200) }).strict(), returns<KeyInfo>()),
  'keys/untrust': call(
    z
      .object({
        keyid: z
          .string()
          .trim()
          .regex(/^[0-9a-fA-F]{8,64}$/),
      })
      .strict(),
    returns<KeyInfo>(),
  ),

  /**
   * Desktop only (answered by the Electron main process): a native open dialog. Under `uma serve` it
   * answers BAD_INPUT; the browser UI uploads files instead (app/info.host tells which).
   * A dropped file reaches the service as an upload in both (the renderer reads its bytes).
   */
  'shell/pick': call(
    z.object({ kind: z.enum(['model', 'data-folder', 'archive', 'public-key']) }).strict(),
    returns<{ paths: string[] }>(),
  ),
} as const;

/** Calls the Electron main process answers itself (dialogs, printing); the rest go to the engine host. */
export const SHELL_METHODS = ['shell/pick', 'reports/pdf'] as const satisfies readonly (keyof typeof API)[];

export type Method = keyof typeof API;
/** What a caller passes (defaults optional). */
export type Args<M extends Method> = z.input<(typeof API)[M]['args']>;
/** What a handler receives after validation (defaults filled in). */
export type ParsedArgs<M extends Method> = z.output<(typeof API)[M]['args']>;
export type Result<M extends Method> = (typeof API)[M]['result'];

export type Reply<R> = { ok: true; value: R } | { ok: false; error: ErrorInfo };

export const METHODS = Object.keys(API) as Method[];
export const isMethod = (m: unknown): m is Method => typeof m === 'string' && Object.hasOwn(API, m);

// ---------------------------------------------------------------------------------------------
// Events (service -> every connected client)

export type ApiEvent =
  | { type: 'job/progress'; jobId: string; scanId: number; progress: ScanProgress }
  /** A class finished and is stored; images are its PNGs (see the header comment). */
  | { type: 'job/class-result'; jobId: string; scanId: number; finding: ClassFinding; images: ClassImages }
  | { type: 'job/done'; jobId: string; scanId: number; result: ScanResult }
  | { type: 'job/failed'; jobId: string; scanId: number; error: ErrorInfo }
  /** The engine host died and was restarted; running scans were interrupted (and are being resumed). */
  | { type: 'host/restarted'; generation: number; reason: string; resumedScanIds: number[] };

export type EventType = ApiEvent['type'];
export type EventOf<T extends EventType> = Extract<ApiEvent, { type: T }>;

/**
 * The client-side API: one async function per call, named as the call (`uma['cases/list']({})`),
 * never throwing for service errors (they come back as {ok:false}), plus `on`, an event subscription
 * returning its unsubscribe function. `window.uma` (preload), the IPC client and the WebSocket client
 * all implement it.
 */
export type UmaCalls = { [M in Method]: (args: Args<M>) => Promise<Reply<Result<M>>> };
export type UmaApi = UmaCalls & { on(listener: (e: ApiEvent) => void): () => void };

/** Builds the named functions of UmaApi over one generic request function (both clients use it). */
export function namedCalls(request: (method: Method, args: unknown) => Promise<Reply<unknown>>): UmaCalls {
  return Object.fromEntries(METHODS.map((m) => [m, (args: unknown) => request(m, args)])) as UmaCalls;
}

/** Messages of the request/response protocol both transports carry. */
export type RequestMessage = { kind: 'request'; id: number; method: string; args: unknown };
export type ResponseMessage = { kind: 'response'; id: number; reply: Reply<unknown> };
export type EventMessage = { kind: 'event'; event: ApiEvent };
/** First message on every connection: which service instance answers (a new one after a restart). */
export type HelloMessage = { kind: 'hello'; instance: string; generation: number; resumedScanIds: number[] };
export type WireMessage = RequestMessage | ResponseMessage | EventMessage | HelloMessage;

export { ERROR_CODES };
