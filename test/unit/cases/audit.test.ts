import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import {
  appendAudit,
  auditHead,
  verifyAuditLog,
  GENESIS_SHA256,
  entryHash,
  listAudit,
} from '../../../src/main/cases/audit.ts';
import { recordScanResult } from '../../fixtures/reports/record-fixture.ts';
import { addReport } from '../../../src/main/cases/reports.ts';
import { createCase, listCases } from '../../../src/main/cases/cases.ts';
import { canonicalJson, sha256Hex } from '../../../src/main/util/digest.ts';
import { scanFixture, writeModel } from '../../fixtures/reports/scan-fixture.ts';
import { writeTx, type CaseDb } from '../../../src/main/cases/db.ts';
import { useTempDb } from './helpers.ts';

const db = useTempDb();

function filled(n = 12): CaseDb {
  const { cdb } = db();
  for (let i = 0; i < n; i++) appendAudit(cdb, 'test.event', `thing:${i}`, { i, z: 'last', a: [1, { y: 2, x: 1 }] });
  return cdb;
}

/** Tampering as someone with the sqlite3 shell would: the append-only triggers dropped first. */
function tamper(cdb: CaseDb, sql: string): void {
  const raw = new Database(cdb.paths.db);
  raw.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  raw.exec(sql);
  raw.close();
}

describe('hash-chained audit log', () => {
  it('chains sha256(prev + canonical JSON) from a zero genesis', () => {
    const cdb = filled(3);
    const log = listAudit(cdb);
    expect(log.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(log[0].prev_sha256).toBe(GENESIS_SHA256);
    expect(log[1].prev_sha256).toBe(log[0].sha256);
    expect(log[0].actor).toBe('tester');
    expect(entryHash(log[0].prev_sha256, log[0])).toBe(log[0].sha256);
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { e: 1, d: undefined } })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":{"e":1}}',
    );
    expect(verifyAuditLog(cdb)).toMatchObject({ ok: true, entries: 3, head: { seq: 3, sha256: log[2].sha256 } });
  });

  it('a mutating repository call and its audit entry commit or roll back together', () => {
    const { cdb } = db();
    createCase(cdb, { name: 'A' });
    cdb.sql.exec(
      "CREATE TEMP TRIGGER audit_down BEFORE INSERT ON audit_log WHEN NEW.action = 'case.create' BEGIN SELECT RAISE(ABORT, 'audit down'); END",
    );
    expect(() => createCase(cdb, { name: 'B', examiner: 'new examiner' })).toThrow(/audit down/);
    // Neither the case nor the examiner it would have created is there.
    expect(listCases(cdb).map((c) => c.name)).toEqual(['A']);
    expect(cdb.sql.prepare('SELECT count(*) AS n FROM examiners').get()).toEqual({ n: 0 });
    expect(listAudit(cdb).map((e) => e.action)).toEqual(['case.create']);
  });

  it('detects an entry inserted mid-chain with a valid hash of its own (at the entry after it)', () => {
    const cdb = filled();
    const log = listAudit(cdb);
    const forged = { seq: 6, time: log[5].time, actor: 'mallory', action: 'test.event', target: 'x', details: {} };
    const sha = entryHash(log[4].sha256, forged);
    tamper(
      cdb,
      `UPDATE audit_log SET seq = seq + 100 WHERE seq >= 6; UPDATE audit_log SET seq = seq - 99 WHERE seq >= 106;
      INSERT INTO audit_log VALUES (6, '${forged.time}', 'mallory', 'test.event', 'x', '{}', '${log[4].sha256}', '${sha}')`,
    );
    expect(listAudit(cdb)).toHaveLength(13);
    expect(verifyAuditLog(cdb)).toMatchObject({ ok: false, firstBadSeq: 7 });
  });

  const edits: [string, string, number][] = [
    [
      'details edited',
      `UPDATE audit_log SET details_json = '{"a":[1,{"x":1,"y":2}],"i":99,"z":"last"}' WHERE seq = 5`,
      5,
    ],
    ['actor edited', "UPDATE audit_log SET actor = 'mallory' WHERE seq = 7", 7],
    ['time edited', "UPDATE audit_log SET time = '2020-01-01T00:00:00.000Z' WHERE seq = 1", 1],
    ['entry deleted', 'DELETE FROM audit_log WHERE seq = 4', 4],
    ['entry inserted', "INSERT INTO audit_log VALUES (13, 't', 'a', 'x', 'y', '{}', 'ff', 'ff')", 13],
    [
      'two entries swapped',
      'UPDATE audit_log SET seq = -1 WHERE seq = 6; UPDATE audit_log SET seq = 6 WHERE seq = 9; UPDATE audit_log SET seq = 9 WHERE seq = -1',
      6,
    ],
    [
      'own hash recomputed after an edit',
      "UPDATE audit_log SET actor = 'mallory', sha256 = '" + 'a'.repeat(64) + "' WHERE seq = 8",
      8,
    ],
  ];
  for (const [what, sql, firstBad] of edits) {
    it(`detects: ${what} (first bad seq ${firstBad})`, () => {
      const cdb = filled();
      tamper(cdb, sql);
      const v = verifyAuditLog(cdb);
      expect(v.ok).toBe(false);
      expect(v.firstBadSeq).toBe(firstBad);
    });
  }

  it('a re-chained rewrite or a truncated tail is caught against the head a signed report recorded', async () => {
    for (const attack of ['rechain', 'truncate'] as const) {
      const { cdb, dir } = db();
      const model = writeModel(dir);
      const { result, artifacts } = scanFixture({ classes: 3, modelSha256: sha256Hex(fs.readFileSync(model)) });
      const { scanId } = await recordScanResult(cdb, {
        caseName: 'C',
        evidence: { files: [model] },
        result,
        artifacts,
      });
      const head = auditHead(cdb);
      addReport(cdb, { scanId, path: 'r.zip', envelopeSha256: 'e'.repeat(64), keyid: 'k'.repeat(64), auditHead: head });
      appendAudit(cdb, 'later', 'x');
      expect(verifyAuditLog(cdb).ok).toBe(true);
      if (attack === 'truncate') {
        tamper(cdb, `DELETE FROM audit_log WHERE seq >= ${head.seq}`);
      } else {
        // Rewrite entry 2 and recompute every later hash: the chain itself is consistent again.
        const log = listAudit(cdb);
        log[1].actor = 'mallory';
        let prev = log[0].sha256;
        const updates = log.slice(1).map((e) => {
          const sha = entryHash(prev, e);
          const q = `UPDATE audit_log SET actor = '${e.actor}', prev_sha256 = '${prev}', sha256 = '${sha}' WHERE seq = ${e.seq};`;
          prev = sha;
          return q;
        });
        tamper(cdb, updates.join('\n'));
      }
      const v = verifyAuditLog(cdb);
      expect(v.ok, attack).toBe(false);
      expect(v.firstBadSeq).toBe(head.seq);
      expect(v.reason).toMatch(attack === 'truncate' ? /gone/ : /different/);
    }
  });
});

describe('the audit head anchored outside the table (<db>.audit-head)', () => {
  const anchorOf = (cdb: CaseDb) => JSON.parse(fs.readFileSync(cdb.paths.auditAnchor, 'utf8'));

  it('follows every committed append, in its plain form', () => {
    const cdb = filled(5);
    expect(cdb.paths.auditAnchor).toBe(`${cdb.paths.db}.audit-head`);
    expect(anchorOf(cdb)).toEqual(auditHead(cdb));
    expect(verifyAuditLog(cdb)).toMatchObject({ ok: true, anchor: { seq: 5, note: 'anchored' } });
  });

  it('detects the newest entry deleted, and the newest two', () => {
    for (const n of [1, 2]) {
      const cdb = filled(6);
      tamper(cdb, `DELETE FROM audit_log WHERE seq > ${6 - n}`);
      const v = verifyAuditLog(cdb);
      expect(v).toMatchObject({ ok: false, firstBadSeq: 7 - n });
      expect(v.reason).toMatch(new RegExp(`entries ${7 - n}\\.\\.6 are gone`));
    }
  });

  it('detects the newest entry replaced by a re-chained forgery, and a missing or unreadable anchor', () => {
    const cdb = filled(4);
    const log = listAudit(cdb);
    const forged = { ...log[3], actor: 'mallory' };
    tamper(cdb, `UPDATE audit_log SET actor = 'mallory', sha256 = '${entryHash(log[2].sha256, forged)}' WHERE seq = 4`);
    expect(verifyAuditLog(cdb)).toMatchObject({
      ok: false,
      firstBadSeq: 4,
      reason: expect.stringMatching(/not the one anchored/),
    });
    const other = filled(3);
    fs.rmSync(other.paths.auditAnchor);
    expect(verifyAuditLog(other)).toMatchObject({ ok: false, reason: expect.stringMatching(/anchor .* is missing/) });
    fs.writeFileSync(other.paths.auditAnchor, 'garbage');
    expect(verifyAuditLog(other)).toMatchObject({ ok: false, reason: expect.stringMatching(/not an audit head/) });
    // An empty log needs no anchor.
    expect(verifyAuditLog(db().cdb)).toMatchObject({ ok: true, entries: 0, anchor: null });
  });

  it("a crash between the commit and the anchor's second write is accepted; the next append restores the plain form", () => {
    const cdb = filled(4);
    const [, , third, fourth] = listAudit(cdb);
    const prev = { seq: third.seq, sha256: third.sha256 };
    // Interrupted after the commit: the pending form names the committed head.
    fs.writeFileSync(cdb.paths.auditAnchor, JSON.stringify({ seq: 4, sha256: fourth.sha256, previous: prev }));
    expect(verifyAuditLog(cdb)).toMatchObject({
      ok: true,
      anchor: { note: expect.stringMatching(/interrupted after its commit/) },
    });
    // Rolled back or interrupted before the commit: the pending form's previous head is the table's.
    fs.writeFileSync(
      cdb.paths.auditAnchor,
      JSON.stringify({ seq: 5, sha256: 'c'.repeat(64), previous: { seq: 4, sha256: fourth.sha256 } }),
    );
    expect(verifyAuditLog(cdb)).toMatchObject({ ok: true, anchor: { note: expect.stringMatching(/rolled back/) } });
    appendAudit(cdb, 'later', 'x');
    expect(anchorOf(cdb)).toEqual(auditHead(cdb));
    // A pending form that fits neither head is a break.
    fs.writeFileSync(
      cdb.paths.auditAnchor,
      JSON.stringify({ seq: 9, sha256: 'c'.repeat(64), previous: { seq: 8, sha256: 'd'.repeat(64) } }),
    );
    expect(verifyAuditLog(cdb)).toMatchObject({ ok: false, firstBadSeq: 6 });
  });

  it('a transaction that rolls back leaves the anchor at the committed head', () => {
    const cdb = filled(2);
    expect(() =>
      writeTx(cdb, () => {
        appendAudit(cdb, 'doomed', 'x');
        throw new Error('rolled back');
      }),
    ).toThrow(/rolled back/);
    expect(anchorOf(cdb)).toEqual(auditHead(cdb));
    expect(verifyAuditLog(cdb).ok).toBe(true);
  });
});

describe('a change after a deletion does not hide it', () => {
  const db2 = useTempDb();
  it('the break found when the next entry is appended stays reported', () => {
    const { cdb } = db2();
    for (let i = 0; i < 5; i++) appendAudit(cdb, 'test.event', `thing:${i}`);
    tamper(cdb, 'DELETE FROM audit_log WHERE seq = 5');
    appendAudit(cdb, 'after', 'x'); // chains from entry 4 and would make a valid chain of 5 again
    appendAudit(cdb, 'after', 'y');
    const v = verifyAuditLog(cdb);
    expect(v).toMatchObject({ ok: false, firstBadSeq: 5 });
    expect(v.reason).toMatch(/entries 5\.\.5 are gone.*found when a later change began/);
  });
});
