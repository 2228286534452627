/**
 * Offline verification of a report archive. Each check is named and reported on its own, so an
 * examiner sees exactly what holds and what does not. Every file of the archive is covered: the
 * payload by the signed statement's digests (the key by its keyid), bag-info.txt by a signed digest
 * plus a recomputed Payload-Oxum, bagit.txt is fixed text, and both manifests must be exactly what
 * the files they list rebuild; any other or missing file fails. The result is one of three:
 * verified (intact, signed by a trusted key), untrusted (intact, but the signer is not a trusted
 * key: only the trusted-key check fails) and failed (anything else). The model check is 'skip'
 * when no model is given.
 */
import fs from 'node:fs';
import { sha256Hex } from '../util/digest.ts';
import { paramsSha256 } from '../util/params-digest.ts';
import { sha256File } from '../cases/hashing.ts';
import { calibratedClassThresholds, calibratedThreshold } from '../engine/scan/calibration.ts';
import type { VerificationStatus } from '../../shared/api.ts';
import {
  BAG_INFO,
  BAGIT,
  BAGIT_TXT,
  MANIFEST,
  manifestOf,
  parseManifest,
  payloadOxumLine,
  TAGMANIFEST,
  unzipBag,
  type BagFiles,
} from './bagit.ts';
import { decodeBase64Strict, keyidOf, serializeEnvelope, verifyEnvelope, type DsseEnvelope } from './dsse.ts';
import { ENVELOPE_PATH, keyPath } from './layout.ts';
import { readPublicKey } from './keys.ts';
import { zipProblems } from './zipcheck.ts';
import { PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE, type PredicateClass, type Statement } from './statement.ts';
import type { ScanResult, ThresholdCalibrationRecord } from '../../shared/results.ts';
import { classThreshold, classThresholdsOf, raisedClasses } from '../../shared/calibration-record.ts';
import { METHOD_STAGES } from '../../shared/scan-params.ts';
import { rescoreResult, verdictOf } from '../engine/scan/anomaly.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

export interface Verification {
  /** status === 'verified'. */
  ok: boolean;
  status: VerificationStatus;
  /** The key the envelope names, and the trusted key's name when it is one. */
  signer: { keyid: string; trustedAs: string | null } | null;
  checks: Check[];
  statement: Statement | null;
}

export interface VerifyOptions {
  /** The model file (path or bytes) the statement's subject must name. */
  model?: string | Uint8Array;
  /** Keys a signer is trusted by (PEM, with who holds it); none given = no signer is trusted. */
  trusted?: { name: string; publicKeyPem: string }[];
}

/** The one check whose failure alone means "intact, but who signed it is not known". */
const TRUST_CHECK = 'trusted-key';

const text = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('utf8') : '');

/** Checks a manifest's digests against the bag, and that it is exactly what bagging writes for them. */
function manifestProblems(
  bag: BagFiles,
  name: string,
): { problems: string[]; listed: Set<string> } | { unreadable: string } {
  const parsed = parseManifest(text(bag.get(name)));
  if ('badLine' in parsed) return { unreadable: `${name} line ${parsed.badLine} is not 'SHA256  PATH'` };
  const listed = new Set<string>();
  const problems: string[] = [];
  for (const { sha256, path } of parsed.entries) {
    if (listed.has(path)) problems.push(`${path} listed twice`);
    listed.add(path);
    const bytes = bag.get(path);
    if (!bytes) problems.push(`${path} is listed but missing`);
    else if (sha256Hex(bytes) !== sha256) problems.push(`${path} does not match its digest`);
  }
  const present = [...listed].flatMap((p): [string, Uint8Array][] => (bag.has(p) ? [[p, bag.get(p)!]] : []));
  if (problems.length === 0 && manifestOf(present) !== text(bag.get(name)))
    problems.push(`${name} is not in the one form bagging writes (the file was altered)`);
  return { problems, listed };
}

function parseEnvelope(bytes: Uint8Array | undefined): DsseEnvelope | string {
  if (!bytes) return `data/${ENVELOPE_PATH} is missing`;
  let env: DsseEnvelope;
  try {
    env = JSON.parse(text(bytes)) as DsseEnvelope;
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  // Exactly one signature: the signature list is outside what is signed, so a second entry would be
  // an unsigned change to the file.
  const sigsOk =
    Array.isArray(env?.signatures) &&
    env.signatures.length === 1 &&
    env.signatures.every((s) => typeof s?.keyid === 'string' && typeof s?.sig === 'string');
  if (typeof env?.payloadType !== 'string' || typeof env.payload !== 'string' || !sigsOk)
    return 'not a DSSE envelope with one signature (payloadType, payload, signatures)';
  // One byte form only: any change to the file, even in whitespace, must show.
  if (serializeEnvelope(env) !== text(bytes)) return 'not in canonical form (the file was altered)';
  return env;
}

/**
 * A calibrated threshold must be the one the scan used and follow from the clean scores it lists by the
 * rule (docs/algorithm.md, step 5): a statement that says otherwise was not made by this tool's rule.
 */
function calibrationProblem(p: Statement['predicate']): { status: CheckStatus; detail: string } {
  const c = p.calibration;
  if (c === undefined) return { status: 'skip', detail: "not calibrated: the threshold is the profile's" };
  const scores = Array.isArray(c?.clean) ? c.clean.map((k) => k?.score) : [];
  if (scores.length === 0 || !scores.every(isFiniteNumber))
    return { status: 'fail', detail: 'the calibration lists no clean scans with finite scores' };
  if (!isFiniteNumber(c.base) || !isFiniteNumber(c.margin) || c.margin < 0)
    return { status: 'fail', detail: `the calibration's base ${c.base} or margin ${c.margin} is not a number >= 0` };
  if (c.threshold !== p.parameters?.anomalyThreshold)
    return {
      status: 'fail',
      detail: `the calibrated threshold ${c.threshold} is not the scan's anomalyThreshold ${p.parameters?.anomalyThreshold}`,
    };
  const models = `models ${c.clean.map((k) => String(k?.sha256).slice(0, 12)).join(', ')}`;
  const rule = c.rule ?? 'task';
  if (rule === 'class') return classCalibrationProblem(c, p.classes?.length, models);
  if (rule !== 'task') return { status: 'fail', detail: `the calibration names an unknown rule '${String(rule)}'` };
  // Read as one threshold everywhere (classThresholdsOf): thresholds per class here were never applied.
  if (c.classThresholds !== undefined)
    return { status: 'fail', detail: "a one-threshold ('task') calibration lists per-class thresholds" };
  const expected = calibratedThreshold(scores, c.base, c.margin);
  if (c.threshold !== expected)
    return {
      status: 'fail',
      detail: `the calibrated threshold ${c.threshold} does not follow from its clean scores (max(${c.base}, ${c.margin} x ${Math.max(...scores)}) = ${expected})`,
    };
  return {
    status: 'pass',
    detail: `threshold ${c.threshold} = max(${c.base}, ${c.margin} x the largest of ${scores.length} clean scores), ${models}`,
  };
}

const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** The reference model findings.json records, undefined where it is missing or unreadable. */
function referenceIn(findings: Uint8Array | undefined): ScanResult['reference'] | undefined {
  try {
    return (JSON.parse(text(findings)) as Partial<ScanResult> | null)?.reference;
  } catch {
    return undefined;
  }
}

/** Equal up to the last bits a recomputation in another order could change. */
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * The verdict must follow from the measures it is drawn from: every class's anomaly index and flag, the
 * score, the target and the verdict are recomputed from each class's ASR, |mask|, transfer ASR and
 * survival under the signed parameters and, with the per-class rule, the calibrated thresholds, by the
 * scan's one scoring path (scoredResult; docs/algorithm.md, steps 4-5). A statement that says otherwise,
 * even one validly signed, was not scored by this tool.
 */
function scoringProblem(
  p: Statement['predicate'],
  findingsReference: ScanResult['reference'] | undefined,
): { status: CheckStatus; detail: string } {
  const fail = (detail: string) => ({ status: 'fail' as const, detail });
  if (!Object.hasOwn(METHOD_STAGES, p.method))
    return fail(`the statement names an unknown method '${String(p.method)}'`);
  const classes = Array.isArray(p.classes) ? p.classes : [];
  const measured = (c: PredicateClass) =>
    isFiniteNumber(c?.asr) && isFiniteNumber(c.maskL1) && (c.transferAsr === null || isFiniteNumber(c.transferAsr));
  if (classes.length < 2 || !classes.every(measured))
    return fail("the statement does not list each class's ASR, |mask| and transfer ASR");
  // Whether the transfer filter counted depends on the reference's accuracy only where a minimum is set.
  // Statements signed before the predicate recorded the reference have it in findings.json (signed by digest).
  const reference = p.reference !== undefined ? p.reference : findingsReference;
  const referenceDecides = METHOD_STAGES[p.method].transferFilter && (p.parameters?.referenceMinAccuracy ?? 0) > 0;
  if (reference === undefined && referenceDecides)
    return {
      status: 'skip',
      detail: `neither the statement nor findings.json records the reference model, and referenceMinAccuracy ${p.parameters.referenceMinAccuracy} decides whether the transfer filter counted`,
    };
  // As the scan did (runScan): the per-class thresholds where the record's rule is 'class'.
  const thresholds = classThresholdsOf(p.calibration);
  const s = rescoreResult({ method: p.method, classes, reference: reference ?? null }, p.parameters, true, thresholds);
  const verdict = verdictOf(s);
  const threshold = (k: number) => classThreshold(p.calibration, k, p.parameters.anomalyThreshold);
  const problems = [
    ...classes.flatMap((c, k) => {
      const { anomalyIndex, flagged } = s.classes[k];
      if (!isFiniteNumber(c.anomalyIndex) || !close(c.anomalyIndex, anomalyIndex))
        return [`class ${k}'s anomaly index is ${c.anomalyIndex}, its measures give ${anomalyIndex}`];
      if (c.flagged !== flagged)
        return [
          `class ${k} is ${c.flagged ? 'flagged' : 'not flagged'}, its measures say ${flagged ? 'flagged' : 'not flagged'} (index ${anomalyIndex} against threshold ${threshold(k)})`,
        ];
      return [];
    }),
    ...(p.verdict !== verdict ? [`the verdict is ${p.verdict}, the measures give ${verdict}`] : []),
    ...(p.target !== s.target ? [`the target is ${p.target}, the measures give ${s.target}`] : []),
    ...(!isFiniteNumber(p.score) || !close(p.score, s.score)
      ? [`the score is ${p.score}, the measures give ${s.score}`]
      : []),
  ];
  if (problems.length) return fail(problems.join('; '));
  const flagged = s.classes.filter((c) => c.flagged).length;
  return {
    status: 'pass',
    detail: `${verdict}${s.target === null ? '' : ` at class ${s.target}`}, score ${s.score}: each of ${classes.length} classes' index and flag (${flagged} flagged) follow from its measures under the signed parameters${thresholds ? ' and per-class thresholds' : ''}`,
  };
}

/** The per-class rule: every class's threshold recomputed from the clean scans' class indices. */
function classCalibrationProblem(
  c: ThresholdCalibrationRecord,
  classes: number | undefined,
  models: string,
): { status: CheckStatus; detail: string } {
  const fail = (detail: string) => ({ status: 'fail' as const, detail });
  const perScan = c.clean.map((k) => k?.classScores);
  const wellFormed = (v: unknown) =>
    Array.isArray(v) && v.length === classes && v.every((x) => x === null || isFiniteNumber(x));
  if (!perScan.every(wellFormed))
    return fail(`a per-class calibration needs each clean scan's ${classes} class indices (a number or null)`);
  if (!wellFormed(c.classThresholds) || !c.classThresholds!.every(isFiniteNumber))
    return fail(`a per-class calibration needs ${classes} class thresholds`);
  if (c.threshold !== c.base)
    return fail(`a per-class calibration's anomalyThreshold ${c.threshold} is not its base ${c.base}`);
  const expected = calibratedClassThresholds(perScan as (number | null)[][], c.base, c.margin);
  const wrong = expected.findIndex((t, k) => t !== c.classThresholds![k]);
  if (wrong >= 0)
    return fail(
      `class ${wrong}'s calibrated threshold ${c.classThresholds[wrong]} does not follow from its clean indices (${expected[wrong]})`,
    );
  const raised = raisedClasses(c).length;
  return {
    status: 'pass',
    detail: `per class: threshold_k = max(${c.base}, ${c.margin} x class k's largest index in ${perScan.length} clean scans), ${raised} of ${classes} above ${c.base}, ${models}`,
  };
}

export async function verifyArchive(zip: Uint8Array, opts: VerifyOptions = {}): Promise<Verification> {
  const checks: Check[] = [];
  const add = (name: string, status: CheckStatus, detail: string): boolean => {
    checks.push({ name, status, detail });
    return status === 'pass';
  };
  let signer: Verification['signer'] = null;
  const done = (statement: Statement | null): Verification => {
    const failed = checks.filter((c) => c.status === 'fail').map((c) => c.name);
    const status: VerificationStatus =
      failed.length === 0 ? 'verified' : failed.every((n) => n === TRUST_CHECK) ? 'untrusted' : 'failed';
    return { ok: status === 'verified', status, signer, checks, statement };
  };

  let bag: BagFiles;
  try {
    bag = unzipBag(zip);
  } catch (err) {
    add('zip', 'fail', `not a readable zip: ${(err as Error).message}`);
    return done(null);
  }
  const container = zipProblems(zip);
  add(
    'zip',
    container.length ? 'fail' : 'pass',
    container.length ? container.join('; ') : `${bag.size} files, every container byte accounted for`,
  );

  const decl = text(bag.get(BAGIT));
  add(
    'bagit',
    decl === BAGIT_TXT ? 'pass' : 'fail',
    decl === BAGIT_TXT ? 'BagIt 1.0, UTF-8' : 'bagit.txt is missing or not the BagIt 1.0 declaration',
  );

  const payload = manifestProblems(bag, MANIFEST);
  if ('unreadable' in payload) {
    add('manifest', 'fail', bag.has(MANIFEST) ? payload.unreadable : `${MANIFEST} is missing`);
  } else {
    add(
      'manifest',
      payload.problems.length ? 'fail' : 'pass',
      payload.problems.length ? payload.problems.join('; ') : `${payload.listed.size} payload files match their sha256`,
    );
    const unlisted = [...bag.keys()].filter((p) => p.startsWith('data/') && !payload.listed.has(p));
    const stray = [...payload.listed].filter((p) => !p.startsWith('data/'));
    const extra = [...bag.keys()].filter(
      (p) => !p.startsWith('data/') && ![MANIFEST, TAGMANIFEST, BAGIT, BAG_INFO].includes(p),
    );
    const bad = [
      ...unlisted.map((p) => `${p} is not in the manifest`),
      ...stray.map((p) => `${p} is outside data/`),
      ...extra.map((p) => `${p} is not a known tag file`),
    ];
    add('complete', bad.length ? 'fail' : 'pass', bad.length ? bad.join('; ') : 'no unlisted or missing files');
  }

  if (bag.has(TAGMANIFEST)) {
    const tags = manifestProblems(bag, TAGMANIFEST);
    if ('unreadable' in tags) add('tagmanifest', 'fail', tags.unreadable);
    else {
      const unlisted = [...bag.keys()].filter(
        (p) => !p.startsWith('data/') && p !== TAGMANIFEST && !tags.listed.has(p),
      );
      const bad = [...tags.problems, ...unlisted.map((p) => `${p} is not in the tag manifest`)];
      add(
        'tagmanifest',
        bad.length ? 'fail' : 'pass',
        bad.length ? bad.join('; ') : `${tags.listed.size} tag files match their sha256`,
      );
    }
  } else add('tagmanifest', 'fail', `${TAGMANIFEST} is missing (a report archive always has one)`);

  const env = parseEnvelope(bag.get(`data/${ENVELOPE_PATH}`));
  if (typeof env === 'string') {
    add('envelope', 'fail', env);
    return done(null);
  }
  add('envelope', 'pass', `DSSE envelope, ${env.signatures.length} signature(s)`);

  const keyid = env.signatures[0].keyid;
  const pem = bag.get(`data/${keyPath(keyid)}`);
  let signed = false;
  if (!pem) add('signature', 'fail', `no public key data/${keyPath(keyid)} for the signature's keyid`);
  else {
    try {
      const key = readPublicKey(pem);
      const canonical = key.export({ type: 'spki', format: 'pem' }).toString() === text(pem);
      if (keyidOf(key) !== keyid)
        add('signature', 'fail', `the key file for ${keyid} holds a different key (${keyidOf(key)})`);
      else if (!canonical)
        add(
          'signature',
          'fail',
          `data/${keyPath(keyid)} is not in the one PEM form the key is written in (the file was altered)`,
        );
      else
        signed = add(
          'signature',
          verifyEnvelope(env, key) ? 'pass' : 'fail',
          verifyEnvelope(env, key)
            ? `Ed25519 signature by key ${keyid}`
            : `the signature by key ${keyid} does not verify`,
        );
    } catch (err) {
      add('signature', 'fail', (err as Error).message);
    }
  }
  const trustedBy = (opts.trusted ?? []).find((t) => {
    const k = readPublicKey(t.publicKeyPem);
    return keyidOf(k) === keyid && verifyEnvelope(env, k);
  });
  signer = { keyid, trustedAs: trustedBy?.name ?? null };
  if (trustedBy) add(TRUST_CHECK, 'pass', `signed by ${trustedBy.name}'s trusted key ${keyid}`);
  else {
    const known = (opts.trusted ?? []).length;
    add(
      TRUST_CHECK,
      'fail',
      `key ${keyid} is not trusted (${known ? `not among the ${known} trusted key(s)` : 'no trusted keys given'}):` +
        " the archive may be intact, but who signed it is unknown; trust the examiner's key with uma keys trust, or give --trust",
    );
  }

  add('payload-type', env.payloadType === PAYLOAD_TYPE ? 'pass' : 'fail', `payloadType ${env.payloadType}`);
  const body = decodeBase64Strict(env.payload);
  let statement: Statement | null = null;
  try {
    statement = body ? (JSON.parse(text(body)) as Statement) : null;
  } catch {
    statement = null;
  }
  const p = statement?.predicate;
  if (
    !statement ||
    statement._type !== STATEMENT_TYPE ||
    statement.predicateType !== PREDICATE_TYPE ||
    !p ||
    !Array.isArray(statement.subject)
  ) {
    add('statement', 'fail', `payload is not an in-toto ${STATEMENT_TYPE} with predicate ${PREDICATE_TYPE}`);
    return done(null);
  }
  // Past the types, the statement is still untrusted input (it may be unsigned): a missing or
  // mistyped member is a failed check, never a crash.
  try {
    const keyMatches = p.examiner?.keyid === keyid;
    add(
      'statement',
      keyMatches ? 'pass' : 'fail',
      keyMatches
        ? `in-toto Statement v1, predicate ${PREDICATE_TYPE}, ${signed ? 'signed' : 'NOT validly signed'}, examiner ${p.examiner.name}`
        : `the statement names signer key ${p.examiner?.keyid}, the signature is by ${keyid}`,
    );
    add(
      'parameters',
      paramsSha256(p.parameters, p.method, p.seed) === p.parametersSha256 ? 'pass' : 'fail',
      `sha256 of {method, seed, parameters} ${p.parametersSha256}`,
    );
    const calibration = calibrationProblem(p);
    add('calibration', calibration.status, calibration.detail);
    const scoring = scoringProblem(p, referenceIn(bag.get(`data/${p.findings?.path}`)));
    add('verdict', scoring.status, scoring.detail);

    const referenced = new Set<string>();
    const triggerProblems: string[] = [];
    for (const c of p.classes ?? []) {
      for (const t of c.triggers ?? []) {
        const file = `data/${t.path}`;
        referenced.add(file);
        const bytes = bag.get(file);
        if (!bytes) triggerProblems.push(`${file} is missing`);
        else if (sha256Hex(bytes) !== t.sha256) triggerProblems.push(`${file} does not match the signed digest`);
      }
    }
    const unsigned = [...bag.keys()].filter((f) => f.startsWith('data/triggers/') && !referenced.has(f));
    triggerProblems.push(...unsigned.map((f) => `${f} is not in the statement`));
    add(
      'triggers',
      triggerProblems.length ? 'fail' : 'pass',
      triggerProblems.length
        ? triggerProblems.join('; ')
        : `${referenced.size} trigger images match the signed digests`,
    );

    // Every other payload file must be signed too: the documents by digest, the key by keyid.
    const documents = p.documents ?? [];
    const docProblems = documents.flatMap((d) => {
      const bytes = bag.get(`data/${d.path}`);
      return !bytes
        ? [`data/${d.path} is missing`]
        : sha256Hex(bytes) !== d.sha256
          ? [`data/${d.path} does not match the signed digest`]
          : [];
    });
    const covered = new Set([
      ...referenced,
      ...documents.map((d) => `data/${d.path}`),
      `data/${p.findings?.path}`,
      `data/${ENVELOPE_PATH}`,
      `data/${keyPath(keyid)}`,
    ]);
    docProblems.push(
      ...[...bag.keys()]
        .filter((f) => f.startsWith('data/') && !f.startsWith('data/triggers/') && !covered.has(f))
        .map((f) => `${f} is not covered by the signature`),
    );
    add(
      'documents',
      docProblems.length ? 'fail' : 'pass',
      docProblems.length
        ? docProblems.join('; ')
        : `${documents.map((d) => d.path).join(', ')} match the signed digests`,
    );

    const info = text(bag.get(BAG_INFO));
    const oxum = payloadOxumLine([...bag].filter(([f]) => f.startsWith('data/')).map(([, b]) => b));
    const infoOk =
      info.endsWith(oxum) && sha256Hex(Buffer.from(info.slice(0, -oxum.length), 'utf8')) === p.bagInfo?.sha256;
    add(
      'bag-info',
      infoOk ? 'pass' : 'fail',
      infoOk
        ? `${BAG_INFO} matches the signed digest and the payload (${oxum.trim()})`
        : !bag.has(BAG_INFO)
          ? `${BAG_INFO} is missing`
          : !info.endsWith(oxum)
            ? `${BAG_INFO} does not end with the payload's ${oxum.trim()}`
            : `${BAG_INFO} does not match the signed digest${p.bagInfo ? '' : ' (the statement has none: not a report this tool signs)'}`,
    );

    const findings = bag.get(`data/${p.findings?.path}`);
    const findingsOk = findings !== undefined && sha256Hex(findings) === p.findings.sha256;
    add(
      'findings',
      findingsOk ? 'pass' : 'fail',
      findingsOk
        ? `data/${p.findings.path} matches the signed digest`
        : `data/${p.findings?.path} is missing or does not match the signed digest`,
    );

    if (opts.model === undefined)
      add(
        'model',
        'skip',
        `no --model given; the statement names ${statement.subject.map((s) => `${s.name} sha256 ${s.digest?.sha256}`).join(', ')}`,
      );
    else {
      const digest =
        typeof opts.model === 'string'
          ? fs.existsSync(opts.model)
            ? (await sha256File(opts.model)).sha256
            : null
          : sha256Hex(opts.model);
      const subject = statement.subject.find((s) => s.digest?.sha256 === digest);
      add(
        'model',
        subject ? 'pass' : 'fail',
        subject
          ? `the model is the subject ${subject.name} (sha256 ${digest})`
          : digest === null
            ? `model file ${String(opts.model)} not found`
            : `the model's sha256 ${digest} is not the statement's subject`,
      );
    }
  } catch (err) {
    add('statement', 'fail', `malformed statement: ${(err as Error).message}`);
    return done(null);
  }
  return done(statement);
}
