/**
 * The human-readable report: one self-contained HTML file (inline CSS, triggers as data: PNGs, the
 * chart as inline SVG, no script, no external request), also the source of the PDF. Everything it
 * states comes from the signed statement, plus the scan's context from findings.json.
 */
import { METHOD_LABELS, PARAM_INFO, type ScanParams } from '../../shared/scan-params.ts';
import type { ScanResult } from '../../shared/results.ts';
import { classThreshold, classThresholdsOf, raisedClasses } from '../../shared/calibration-record.ts';
import { explainClass, type ClassOutcome } from '../../shared/class-explanation.ts';
import { conclusion } from '../../shared/verdict-text.ts';
import type { StoredArtifact } from '../cases/findings.ts';
import { escapeHtml as e } from './escape.ts';
import { keyFileStem } from './keys.ts';
import type { Statement } from './statement.ts';
import { anomalyChart } from './svg-chart.ts';

export interface ReportView {
  statement: Statement;
  result: ScanResult;
  artifacts: StoredArtifact[];
  /** The archive's file name, for the verification instructions. */
  archiveName: string;
  /** An unsigned preview: nothing was signed, so nothing may say it was. */
  preview?: boolean;
}

const CSS = `
*{box-sizing:border-box}body{font:13px/1.45 "DejaVu Sans","Liberation Sans",Arial,sans-serif;color:#1d2733;margin:0 auto;max-width:1000px;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:26px 0 8px;padding-bottom:4px;border-bottom:2px solid #d8dde3;break-after:avoid}
.sub{color:#5a6572;margin:0 0 16px}.verdict{border-radius:6px;padding:14px 18px;margin:12px 0 8px;color:#fff}
.verdict.trojaned{background:#b71c1c}.verdict.clean{background:#2e7d32}.verdict .big{font-size:24px;font-weight:700;letter-spacing:.5px}
.verdict .line{font-size:14px;margin-top:4px}table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border:1px solid #d8dde3;padding:3px 6px;text-align:left;vertical-align:middle}th{background:#f1f4f7;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.flag td{background:#fdecea}tr{break-inside:avoid}
code,.hash{font-family:"DejaVu Sans Mono","Liberation Mono",monospace;font-size:11px}.hash{word-break:break-all}
td.thumbs{white-space:nowrap;width:1%}img.t{width:40px;height:40px;image-rendering:pixelated;border:1px solid #ccc;vertical-align:middle;margin-right:2px}
.ok{color:#2e7d32;font-weight:700}.bad{color:#b71c1c;font-weight:700}.kv td:first-child{width:210px;color:#5a6572}
.note{color:#5a6572;font-size:12px}pre{background:#f6f8fa;border:1px solid #d8dde3;padding:8px;white-space:pre-wrap;font-size:11px}
.conclusion{font-size:14px;margin:8px 0 4px}.preview{border:2px dashed #b26a00;color:#b26a00;padding:6px 10px;font-weight:700}
table.params td{padding:1px 5px;font-size:11px}table.params td.v{text-align:right;font-variant-numeric:tabular-nums}
.warn{color:#b26a00;font-weight:700}ul.why{margin:6px 0;padding-left:18px}ul.why li{margin:2px 0;break-inside:avoid}
.keep{break-inside:avoid}@media print{body{padding:0;max-width:none}h2{margin-top:18px}}`;

const fmt = (v: number | null | undefined, digits = 3): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
const pct = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
const check = (ok: boolean): string => (ok ? '<span class="ok">PASS</span>' : '<span class="bad">FAIL</span>');

function dataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

function kv(rows: [string, string][]): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><td>${e(k)}</td><td>${v}</td></tr>`).join('')}</table>`;
}

function verdictBox(s: Statement, r: ScanResult): string {
  const p = s.predicate;
  const target = r.classes.find((k) => k.index === r.target);
  const borderline = target !== undefined && explainClass(target, r).borderline;
  const head =
    p.verdict === 'trojaned' ? `BACKDOOR SUSPECTED${borderline ? ' (BORDERLINE)' : ''}` : 'NO BACKDOOR FOUND';
  const line =
    p.verdict === 'trojaned'
      ? `Suspected target class: <b>${e(p.target)} (${e(p.targetName ?? '?')})</b>. Model score ${fmt(p.score, 2)} (anomaly index, threshold ${targetThreshold(p)}${calibratedWords(p, ', ', '')}).`
      : `No class exceeds ${perClass(p) ? 'its' : 'the'} anomaly threshold${perClass(p) ? '' : ` ${p.anomalyThreshold}`}${calibratedWords(p, ' (', ')')} while passing the transfer filter. Model score ${fmt(p.score, 2)}.`;
  return `<div class="verdict ${p.verdict}"><div class="big">${head}</div><div class="line">${line}</div></div>
<p class="conclusion"><b>In plain words:</b> ${e(conclusion(r))}</p>`;
}

const OUTCOME_CELL: Record<ClassOutcome, string> = {
  flagged: '<span class="bad">flagged</span>',
  filtered: '<span class="warn">filtered</span>',
  passed: 'passed',
  pending: '–',
};

/** Every class's outcome in one sentence, from the signed statement (shared/class-explanation.ts). */
function whyList(s: Statement): string {
  const items = s.predicate.classes.map((c) => {
    const name = c.name !== String(c.index) ? ` (${e(c.name)})` : '';
    return `<li data-outcome="${c.explanation.outcome}"><b>Class ${c.index}${name}</b>: ${e(c.explanation.text)}</li>`;
  });
  return `<p><b>Why each class was flagged, filtered or passed</b></p><ul class="why">${items.join('')}</ul>`;
}

function classTable(s: Statement, artifacts: StoredArtifact[]): string {
  const img = new Map(artifacts.map((a) => [`${a.classIndex}/${a.kind}/${a.ordinal}`, a.png]));
  const rows = s.predicate.classes.map((c) => {
    const thumbs = c.triggers
      .filter((t) => t.kind !== 'stamped' || t.ordinal === 0)
      .map((t) => {
        const png = img.get(`${c.index}/${t.kind}/${t.ordinal}`);
        return png ? `<img class="t" alt="${e(t.kind)}" title="${e(t.path)}" src="${dataUri(png)}">` : '';
      })
      .join('');
    return `<tr class="${c.flagged ? 'flag' : ''}"><td class="num">${c.index}</td><td>${e(c.name)}</td><td class="num">${pct(c.asr)}</td>
<td class="num">${fmt(c.maskL1, 1)}</td><td class="num">${pct(c.transferAsr)}</td><td class="num">${fmt(c.ratio, 2)}</td>
<td class="num"><b>${fmt(c.anomalyIndex, 2)}</b></td><td>${OUTCOME_CELL[c.explanation.outcome]}${c.explanation.borderline ? ' (borderline)' : ''}</td>
<td class="num">${pct(c.ablatedAccTarget)} / ${pct(c.ablatedAccOther)}</td><td class="num">${c.ablationSteps ?? '–'}</td><td class="thumbs">${thumbs}</td></tr>`;
  });
  return `<table><tr><th>#</th><th>class</th><th>ASR</th><th>mask L1</th><th>transfer ASR</th><th>ratio r</th><th>anomaly</th><th>outcome</th>
<th>ablated acc (own / other)</th><th>steps</th><th>mask · pattern · stamped</th></tr>${rows.join('')}</table>
<p class="note">ASR: attack success rate of the reversed trigger. Transfer ASR: how often a clean reference model follows the same
trigger (a natural feature, not a backdoor, when at or above ${s.predicate.parameters.transferThreshold}). Full-size images are in the archive's <code>data/triggers/</code>.</p>
${whyList(s)}`;
}

const perClass = (p: Statement['predicate']) => classThresholdsOf(p.calibration) !== null;

/** The threshold the suspected target was compared with: its own where calibrated per class. */
function targetThreshold(p: Statement['predicate']): number {
  return p.target === null ? p.anomalyThreshold : classThreshold(p.calibration, p.target, p.anomalyThreshold);
}

function calibratedWords(p: Statement['predicate'], open: string, close: string): string {
  if (!p.calibration) return '';
  return `${open}calibrated ${perClass(p) ? 'per class ' : ''}on clean models${close}`;
}

/** The per-class rule's thresholds where it raised them above the base: the classes a trojan must clear more at. */
function classThresholdRows(p: Statement['predicate']): string {
  const c = p.calibration!;
  const raised = raisedClasses(c);
  if (raised.length === 0) return `<p>No class's threshold is above the base ${c.base}.</p>`;
  const name = (k: number) => p.classes.find((x) => x.index === k)?.name ?? String(k);
  const rows = raised
    .map(
      ({ index, threshold }) =>
        `<tr><td class="num">${index}</td><td>${e(name(index))}</td><td class="num">${threshold}</td></tr>`,
    )
    .join('');
  return `<p>${raised.length} of ${c.classThresholds!.length} classes have a threshold above the base ${c.base}; every other class is compared with ${c.base}.</p>
<table><tr><th>class</th><th>name</th><th>threshold</th></tr>${rows}</table>`;
}

/** The clean scans a calibration came from, one row each: scan, case, model, sha256 and score. */
function cleanScanRows(c: NonNullable<Statement['predicate']['calibration']>): string {
  return c.clean
    .map(
      (k) =>
        `<tr><td class="num">${k.scanId}</td><td class="num">${k.caseId}</td><td>${e(k.model)}</td><td class="hash">${e(k.sha256)}</td><td class="num">${fmt(k.score, 2)}</td></tr>`,
    )
    .join('');
}

/** Which known-clean models set the threshold, by sha256, when it was calibrated (docs/algorithm.md, step 5). */
function calibrationSection(p: Statement['predicate']): string {
  const c = p.calibration;
  if (!c) return '';
  if (perClass(p)) return classCalibrationSection(p);
  const largest = Math.max(...c.clean.map((k) => k.score));
  const rows = cleanScanRows(c);
  return `<h2>Threshold calibration</h2>
<p>The anomaly threshold <b>${c.threshold}</b> was calibrated on ${c.clean.length} completed scan${c.clean.length === 1 ? '' : 's'} of models
recorded as known clean: max(the profile's threshold ${c.base}, margin ${c.margin} × their largest score ${fmt(largest, 2)}), rounded up.
Each clean scan is re-scored under this scan's scoring constants.</p>
<table><tr><th>scan</th><th>case</th><th>clean model</th><th>sha256</th><th>score</th></tr>${rows}</table>
<p class="note">A threshold above the profile's trades false positives on this task's clean models for possible misses; it holds only as
far as the clean models are of the suspect's task and kind.</p>`;
}

/** The per-class rule's section: its formula, the raised thresholds and the clean models they came from. */
function classCalibrationSection(p: Statement['predicate']): string {
  const c = p.calibration!;
  const rows = cleanScanRows(c);
  return `<h2>Threshold calibration, per class</h2>
<p>Each class's anomaly threshold was calibrated on ${c.clean.length} completed scan${c.clean.length === 1 ? '' : 's'} of models recorded as known
clean: max(the profile's threshold ${c.base}, margin ${c.margin} × the largest index the class reached in a clean scan where its trigger did not
transfer), rounded up. Each clean scan is re-scored under this scan's scoring constants (anomaly indices against the working classes).</p>
${classThresholdRows(p)}
<table><tr><th>scan</th><th>case</th><th>clean model</th><th>sha256</th><th>largest index</th></tr>${rows}</table>
<p class="note">A clean model's natural triggers sit at the classes its ablation leaves reachable; a raised threshold there trades false positives
for possible misses of a backdoor aimed at that class. It holds only as far as the clean models are of the suspect's task and kind.</p>`;
}

/** Name and value, three to a row (the meanings are in \`uma help scan\`): a third of a page, not two pages. */
function paramTable(params: ScanParams): string {
  const cells = (Object.keys(PARAM_INFO) as (keyof ScanParams)[]).map(
    (k) =>
      `<td title="${e(PARAM_INFO[k].help)}"><code>${e(k)}</code></td><td class="v">${e(params[k] ?? 'default')}</td>`,
  );
  const rows: string[] = [];
  for (let i = 0; i < cells.length; i += 3) rows.push(`<tr>${cells.slice(i, i + 3).join('')}</tr>`);
  return `<table class="params">${rows.join('')}</table>
<p class="note">Every parameter's meaning: <code>uma help scan</code>.</p>`;
}

export function renderReportHtml(v: ReportView): string {
  const s = v.statement;
  const p = s.predicate;
  const i = p.integrity;
  const r = v.result;
  const bars = p.classes.map((c) => ({
    index: c.index,
    name: c.name,
    value: c.anomalyIndex ?? 0,
    flagged: c.flagged === true,
    threshold: p.calibration?.classThresholds?.[c.index],
  }));
  const architecture = p.evidence.architecture;
  const role = (name: string) => (name === architecture ? 'architecture (given beside the weights)' : 'model');
  const subjects = s.subject
    .map((f) => `<tr><td>${e(f.name)}</td><td>${role(f.name)}</td><td class="hash">${e(f.digest.sha256)}</td></tr>`)
    .join('');
  // A Keras weights-only model is checked by its weights file, the one subject that is not its architecture.
  const models = s.subject.filter((f) => f.name !== architecture);
  const modelArg = models.length === 1 ? ` --model ${e(models[0].name)}` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>UMA scan report: ${e(p.case.name)} / scan ${p.scan.id}</title><style>${CSS}</style></head><body>
<h1>Backdoor scan report</h1>
<p class="sub">Case <b>${e(p.case.name)}</b>${p.case.number ? ` (no. ${e(p.case.number)})` : ''} · evidence ${p.evidence.id} <b>${e(p.evidence.displayName)}</b> · scan ${p.scan.id} · examiner <b>${e(p.examiner.name)}</b> · ${v.preview ? 'not signed' : `signed ${e(p.signedAt)} (UTC)`}</p>
${v.preview ? '<p class="preview">UNSIGNED PREVIEW: nothing has been signed yet. Sign and archive the scan for the report of record.</p>' : ''}
${verdictBox(s, r)}
<h2>Evidence</h2>
<table><tr><th>file</th><th>role</th><th>sha256</th></tr>${subjects}</table>
${kv([
  ['Evidence digest at intake', `<span class="hash">${e(i.intake.sha256)}</span> (${e(i.intake.at)})`],
  ['Size, format', `${p.evidence.size} bytes, ${e(p.evidence.format ?? 'not stated')}`],
  [
    'Expected digest',
    i.expected.sha256
      ? `<span class="hash">${e(i.expected.sha256)}</span> from ${e(i.expected.source ?? 'unstated source')}`
      : 'none given',
  ],
])}
<h2>Integrity checks</h2>
<table><tr><th>check</th><th>result</th><th>detail</th></tr>
<tr><td>Intake digest equals the expected digest</td><td>${i.expected.match === 'none' ? 'not given' : check(i.expected.match === 'match')}</td><td>${e(i.expected.match)}</td></tr>
<tr><td>Re-hash before the scan</td><td>${check(i.beforeScan.ok)}</td><td><span class="hash">${e(i.beforeScan.sha256)}</span> at ${e(i.beforeScan.at)}</td></tr>
<tr><td>Re-hash before signing</td><td>${check(i.beforeSigning.ok)}</td><td><span class="hash">${e(i.beforeSigning.sha256)}</span> at ${e(i.beforeSigning.at)}</td></tr>
<tr><td>Audit log verified before signing</td><td>${check(true)}</td><td>head: entry ${p.auditLog.seq}, <span class="hash">${e(p.auditLog.sha256)}</span></td></tr></table>
<h2>Anomaly index per class</h2>
${anomalyChart(bars, p.anomalyThreshold)}
<h2>Per-class findings</h2>
${classTable(s, v.artifacts)}
<h2>Scan</h2>
${kv([
  ['Method', `${e(METHOD_LABELS[p.method] ?? p.method)} (<code>${e(p.method)}</code>)`],
  ['Scanner', `${e(p.scanner.name)} ${e(p.scanner.version)}, backend ${e(p.backend)}, seed ${p.seed}`],
  ['Clean data', `${e(r.data.source)}: ${r.data.samples} samples (${r.data.perClass.join(', ')} per class)`],
  [
    'Reference model',
    r.reference
      ? `${e(r.reference.kind)}, accuracy ${pct(r.reference.accuracy)}, ${fmt(r.reference.seconds, 1)} s`
      : 'none',
  ],
  [
    'Model',
    `${e(r.model.name)}, ${e(r.model.format)}, input ${r.model.inputShape.join('×')}, ${r.model.numClasses} classes, ${r.model.params} parameters`,
  ],
  ['Started, finished', `${e(p.startedAt)} → ${e(p.finishedAt)} (${fmt(r.seconds, 1)} s)`],
])}
${calibrationSection(p)}
<h2>Parameters</h2>
<p>sha256 of the canonical JSON of method, seed and parameters: <span class="hash">${e(p.parametersSha256)}</span></p>
${paramTable(p.parameters)}
<section class="keep"><h2>Verification</h2>
<p>This report is one file of a signed archive. The signature (Ed25519, DSSE envelope <code>data/attestation.intoto.json</code>)
covers an in-toto statement naming the model by its sha256 and listing the sha256 of <code>findings.json</code>, of every trigger image
and of this report itself (HTML and PDF, which are rendered from the statement before it is signed).
The signer's public key is in <code>data/keys/</code>; its key id is</p><p class="hash">${e(p.examiner.keyid)}</p>
<p>To verify offline, with the examiner's public key obtained separately (exported as <code>${e(keyFileStem(p.examiner.name))}.pub</code>):</p>
<pre>uma verify ${e(v.archiveName)}${modelArg} --trust ${e(keyFileStem(p.examiner.name))}.pub</pre>
<p class="note"><code>uma verify</code> checks every file of the archive (the BagIt manifests and bag-info.txt included; none added or
missing), the signature with the archive's key, the statement's types, that each trigger image, findings.json and the report
documents match the digests in the statement, and, given <code>--model</code>, that the model file is the one the statement names.
Any changed byte of the archive fails it (exit 1). The signer must be a trusted key: the given <code>--trust</code> key, or else
one of the verifying workstation's examiner keys or trusted keys (<code>uma keys trust</code>); an intact archive signed by any other
key is reported as an untrusted signer (exit 3), since anyone can sign an archive with a key of their own.</p></section>
</body></html>
`;
}
