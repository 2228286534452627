import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClassImages } from '../../../shared/api.ts';
import { UmaError } from '../../../shared/errors.ts';
import type { ScanResult } from '../../../shared/results.ts';
import { baselineCaution } from '../../../shared/verdict-text.ts';
import { passedByRaisedThreshold } from '../../../shared/class-explanation.ts';
import {
  CALIBRATION_MARGIN,
  CLASS_CALIBRATION_MARGIN,
  DEFAULT_PROFILE_NAME,
  PARAM_INFO,
  PROFILES,
  SCAN_METHODS,
} from '../../../shared/scan-params.ts';
import { BACKEND_CHOICES, isBackendChoice } from '../../engine/backend/index.ts';
import type { CliIO, Command } from '../command.ts';
import { openCliSession, type CliSession } from '../service-session.ts';
import { DEMO_DISPLAY_NAME, parseScanSettings, resolveModelPath, SCAN_OPTIONS } from '../scan-options.ts';

function writeArtifacts(dir: string, artifacts: ClassImages[]): void {
  mkdirSync(dir, { recursive: true });
  for (const a of artifacts) {
    writeFileSync(join(dir, `class-${a.classIndex}-mask.png`), a.mask);
    writeFileSync(join(dir, `class-${a.classIndex}-pattern.png`), a.pattern);
    a.stamped.forEach((png, i) => writeFileSync(join(dir, `class-${a.classIndex}-stamped-${i}.png`), png));
  }
}

function fmt(v: number | null, digits = 2): string {
  return v === null ? '-' : v.toFixed(digits);
}

/** Signs the scan through the service and copies the archive where --report asked for it. */
async function writeReport(
  session: CliSession,
  scanId: number,
  out: string,
  examiner: string | undefined,
  io: CliIO,
): Promise<void> {
  const scan = (await session.call('scans/get', { scanId })).scan;
  const report = await session.call('reports/create', {
    scanId,
    examiner: examiner ?? scan.examiner ?? os.userInfo().username,
  });
  writeFileSync(out, (await session.call('reports/download', { reportId: report.id })).bytes);
  io.out(
    `wrote signed report ${out} (key ${report.keyid}${report.pdf ? '' : `; ${report.pdfNote}`}); check it with: uma verify ${out}`,
  );
}

export function printSummary(io: CliIO, r: ScanResult): void {
  const head =
    r.verdict === 'trojaned'
      ? `TROJANED: suspected target class ${r.target} (${r.classes[r.target!].name}), score ${r.score.toFixed(2)}`
      : `CLEAN: no class flagged, score ${r.score.toFixed(2)}`;
  io.out(`${head}  [${r.method}, ${r.backend}, ${r.seconds.toFixed(1)} s, seed ${r.seed}]`);
  io.out(`model ${r.model.name} sha256 ${r.model.sha256}`);
  for (const w of r.warnings ?? []) io.out(`!!! ${w}`);
  for (const w of r.data.warnings ?? []) io.out(`data warning: ${w}`);
  const caution = baselineCaution(r);
  if (caution) io.out(`!!! ${caution}`);
  io.out('class  name             abl.acc(k) abl.acc(o)    ASR  mask L1  transfer  anomaly  flag');
  for (const c of r.classes) {
    const flag = c.flagged ? 'FLAG' : c.explanation?.outcome === 'filtered' ? 'filtered' : '';
    io.out(
      `${String(c.index).padStart(5)}  ${c.name.slice(0, 15).padEnd(15)}  ${fmt(c.ablatedAccTarget).padStart(10)} ${fmt(c.ablatedAccOther).padStart(10)} ${fmt(c.asr).padStart(6)} ${fmt(c.maskL1, 1).padStart(8)} ${fmt(c.transferAsr).padStart(9)} ${fmt(c.anomalyIndex).padStart(8)}  ${flag}`,
    );
  }
  // Why: the sentence of every class that was flagged, anomalous but set aside, or passed only by a raised
  // per-class threshold (shared/class-explanation.ts).
  for (const c of r.classes) {
    const e = c.explanation;
    if (e && (e.outcome === 'flagged' || e.outcome === 'filtered' || passedByRaisedThreshold(e)))
      io.out(`class ${c.index} (${c.name}): ${e.text}`);
  }
}

export const scan: Command = {
  name: 'scan',
  summary: 'scan a model for a backdoor (UMA, or a baseline) and print the verdict',
  usage: `uma scan MODEL --data DATA [options]

MODEL   an ONNX file, a Keras .h5/.hdf5, a TF.js model.json (or its folder), or 'demo' (the bundled
        trojaned MNIST model)
DATA    an image folder (one sub-folder per class), an IDX images file (labels beside it or --labels),
        or 'demo' (bundled MNIST digits)

options:
  --method M          ${SCAN_METHODS.join(' | ')} (default uma)
  --seed N            seed of every random draw (default 1)
  --workers N         worker threads (default: cores; 1 on a GPU backend; 0 = this thread)
  --max-per-class N   clean samples kept per class (default: all)
  --reference MODEL   a trusted clean model to use as the reference instead of training one
  --mean a,b,c        input normalisation mean per channel (in [0,1] units)
  --std a,b,c         input normalisation std per channel (a spec far below the best common convention
                      on the data is warned about before the scan and in the result)
  --architecture JSON a Keras weights-only .h5's architecture (Keras model JSON or TF.js model.json),
                      taken in with the weights as one evidence item (each file hashed; the evidence
                      sha256 is then that of both files' sha256sum listing)
  --classes a,b,...   class names in label order
  --labels FILE       IDX labels file, when not beside the images file
  --profile P         parameter profile: ${Object.keys(PROFILES).join(' | ')} (default ${DEFAULT_PROFILE_NAME})
  --param NAME=VALUE  override one scan parameter (repeatable): ${Object.keys(PARAM_INFO).join(', ')}
  --backend B         ${BACKEND_CHOICES.join(' | ')} (default auto)
  --json OUT          write the result document (- for stdout)
  --out DIR           write mask, pattern and stamped PNGs per class

case database (see 'uma cases', 'uma report', 'uma verify'):
  --case NAME         take the model into this case as evidence (created on first use; the same file
                      again is the same evidence), scan the read-only stored copy, and record each
                      class as it finishes: a scan stopped midway resumes with 'uma resume'
                      (without --case the scan runs the same way in a temporary database)
  --report OUT.zip    with --case: write the signed report archive
  --db FILE           case database (default $UMA_HOME/cases.sqlite or ~/.uma/cases.sqlite)
  --examiner NAME     who examines and signs
  --expected-sha256 H the digest the model came with; a mismatch is recorded at intake
  --calibrate ID,...  set the anomaly threshold from these completed scans of known-clean models of the
                      same task, in this database (see 'uma cases'): max(the profile's threshold, M x their
                      largest score) (docs/algorithm.md, step 5); recorded and signed with the scan
  --calibration-margin M   the margin M (default ${CALIBRATION_MARGIN}; ${CLASS_CALIBRATION_MARGIN} with --per-class)
  --per-class         with --calibrate: a threshold per class, max(the profile's threshold, M x the largest
                      index the class reached in the clean scans), the indices measured against the working
                      classes (anomalyBaselineWorking 1); for tasks whose clean models' natural triggers sit
                      at their frequent classes (GTSRB's CNNs), where a trojan aimed at a raised class
                      must clear its raised threshold (docs/algorithm.md, step 5)

Exit code 0 when the scan ran, whatever the verdict; 2 on bad input.`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...SCAN_OPTIONS,
        reference: { type: 'string' },
        architecture: { type: 'string' },
        backend: { type: 'string', default: 'auto' },
        json: { type: 'string' },
        out: { type: 'string' },
        case: { type: 'string' },
        report: { type: 'string' },
        db: { type: 'string' },
        examiner: { type: 'string' },
        'expected-sha256': { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UmaError('BAD_INPUT', 'give exactly one MODEL (a file, a folder, or demo)');
    if (!values.data) throw new UmaError('BAD_INPUT', '--data is required (an image folder, an IDX file, or demo)');
    if (!isBackendChoice(values.backend))
      throw new UmaError('BAD_INPUT', `--backend must be one of ${BACKEND_CHOICES.join(', ')}`);
    const { method, seed, workers, params, inputSpec, calibration } = parseScanSettings(values);

    if (values.report && !values.case)
      throw new UmaError('BAD_INPUT', '--report needs --case: a signed report is of a scan recorded in a case');
    if (calibration && !values.case)
      throw new UmaError('BAD_INPUT', '--calibrate needs --case: the clean scans it names are in the case database');
    const givenPath = resolveModelPath(positionals[0]);
    const displayName = positionals[0] === 'demo' ? DEMO_DISPLAY_NAME : givenPath;

    // Without --case the scan runs the same way, in a temporary database removed at the end.
    const session = await openCliSession({ db: values.case ? values.db : null, backend: values.backend }, io);
    io.err(`backend ${(await session.call('app/info', {})).backend}`);
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    try {
      const caseName = values.case ?? 'uma scan';
      const kase =
        (await session.call('cases/list', { query: caseName })).find((c) => c.name === caseName) ??
        (await session.call('cases/create', { name: caseName, examiner: values.examiner }));
      const evidence = await session.call('evidence/add', {
        caseId: kase.id,
        source: { kind: 'path', path: givenPath },
        // Taken in with the weights as a file of the same evidence, so it is hashed, stored and signed too.
        architecture: values.architecture === undefined ? undefined : { kind: 'path', path: values.architecture },
        displayName,
        inputSpec,
        expectedSha256: values['expected-sha256'],
        expectedSource: values['expected-sha256'] ? 'given with --expected-sha256' : undefined,
      });
      if (values.case) {
        io.err(
          `evidence ${evidence.id} in case '${caseName}': sha256 ${evidence.sha256}${evidence.match === 'mismatch' ? ' (DOES NOT MATCH the expected sha256)' : ''}`,
        );
        for (const f of evidence.files.filter((x) => x.role === 'architecture'))
          io.err(`  with architecture ${f.name} sha256 ${f.sha256} (weights ${evidence.files[0].sha256})`);
      }
      const reference = values.reference
        ? await session.call('evidence/add', {
            caseId: kase.id,
            source: { kind: 'path', path: values.reference },
            expectedSource: 'reference model (--reference)',
          })
        : undefined;
      const data =
        values.data === 'demo'
          ? { kind: 'demo' as const }
          : { kind: 'path' as const, path: values.data, labels: values.labels };
      const started = await session.call('scans/start', {
        caseId: kase.id,
        evidenceId: evidence.id,
        method,
        params,
        seed,
        data,
        workers,
        examiner: values.examiner,
        referenceEvidenceId: reference?.id,
        calibration,
      });
      for (const w of started.warnings) io.err(`warning: ${w}`);
      stop.signal.addEventListener(
        'abort',
        () => void session.call('scans/cancel', { jobId: started.jobId }).catch(() => undefined),
      );
      const numClasses = (await session.call('scans/get', { scanId: started.scanId })).scan.numClasses;
      const result = await session.follow(started.jobId, numClasses, []);
      printSummary(io, result);
      if (values.json === '-') io.out(JSON.stringify(result, null, 2));
      else if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
      if (values.out) {
        const images = await Promise.all(
          result.classes.map((c) => session.call('scans/artifacts', { scanId: started.scanId, classIndex: c.index })),
        );
        writeArtifacts(values.out, images);
      }
      if (values.case) {
        io.out(`recorded as scan ${started.scanId} of case '${caseName}' in ${session.dbPath}`);
        if (values.report) await writeReport(session, started.scanId, values.report, values.examiner, io);
      }
      return 0;
    } catch (err) {
      if (err instanceof UmaError && err.code === 'CANCELLED') {
        io.err('uma scan: cancelled');
        return 130;
      }
      throw err;
    } finally {
      process.off('SIGINT', onSigint);
      await session.close();
    }
  },
};
