/**
 * Every file of a report archive is covered: deleting or editing any one (bag-info.txt and the tag
 * manifest included), with or without recomputing the unsigned manifests, or adding one, fails; an
 * archive re-signed with another key is intact but untrusted until that key is trusted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BAG_INFO,
  bagInfoFields,
  buildBag,
  MANIFEST,
  TAGMANIFEST,
  unzipBag,
  zipBag,
  type BagFiles,
} from '../../../src/main/reports/bagit.ts';
import {
  serializeEnvelope,
  signEnvelope,
  decodeBase64Strict,
  type DsseEnvelope,
} from '../../../src/main/reports/dsse.ts';
import { examinerKey, type ExaminerKey } from '../../../src/main/reports/keys.ts';
import { ENVELOPE_PATH, keyPath } from '../../../src/main/reports/layout.ts';
import { PAYLOAD_TYPE, statementPayload, type Statement } from '../../../src/main/reports/statement.ts';
import { trustedKeys, trustKey } from '../../../src/main/reports/trust.ts';
import { verifyArchive, type Verification, type VerifyOptions } from '../../../src/main/reports/verify.ts';
import { verify } from '../../../src/main/cli/commands/verify.ts';
import { sha256Hex } from '../../../src/main/util/digest.ts';
import type { ThresholdCalibrationRecord } from '../../../src/shared/results.ts';
import { paramsSha256 } from '../../../src/main/util/params-digest.ts';
import { exportedScan, flipped, remanifest, type Exported } from './archive-helpers.ts';
import { rescoreResult, verdictOf } from '../../../src/main/engine/scan/anomaly.ts';
import { classThresholdsOf } from '../../../src/shared/calibration-record.ts';

let x: Exported;
let bag: BagFiles;
let mallory: ExaminerKey;
beforeAll(async () => {
  x = await exportedScan();
  bag = unzipBag(x.zip);
  mallory = examinerKey(path.join(x.dir, 'mallory-keys'), 'Mallory');
});
afterAll(() => {
  x.cdb.sql.close();
  fs.rmSync(x.dir, { recursive: true, force: true });
});

const ENV = `data/${ENVELOPE_PATH}`;
const check = (b: BagFiles, trusted: VerifyOptions['trusted'] = trustedKeys(x.cdb.paths)): Promise<Verification> =>
  verifyArchive(zipBag(b), { trusted });
const failed = (v: Verification): string[] => v.checks.filter((c) => c.status === 'fail').map((c) => c.name);

/** The flags and verdict the scan's scoring gives the statement's measures, parameters and thresholds. */
function rescore(p: Statement['predicate']): void {
  const s = rescoreResult(
    { ...p, reference: p.reference ?? null },
    p.parameters,
    true,
    classThresholdsOf(p.calibration),
  );
  p.classes.forEach((c, k) =>
    Object.assign(c, { anomalyIndex: s.classes[k].anomalyIndex, flagged: s.classes[k].flagged }),
  );
  Object.assign(p, { verdict: verdictOf(s), score: s.score, target: s.target });
}

/** A fully consistent archive, as an attacker with a key of their own makes it: statement edited, re-signed. */
function resigned(key: ExaminerKey, edit: (s: Statement) => void): BagFiles {
  const env = JSON.parse(Buffer.from(bag.get(ENV)!).toString()) as DsseEnvelope;
  const st = JSON.parse(decodeBase64Strict(env.payload)!.toString()) as Statement;
  edit(st);
  st.predicate.examiner = { name: 'Alice Example', keyid: key.keyid };
  const info = Buffer.from(bag.get(BAG_INFO)!)
    .toString()
    .split('\n')
    .filter((l) => l && !l.startsWith('Payload-Oxum'))
    .map((l): [string, string] => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)])
    .map(([k, v]): [string, string] => [k, k === 'UMA-Key-Id' ? key.keyid : v]);
  st.predicate.bagInfo = { sha256: sha256Hex(Buffer.from(bagInfoFields(info))) };
  const payload: BagFiles = new Map();
  for (const [p, b] of bag)
    if (p.startsWith('data/') && p !== ENV && !p.startsWith('data/keys/')) payload.set(p.slice(5), b);
  payload.set(
    ENVELOPE_PATH,
    Buffer.from(serializeEnvelope(signEnvelope(PAYLOAD_TYPE, statementPayload(st), key.privateKey))),
  );
  payload.set(keyPath(key.keyid), Buffer.from(key.publicKeyPem));
  return buildBag(payload, info);
}

describe('tamper matrix: every file of the archive', () => {
  it("the untouched archive is verified, signed by the workstation's own examiner key", async () => {
    const v = await check(bag);
    expect(failed(v)).toEqual([]);
    expect(v).toMatchObject({ ok: true, status: 'verified', signer: { trustedAs: 'alice-example' } });
  });

  it('deleting any one file fails, also with the manifests and Payload-Oxum recomputed', async () => {
    expect(bag.size).toBeGreaterThanOrEqual(18);
    for (const file of bag.keys()) {
      const cut = new Map(bag);
      cut.delete(file);
      // Recomputing the manifests would restore a deleted manifest.
      const variants =
        file === MANIFEST || file === TAGMANIFEST
          ? ([['as is', cut]] as const)
          : ([
              ['as is', cut],
              ['re-manifested', remanifest(cut)],
            ] as const);
      for (const [how, b] of variants) {
        const v = await check(b);
        expect(v.status, `${file} deleted, ${how}: ${failed(v).join(', ')}`).toBe('failed');
      }
    }
  });

  it('editing any one file fails, also with the manifests and Payload-Oxum recomputed', async () => {
    for (const [file, bytes] of bag) {
      const edited = new Map(bag).set(file, flipped(bytes, Math.floor(bytes.length / 2), 0x01));
      const v = await check(edited);
      expect(v.status, `${file} edited: ${failed(v).join(', ')}`).toBe('failed');
      if (file === MANIFEST || file === TAGMANIFEST) continue; // recomputing them would undo the edit
      const forged = await check(remanifest(edited));
      expect(forged.status, `${file} edited, re-manifested: ${failed(forged).join(', ')}`).toBe('failed');
    }
  });

  it('an edited bag-info.txt field fails on the signed digest, whatever else is recomputed', async () => {
    const info = Buffer.from(bag.get(BAG_INFO)!)
      .toString()
      .replace('Contact-Name: Alice Example', 'Contact-Name: Mallory');
    const v = await check(remanifest(new Map(bag).set(BAG_INFO, Buffer.from(info))));
    expect(failed(v)).toEqual(['bag-info']);
    expect(v.checks.find((c) => c.name === 'bag-info')!.detail).toMatch(/does not match the signed digest/);
    const noTags = new Map(bag);
    noTags.delete(TAGMANIFEST);
    expect(failed(await check(noTags))).toEqual(['tagmanifest']);
  });

  it('an added file fails, at the top level, in data/ or among the triggers', async () => {
    for (const extra of ['notes.txt', 'data/notes.txt', 'data/triggers/class-0-extra.png', 'data/keys/other.pub']) {
      const added = new Map(bag).set(extra, Buffer.from('added later'));
      for (const b of [added, remanifest(added)]) expect((await check(b)).status, extra).toBe('failed');
    }
  });

  it('a second signature slipped into the envelope fails', async () => {
    const env = JSON.parse(Buffer.from(bag.get(ENV)!).toString()) as DsseEnvelope;
    const extra = signEnvelope(env.payloadType, decodeBase64Strict(env.payload)!, mallory.privateKey).signatures[0];
    const twice = new Map(bag).set(
      ENV,
      Buffer.from(serializeEnvelope({ ...env, signatures: [...env.signatures, extra] })),
    );
    expect(failed(await check(remanifest(twice)))).toContain('envelope');
  });

  it('re-signed with another key: untrusted (not verified) until that key is trusted', async () => {
    // The trojan's class measured as a failed inversion, and the verdict scored from it: consistent,
    // so only the signer tells this archive from the scan's.
    const forged = resigned(mallory, (s) => {
      Object.assign(s.predicate.classes[2], { asr: 0.05, maskL1: 200 });
      rescore(s.predicate);
    });
    expect(unzipBag(x.zip).size).toBe(forged.size);
    const v = await check(forged);
    expect(failed(v)).toEqual(['trusted-key']);
    expect(v).toMatchObject({ ok: false, status: 'untrusted', signer: { keyid: mallory.keyid, trustedAs: null } });
    const none = await verifyArchive(zipBag(forged));
    expect(none.status).toBe('untrusted');
    const trusting = await check(forged, [
      ...trustedKeys(x.cdb.paths),
      { name: 'Mallory', publicKeyPem: mallory.publicKeyPem },
    ]);
    expect(trusting).toMatchObject({ ok: true, status: 'verified', signer: { trustedAs: 'Mallory' } });
    // Re-signed by the workstation's own key: verified (the consistency of the attacker's helper).
    expect((await check(resigned(examinerKey(x.cdb.paths.keysDir, 'Alice Example'), () => {}))).status).toBe(
      'verified',
    );
  });

  it('uma verify exits 0 verified, 3 untrusted signer, 1 altered; uma keys trust turns 3 into 0', async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), isTTY: false };
    const file = (name: string, b: BagFiles): string => {
      const f = path.join(x.dir, name);
      fs.writeFileSync(f, zipBag(b));
      return f;
    };
    const db = ['--db', x.cdb.paths.db];
    expect(await verify.run([file('good.zip', bag), ...db], io)).toBe(0);
    expect(out.at(-1)).toMatch(/^VERIFIED {2}/);
    const forged = file(
      'forged.zip',
      resigned(mallory, () => {}),
    );
    expect(await verify.run([forged, ...db], io)).toBe(3);
    expect(out.join('\n')).toMatch(/^UNTRUSTED SIGNER {2}.*intact, but signed by key/m);
    const info = Buffer.from(bag.get(BAG_INFO)!).toString().replace('Alice Example', 'Mallory Example');
    expect(
      await verify.run([file('altered.zip', remanifest(new Map(bag).set(BAG_INFO, Buffer.from(info)))), ...db], io),
    ).toBe(1);
    expect(out.at(-1)).toMatch(/^NOT VERIFIED {2}.*bag-info/);
    expect(await verify.run([forged, '--trust', mallory.pubFile], io)).toBe(0);
    trustKey(x.cdb.paths, mallory.publicKeyPem, 'Mallory (visiting examiner)');
    expect(await verify.run([forged, ...db], io)).toBe(0);
    expect(out.at(-1)).toMatch(/trusted as Mallory \(visiting examiner\)/);
  });
});

describe('calibration check: a calibrated threshold follows from the clean scores it lists', () => {
  /** Signed with the workstation's own (trusted) key, so that only what the statement says is judged. */
  const calibrated = (threshold: number, parameter: number, scores: number[]): BagFiles =>
    resigned(examinerKey(x.cdb.paths.keysDir, 'Alice Example'), (st) => {
      const p = st.predicate;
      p.parameters = { ...p.parameters, anomalyThreshold: parameter };
      p.parametersSha256 = paramsSha256(p.parameters, p.method, p.seed);
      p.anomalyThreshold = parameter;
      p.calibration = {
        base: 2,
        margin: 3,
        threshold,
        clean: scores.map((score, i) => ({
          scanId: i + 1,
          caseId: 1,
          model: `clean-${i}.onnx`,
          sha256: String(i).repeat(64),
          score,
          finishedAt: null,
        })),
      };
      rescore(p);
    });
  const calibrationCheck = (v: Verification) => v.checks.find((c) => c.name === 'calibration');

  it('passes when the threshold is the one the rule gives and the one the scan used', async () => {
    const v = await check(calibrated(52.2, 52.2, [17.4, 5.44]));
    expect(failed(v)).toEqual([]);
    expect(calibrationCheck(v)).toMatchObject({ status: 'pass', detail: expect.stringContaining('000000000000') });
  });

  it('fails, though validly signed, when the threshold does not follow from the scores or is not the scan parameter', async () => {
    const wrongRule = await check(calibrated(10, 10, [17.4]));
    expect(failed(wrongRule)).toEqual(['calibration']);
    expect(calibrationCheck(wrongRule)?.detail).toMatch(/does not follow from its clean scores .* = 52\.2/);
    const notUsed = await check(calibrated(52.2, 2, [17.4]));
    expect(failed(notUsed)).toEqual(['calibration']);
    expect(calibrationCheck(notUsed)?.detail).toMatch(/is not the scan's anomalyThreshold 2/);
    expect(failed(await check(calibrated(52.2, 52.2, [])))).toEqual(['calibration']);
  });
});

describe('calibration check, per class: every class threshold follows from the clean indices it lists', () => {
  /** A per-class calibration over two clean scans; `edit` changes the record before it is signed. */
  const perClass = (edit: (c: ThresholdCalibrationRecord) => void = () => undefined): BagFiles =>
    resigned(examinerKey(x.cdb.paths.keysDir, 'Alice Example'), (st) => {
      const p = st.predicate;
      const n = p.classes.length;
      // Class 0 natural in one clean model (index 9), class 1 in the other (2.5, filtered in the first).
      const indices: (number | null)[][] = [
        Array.from({ length: n }, (_, k) => (k === 0 ? 9 : k === 1 ? null : 0.5)),
        Array.from({ length: n }, (_, k) => (k === 1 ? 2.5 : -1)),
      ];
      p.parameters = { ...p.parameters, anomalyThreshold: 2 };
      p.parametersSha256 = paramsSha256(p.parameters, p.method, p.seed);
      const c: ThresholdCalibrationRecord = {
        rule: 'class',
        base: 2,
        margin: 2,
        threshold: 2,
        classThresholds: Array.from({ length: n }, (_, k) => (k === 0 ? 18 : k === 1 ? 5 : 2)),
        clean: indices.map((classScores, i) => ({
          scanId: i + 1,
          caseId: 1,
          model: `clean-${i}.onnx`,
          sha256: String(i).repeat(64),
          score: Math.max(...classScores.filter((s): s is number => s !== null)),
          classScores,
          finishedAt: null,
        })),
      };
      edit(c);
      p.calibration = c;
      rescore(p);
    });
  /** The calibration check's verdict, after checking that nothing else in the signed archive fails. */
  const detail = async (files: BagFiles) => {
    const v = await check(files);
    expect(failed(v).filter((name) => name !== 'calibration')).toEqual([]);
    return v.checks.find((c) => c.name === 'calibration')!;
  };

  it('passes when each class threshold is max(base, margin x the class largest clean index)', async () => {
    expect(await detail(perClass())).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/2 of \d+ above 2/),
    });
  });

  it('fails, though validly signed, naming what does not follow', async () => {
    const raised = await detail(perClass((c) => (c.classThresholds![1] = 3)));
    expect(raised).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/class 1's calibrated threshold 3 .*\(5\)/),
    });
    const noIndices = await detail(perClass((c) => delete c.clean[1].classScores));
    expect(noIndices.detail).toMatch(/needs each clean scan's \d+ class indices/);
    const short = await detail(perClass((c) => c.classThresholds!.pop()));
    expect(short.detail).toMatch(/needs \d+ class thresholds/);
    const notBase = await detail(perClass((c) => (c.threshold = 3)));
    expect(notBase.status).toBe('fail');
    const rule = await detail(perClass((c) => ((c as { rule: string }).rule = 'model')));
    expect(rule.detail).toMatch(/unknown rule 'model'/);
    // Thresholds per class under the one-threshold rule: the scan never applied them, the report would not show them.
    const task = await detail(perClass((c) => (c.rule = 'task')));
    expect(task).toMatchObject({
      status: 'fail',
      detail: "a one-threshold ('task') calibration lists per-class thresholds",
    });
  });
});

describe('verdict check: the verdict, score, target and every flag follow from the signed measures', () => {
  const byAlice = (edit: (p: Statement['predicate']) => void): BagFiles =>
    resigned(examinerKey(x.cdb.paths.keysDir, 'Alice Example'), (st) => edit(st.predicate));
  const verdictCheck = async (files: BagFiles) => {
    const v = await check(files);
    expect(failed(v).filter((name) => name !== 'verdict')).toEqual([]);
    return v.checks.find((c) => c.name === 'verdict')!;
  };

  it('passes on the archive as signed, naming the flagged class', async () => {
    expect(await verdictCheck(bag)).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(
        /^trojaned at class 2, score 23\.01.*each of 4 classes' index and flag \(1 flagged\)/,
      ),
    });
  });

  it('fails, though signed by a trusted key, naming what the measures give instead', async () => {
    const cleared = await verdictCheck(byAlice((p) => ((p.verdict = 'clean'), (p.target = null))));
    expect(cleared).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /the verdict is clean, the measures give trojaned; the target is null, the measures give 2/,
      ),
    });
    const unflagged = await verdictCheck(byAlice((p) => (p.classes[2].flagged = false)));
    expect(unflagged.detail).toMatch(
      /^class 2 is not flagged, its measures say flagged \(index 23\.0\d+ against threshold 2\)$/,
    );
    const index = await verdictCheck(byAlice((p) => (p.classes[0].anomalyIndex = 0.5)));
    expect(index.detail).toMatch(/^class 0's anomaly index is 0\.5, its measures give 0$/);
    const score = await verdictCheck(byAlice((p) => (p.score = 99)));
    expect(score.detail).toMatch(/^the score is 99, the measures give 23\.01/);
    const method = await verdictCheck(
      byAlice((p) => {
        (p as { method: string }).method = 'toString';
        p.parametersSha256 = paramsSha256(p.parameters, p.method, p.seed);
      }),
    );
    expect(method.detail).toMatch(/unknown method 'toString'/);
  });

  it("a per-class threshold above the trojan's index unflags it: the statement must say so", async () => {
    const raised = (p: Statement['predicate']) => {
      p.calibration = {
        rule: 'class',
        base: 2,
        margin: 2,
        threshold: 2,
        classThresholds: [2, 2, 30, 2],
        clean: [
          {
            scanId: 1,
            caseId: 1,
            model: 'clean.onnx',
            sha256: '0'.repeat(64),
            score: 15,
            classScores: [0, 0, 15, 0],
            finishedAt: null,
          },
        ],
      };
    };
    expect((await verdictCheck(byAlice(raised))).detail).toMatch(
      /class 2 is flagged, its measures say not flagged \(index 23\.0\d+ against threshold 30\)/,
    );
    expect(await verdictCheck(byAlice((p) => (raised(p), rescore(p))))).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/^clean, score 23\.01.*and per-class thresholds$/),
    });
  });

  it('a statement signed before it recorded the reference reads it from findings.json, and skips where neither has it', async () => {
    const withMin = (min: number, findings: 'kept' | 'without reference') => {
      const files = byAlice((p) => {
        delete p.reference;
        p.parameters = { ...p.parameters, referenceMinAccuracy: min };
        p.parametersSha256 = paramsSha256(p.parameters, p.method, p.seed);
      });
      if (findings === 'kept') return files;
      // Only the verdict check is asked about here: the findings check fails on the edit, as it should.
      const doc = JSON.parse(Buffer.from(files.get('data/findings.json')!).toString()) as { reference?: unknown };
      delete doc.reference;
      return new Map(files).set('data/findings.json', Buffer.from(JSON.stringify(doc)));
    };
    expect((await verdictCheck(withMin(0.3, 'kept'))).status).toBe('pass');
    const neither = await check(withMin(0.3, 'without reference'));
    expect(neither.checks.find((c) => c.name === 'verdict')).toMatchObject({
      status: 'skip',
      detail: expect.stringMatching(/referenceMinAccuracy 0\.3 decides/),
    });
    expect(failed(neither)).toEqual(expect.arrayContaining(['findings']));
    expect((await check(withMin(0, 'without reference'))).checks.find((c) => c.name === 'verdict')?.status).toBe(
      'pass',
    );
  });
});
