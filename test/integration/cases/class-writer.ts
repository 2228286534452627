/**
 * Child process for the crash and concurrency tests: opens the case database, starts a queued scan
 * (so this process owns it) and writes the class results its resume plan lists, one transaction
 * each, printing `class K` after each commit. Usage: class-writer.ts DB SCAN_ID CLASSES PAUSE_MS [complete]
 * With GO_FILE set it prints `ready` once the scan runs and waits for that file before writing, so
 * that several writers really write at the same time whatever their start-up times.
 */
import fs from 'node:fs';
import { openCaseDb } from '../../../src/main/cases/open.ts';
import { rehashEvidence } from '../../../src/main/cases/evidence.ts';
import { recordClassResult } from '../../../src/main/cases/findings.ts';
import { completeScan, getScan, resumePlan, startScan } from '../../../src/main/cases/scans.ts';
import { addNote } from '../../../src/main/cases/notes.ts';
import { scanFixture } from '../../fixtures/reports/scan-fixture.ts';

const [dbPath, scanArg, classesArg, pauseArg, complete] = process.argv.slice(2);
const scanId = Number(scanArg);
const cdb = openCaseDb({ path: dbPath, actor: `writer-${process.pid}` });
const scan = getScan(cdb, scanId);
const { result, artifacts } = scanFixture({ classes: Number(classesArg), modelSha256: scan.prescanSha256 ?? '' });
const todo = resumePlan(cdb, scanId).todo;
startScan(cdb, scanId, await rehashEvidence(cdb, scan.evidenceId, 'before-scan'));
const pause = new Int32Array(new SharedArrayBuffer(4));
if (process.env.GO_FILE) {
  process.stdout.write('ready\n');
  while (!fs.existsSync(process.env.GO_FILE)) Atomics.wait(pause, 0, 0, 2);
}
for (const c of result.classes.filter((x) => todo.includes(x.index))) {
  recordClassResult(cdb, scanId, c, artifacts[c.index]);
  // A second kind of write interleaved, so two writers contend on more than one table.
  addNote(cdb, { caseId: scan.caseId, scanId, classIndex: c.index, text: `class ${c.index} by ${process.pid}` });
  process.stdout.write(`class ${c.index}\n`);
  if (Number(pauseArg) > 0) Atomics.wait(pause, 0, 0, Number(pauseArg));
}
if (complete === 'complete') completeScan(cdb, scanId, result);
cdb.sql.close();
process.stdout.write('finished\n');
