/**
 * The CLI's scan lifecycle with real processes: `uma scan --case` writes each class as it finishes, so a
 * SIGKILL after three class lines leaves an interrupted scan holding them; `uma resume` then computes
 * only the missing classes and completes the scan. The same for a kill in the ablation backoff's second
 * pass (engine/scan/ablation-backoff.ts): the resume computes only the classes that pass has not done.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { getClassFindings } from '../../../src/main/cases/findings.ts';
import { getScan, listScans } from '../../../src/main/cases/scans.ts';
import { tempDir } from '../../fixtures/reports/scan-fixture.ts';
import { TINY_SCAN_ARGS } from './tiny-scan-args.ts';

const UMA = path.resolve(import.meta.dirname, '../../../bin/uma.mjs');
const TINY = [...TINY_SCAN_ARGS, '--workers', '1', '--backend', 'wasm'];
const CLASS_LINE = /^class (\d+) \(.*\) done \[\d+\/10\]/;
const SECOND_PASS_LINE = /^class (\d+) \(.*\) done \[second pass \d+\/10\]/;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * Runs `uma ARGS`; kills it with SIGKILL once `killAfter` class lines (of the first pass, then of the
 * second: `killAfter.second`) were printed, if given.
 */
function uma(
  args: string[],
  killAfter?: number | { second: number },
): Promise<{
  code: number | null;
  signal: string | null;
  stdout: string;
  classLines: number[];
  secondPassLines: number[];
  stderrLines: string[];
}> {
  const child = spawn(process.execPath, [UMA, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const classLines: number[] = [];
  const secondPassLines: number[] = [];
  const stderrLines: string[] = [];
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    const lines = stderr.split('\n');
    stderr = lines.pop()!;
    for (const l of lines) {
      stderrLines.push(l);
      const m = CLASS_LINE.exec(l);
      if (m) classLines.push(Number(m[1]));
      const m2 = SECOND_PASS_LINE.exec(l);
      if (m2) secondPassLines.push(Number(m2[1]));
      const killNow =
        typeof killAfter === 'number'
          ? classLines.length >= killAfter
          : killAfter !== undefined && secondPassLines.length >= killAfter.second;
      if (killNow) child.kill('SIGKILL');
    }
  });
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, classLines, secondPassLines, stderrLines })),
  );
}

describe('uma scan --case, killed, then uma resume', () => {
  it('keeps the classes written before the kill and recomputes only the others', async () => {
    const dir = tempDir('uma-resume-');
    dirs.push(dir);
    const db = path.join(dir, 'cases.sqlite');

    const killed = await uma(['scan', 'demo', '--data', 'demo', '--case', 'Resume case', '--db', db, ...TINY], 3);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.classLines.length).toBeGreaterThanOrEqual(3);

    const cdb = openCaseDb({ path: db });
    const [scan] = listScans(cdb, 1);
    // Opening the database found the scan's process dead.
    expect(scan.status).toBe('interrupted');
    const kept = getClassFindings(cdb, scan.id);
    // Every printed class was stored before it was printed; one more may have landed before the kill.
    expect(kept.map((f) => f.index)).toEqual(expect.arrayContaining(killed.classLines));
    expect(kept.length).toBeLessThan(10);
    cdb.sql.close();

    const resumed = await uma(['resume', '--db', db]);
    expect(resumed.code).toBe(0);
    const keptIndices = kept.map((f) => f.index).sort((a, b) => a - b);
    const missing = Array.from({ length: 10 }, (_, k) => k).filter((k) => !keptIndices.includes(k));
    expect(resumed.stdout).toContain(
      `scan ${scan.id}: kept classes ${keptIndices.join(', ')}; computing classes ${missing.join(', ')}`,
    );
    expect([...resumed.classLines].sort((a, b) => a - b)).toEqual(missing);
    expect(resumed.stdout).toMatch(/^(TROJANED|CLEAN): /m);

    const after = openCaseDb({ path: db });
    expect(getScan(after, scan.id).status).toBe('completed');
    const findings = getClassFindings(after, scan.id);
    expect(findings.map((f) => f.index)).toEqual(Array.from({ length: 10 }, (_, k) => k));
    // The kept classes are the rows written before the kill, untouched by the resume.
    for (const f of kept)
      expect(findings[f.index]).toMatchObject({ asr: f.asr, maskL1: f.maskL1, artifactDigests: f.artifactDigests });
    // One evidence row, one scan: the resume reused both.
    expect((after.sql.prepare('SELECT count(*) AS n FROM evidence').get() as { n: number }).n).toBe(1);
    expect(listScans(after, 1)).toHaveLength(1);
    after.sql.close();

    const none = await uma(['resume', '--db', db]);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/no interrupted scans/);
  }, 300_000);

  it("killed in the ablation backoff's second pass, resumes only the classes that pass has not done", async () => {
    const dir = tempDir('uma-resume-backoff-');
    dirs.push(dir);
    const db = path.join(dir, 'cases.sqlite');
    // ASR threshold 1: every class short of a perfect trigger counts as failed, so one such class backs off.
    const backoff = ['--param', 'ablationBackoffClasses=1', '--param', 'ablationBackoffAsr=1'];
    const args = ['scan', 'demo', '--data', 'demo', '--case', 'Backoff case', '--db', db, ...TINY, ...backoff];
    const killed = await uma(args, { second: 3 });
    expect(killed.signal).toBe('SIGKILL');
    expect([...killed.classLines].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, k) => k));
    expect(killed.stderrLines.some((l) => l.startsWith('ablation backoff: after the first ablation'))).toBe(true);

    const cdb = openCaseDb({ path: db });
    const [scan] = listScans(cdb, 1);
    expect(scan.status).toBe('interrupted');
    const kept = getClassFindings(cdb, scan.id);
    expect(kept).toHaveLength(10);
    const rescanned = kept.filter((f) => f.firstPass).map((f) => f.index);
    expect(rescanned).toEqual(expect.arrayContaining(killed.secondPassLines));
    expect(rescanned.length).toBeLessThan(10);
    cdb.sql.close();

    const resumed = await uma(['resume', '--db', db]);
    expect(resumed.code).toBe(0);
    const rest = Array.from({ length: 10 }, (_, k) => k).filter((k) => !rescanned.includes(k));
    expect(resumed.stdout).toContain(`computing classes ${rest.join(', ')}`);
    expect(resumed.classLines).toEqual([]);
    expect([...resumed.secondPassLines].sort((a, b) => a - b)).toEqual(rest);

    const after = openCaseDb({ path: db });
    expect(getScan(after, scan.id).status).toBe('completed');
    const findings = getClassFindings(after, scan.id);
    for (const f of kept) {
      // A class the second pass finished before the kill is untouched; the others keep their first pass.
      if (f.firstPass) expect(findings[f.index]).toMatchObject({ asr: f.asr, firstPass: f.firstPass });
      else expect(findings[f.index].firstPass).toMatchObject({ asr: f.asr, maskL1: f.maskL1 });
    }
    after.sql.close();
  }, 300_000);
});
