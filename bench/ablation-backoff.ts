/**
 * Ablation strength per class or per model (issue 18, bench/README.md "Ablation strength chosen per
 * model"): one SGD rate does not serve every model (the default erases the real backdoors of BatchNorm
 * ResNets; a 4x gentler rate loses MNIST CNN trojans the default finds; the paper's two epochs in full
 * lift the CIFAR-10 ResNets and leave most MNIST classes unreachable). This re-scores the scans
 * `uma bench` cached at two strengths (the default and --gentle's, or --strong's and the default),
 * combined by rules that need no ground truth:
 *  - `class-backoff T`: class k's result from the gentle scan where the first (default or --strong) scan's inversion
 *    reached ASR below T on M'_k (the ablated copy can no longer be driven to k: over-ablated);
 *  - `model-switch N`: the whole gentle scan for a model where N or more classes' inversions reached
 *    ASR below `failed` (0.3) in the first scan; capped, only where at most a fraction of its
 *    classes failed;
 *  - `collateral-switch R`: the whole gentle scan for a model whose ablated copies M'_k keep, on the
 *    other classes' samples, under R of M's clean accuracy (mean over k): the ablation removed more
 *    than class k's features (the paper's cross-entropy term is there to keep the others). M's
 *    accuracy is its manifest's test accuracy, which an analyst measures on the labelled clean images.
 * Each rule's ROC-AUC, FP and FN per corpus and half; the rule is chosen on the tune half (mean AUC,
 * then fewer FP + FN) and reported on the report half. Nothing is rescanned: the first scan of every
 * model must be cached (`uma bench CORPUS --methods uma`), the gentle one (`--param NAME=VALUE`) where
 * a rule uses it; a rule that needs a gentle scan a model lacks is shown as incomplete there.
 * `--gentle-method uma-noablation` makes the fallback no ablation at all: the inversion against M itself
 * (`uma bench CORPUS --methods uma-noablation`), for the BatchNorm ResNets whose backdoors every
 * ablation rate tried erased (bench/README.md "Without ablation on the whole report half").
 *
 * Run: node bin/run-ts.mjs bench/ablation-backoff.ts CORPUS... [--strong NAME=VALUE]... [--gentle NAME=VALUE]...
 *      [--gentle-method uma|uma-noablation] [--switches 2,3,4] [--collateral 0.8,0.9] [--failed 0.3] [--out FILE]
 * Writes bench/results/ablation-backoff.json and .md (or --out and its .md).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseParams } from '../src/main/cli/scan-options.ts';
import { backsOff, failedClasses } from '../src/main/engine/scan/ablation-backoff.ts';
import { baseRecord, cachePath, scoreRecord, type CorpusHalf, type ScanRecord } from '../src/main/eval/bench.ts';
import { detectionTable, type DetectionRow } from '../src/main/eval/metrics/detection.ts';
import { listCorpus } from '../src/main/eval/zoo/corpus.ts';
import type { ClassFinding, ScanResult } from '../src/shared/results.ts';
import { resolveParams } from '../src/shared/scan-params.ts';
import { markdownBeside } from './results-file.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    strong: { type: 'string', multiple: true, default: [] },
    gentle: { type: 'string', multiple: true, default: [] },
    'gentle-method': { type: 'string', default: 'uma' },
    switches: { type: 'string', default: '2,3,4' },
    collateral: { type: 'string', default: '' },
    failed: { type: 'string', default: '0.3' },
    out: { type: 'string', default: join(import.meta.dirname, 'results', 'ablation-backoff.json') },
  },
});
const markdownOut = markdownBeside(values.out);
const GENTLE_METHODS = ['uma', 'uma-noablation'] as const;
const GENTLE_METHOD = GENTLE_METHODS.find((m) => m === values['gentle-method']);
if (!GENTLE_METHOD)
  throw new Error(`--gentle-method must be one of ${GENTLE_METHODS.join(', ')}, got '${values['gentle-method']}'`);
if (positionals.length === 0 || (values.strong.length + values.gentle.length === 0 && GENTLE_METHOD === 'uma'))
  throw new Error(
    'usage: ablation-backoff.ts CORPUS... [--strong NAME=VALUE]... [--gentle NAME=VALUE]... [--gentle-method uma|uma-noablation] [--switches 2,3,4] [--collateral 0.8,0.9] [--failed 0.3] [--out FILE]',
  );

const SEED = 1;
// The default profile on 100 samples per class, as `uma bench` scans, each strength in one pass (the
// rules below are what the engine's backoff generalises).
const STRONG = resolveParams({ maxPerClass: 100, ablationBackoffClasses: 0, ...parseParams(values.strong) });
const GENTLE = resolveParams({ maxPerClass: 100, ablationBackoffClasses: 0, ...parseParams(values.gentle) });
const FAILED = Number(values.failed);
if (!(FAILED > 0 && FAILED <= 1)) throw new Error(`--failed must be an ASR in (0, 1], got '${values.failed}'`);
const SWITCHES = values.switches.split(',').map(Number);
if (!SWITCHES.every((n) => Number.isInteger(n) && n > 0))
  throw new Error(`--switches must be class counts above 0, got '${values.switches}'`);
const COLLATERAL = values.collateral ? values.collateral.split(',').map(Number) : [];
if (!COLLATERAL.every((r) => r > 0 && r <= 1))
  throw new Error(`--collateral must be fractions of M's accuracy in (0, 1], got '${values.collateral}'`);
/** The one-pass scan the rules start from: the default, or --strong's. */
const FIRST = values.strong.length ? 'strong' : 'default';

interface Pair {
  corpus: string;
  /** The model's table row but for its verdict (its manifest's data set, attack, target and half). */
  base: ReturnType<typeof baseRecord>;
  /** M's clean test accuracy (its manifest). */
  cleanAccuracy: number;
  strong: ScanResult;
  gentle: ScanResult | null;
}

interface Rule {
  name: string;
  /** The model's classes under the rule; null when that needs the gentle scan and it is not cached. */
  classes: (p: Pair) => ClassFinding[] | null;
}

const RULES: Rule[] = [
  { name: FIRST, classes: (p) => p.strong.classes },
  { name: GENTLE_METHOD === 'uma' ? 'gentle' : 'no ablation', classes: (p) => p.gentle?.classes ?? null },
  ...[0.3, 0.6].map((t) => ({
    name: `class-backoff ${t}`,
    classes: (p: Pair) => {
      if (!p.strong.classes.some((c) => c.asr < t)) return p.strong.classes;
      const gentle = p.gentle;
      return gentle ? p.strong.classes.map((c, k) => (c.asr < t ? gentle.classes[k] : c)) : null;
    },
  })),
  ...SWITCHES.map((n) => modelSwitch(n, 1)),
  // Capped: a model where most classes fail has no compact trigger at either rate (tiny MLPs), not an overshoot.
  ...[2, 3].flatMap((n) => [0.5, 0.7].map((cap) => modelSwitch(n, cap))),
  ...COLLATERAL.map(collateralSwitch),
];

/** The mean over classes of M'_k's accuracy on the other classes, as a fraction of M's. */
function keptAccuracy(classes: readonly Pick<ClassFinding, 'ablatedAccOther'>[], cleanAccuracy: number): number {
  const kept = classes.flatMap((c) => (c.ablatedAccOther === null ? [] : [c.ablatedAccOther]));
  if (kept.length === 0) throw new Error('the first scan has no ablated accuracy: it did not ablate');
  return kept.reduce((a, b) => a + b, 0) / kept.length / cleanAccuracy;
}

/** `collateral-switch R`: the gentle scan where the ablated copies keep under R of M's accuracy on the other classes. */
function collateralSwitch(r: number): Rule {
  return {
    name: `collateral-switch ${r}`,
    classes: (p: Pair) =>
      keptAccuracy(p.strong.classes, p.cleanAccuracy) < r ? (p.gentle?.classes ?? null) : p.strong.classes,
  };
}

/** `model-switch N`: the gentle scan where N or more, and at most `cap` of the classes, failed. */
function modelSwitch(n: number, cap: number): Rule {
  return {
    name: cap < 1 ? `model-switch ${n}, at most ${cap * 100}% failed` : `model-switch ${n}`,
    classes: (p: Pair) => {
      const rule = { ablationBackoffClasses: n, ablationBackoffAsr: FAILED };
      const switches =
        backsOff(p.strong.classes, 'uma', rule) &&
        failedClasses(p.strong.classes, rule).length <= cap * p.strong.classes.length;
      return switches ? (p.gentle?.classes ?? null) : p.strong.classes;
    },
  };
}

const pairs: Pair[] = positionals.flatMap((corpus) =>
  listCorpus(corpus).flatMap(({ dir, manifest }) => {
    const [s, g] = [cachePath(dir, 'uma', STRONG, SEED), cachePath(dir, GENTLE_METHOD, GENTLE, SEED)];
    if (!existsSync(s)) return [];
    const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as ScanResult;
    return [
      {
        corpus,
        base: baseRecord(manifest, 'tuned'),
        cleanAccuracy: manifest.cleanAccuracy,
        strong: read(s),
        gentle: existsSync(g) ? read(g) : null,
      },
    ];
  }),
);
if (pairs.length === 0)
  throw new Error(
    `no model has its ${FIRST} scan cached: run \`uma bench CORPUS --methods uma\` with those parameters`,
  );

interface Cell {
  corpus: string;
  half: CorpusHalf;
  /**
   * The detection table's 'all attacks' row over the models the rule could score (its ROC points left
   * out); null when it could score none.
   */
  detection: Omit<DetectionRow, 'roc'> | null;
  scores: { id: string; score: number; suspected: number | null; target: number | null }[];
  /** Models the rule needs the gentle scan of and that lack it: the cell's figures leave them out. */
  missing: string[];
}

function allAttacks(records: ScanRecord[]): Omit<DetectionRow, 'roc'> | null {
  const all = detectionTable(records).find((r) => r.attack === 'all');
  if (!all) return null;
  const { roc: _, ...row } = all;
  return row;
}

function evaluate(rule: Rule, corpus: string, half: CorpusHalf): Cell | null {
  const group = pairs.filter((p) => p.corpus === corpus && p.base.half === half);
  if (group.length === 0) return null;
  const chosen = group.map((p) => ({ p, classes: rule.classes(p) }));
  const records: ScanRecord[] = chosen.flatMap(({ p, classes }) =>
    classes ? [{ ...p.base, method: 'uma', ...scoreRecord({ ...p.strong, classes }, 'uma', STRONG), seconds: 0 }] : [],
  );
  return {
    corpus,
    half,
    detection: allAttacks(records),
    scores: records.map(({ id, score, suspected, target }) => ({ id, score, suspected, target })),
    missing: chosen.filter(({ classes }) => classes === null).map(({ p }) => p.base.id),
  };
}

const corpora = [...new Set(pairs.map((p) => p.corpus))];
const halves: CorpusHalf[] = ['tune', 'report'];
const table = RULES.map((rule) => ({
  rule: rule.name,
  cells: halves.flatMap((h) => corpora.flatMap((c) => evaluate(rule, c, h) ?? [])),
}));

/** How many models a rate over `n` of them counts (0 where there are none). */
const count = (rate: number, n: number) => (n === 0 ? 0 : Math.round(rate * n));

/** The tune half's merit: mean AUC over the corpora with both kinds of model, then fewer errors; none if incomplete. */
function merit(cells: Cell[]): [number, number] {
  const tune = cells.filter((c) => c.half === 'tune');
  if (tune.some((c) => c.missing.length > 0)) return [-Infinity, -Infinity];
  // Complete cells scored every model of a non-empty group: each has its row.
  const rows = tune.map((c) => c.detection!);
  const aucs = rows.map((d) => d.auc).filter((a) => !Number.isNaN(a));
  const errors = rows.reduce((s, d) => s + count(d.fpr, d.clean) + count(d.fnr, d.trojaned), 0);
  return [aucs.reduce((s, a) => s + a, 0) / Math.max(1, aucs.length), -errors];
}
const chosen = table.reduce((best, row) => {
  const [a, b] = [merit(row.cells), merit(best.cells)];
  return a[0] > b[0] + 1e-9 || (Math.abs(a[0] - b[0]) <= 1e-9 && a[1] > b[1]) ? row : best;
}).rule;

mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(
  values.out,
  JSON.stringify(
    {
      seed: SEED,
      strong: parseParams(values.strong),
      gentle: parseParams(values.gentle),
      gentleMethod: GENTLE_METHOD,
      failed: FAILED,
      collateral: COLLATERAL,
      chosen,
      table,
    },
    null,
    2,
  ),
);
const f = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(2));
// The table's columns: each (half, corpus) with models in it.
const columns = halves.flatMap((h) =>
  corpora.filter((c) => pairs.some((p) => p.corpus === c && p.base.half === h)).map((c) => ({ h, c })),
);
const cellText = (cell: Cell | undefined): string => {
  if (!cell) return '-';
  const missing = cell.missing.length ? ` (without ${cell.missing.length}: no gentle scan)` : '';
  const d = cell.detection;
  if (!d) return `no model scored${missing}`;
  return `AUC ${f(d.auc)}, FP ${count(d.fpr, d.clean)}/${d.clean}, FN ${count(d.fnr, d.trojaned)}/${d.trojaned}${missing}`;
};
const md = [
  `${FIRST === 'strong' ? `Strong scans: ${values.strong.join(', ')}; gentle` : 'Gentle'} scans: ${GENTLE_METHOD === 'uma' ? '' : `${GENTLE_METHOD}, `}${values.gentle.join(', ') || 'the default'}; a class failed below ASR ${FAILED}. Chosen on the tune half: **${chosen}**.`,
  '',
  `| rule | ${columns.map(({ h, c }) => `${h}: ${c.split('/').pop()}`).join(' | ')} |`,
  `|---|${columns.map(() => '---').join('|')}|`,
  ...table.map(
    (row) =>
      `| ${row.rule === chosen ? `**${row.rule}**` : row.rule} | ${columns
        .map(({ h, c }) => cellText(row.cells.find((x) => x.half === h && x.corpus === c)))
        .join(' | ')} |`,
  ),
  '',
].join('\n');
writeFileSync(markdownOut, md);
console.log(md);
