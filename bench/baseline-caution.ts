/**
 * How the verdict's ratio-floor caution (baselineCaution, src/shared/verdict-text.ts; docs/algorithm.md,
 * step 5) falls on known models: for each cached `uma` scan, whether the caution is said, beside what the
 * verdict got right or wrong. A caution worth its words marks the wrong verdicts (false positives,
 * trojans flagged at a class that is not their target) and few of the right ones. Nothing is rescanned.
 *
 * Input: the scans `uma bench CORPUS --methods uma` cached beside each model.
 * Run: node bin/run-ts.mjs bench/baseline-caution.ts CORPUS... [--half tune|report] [--profile tuned]
 *      [--max-per-class 100] [--param NAME=VALUE]... (the measurement parameters of the cached scans)
 *      [--archive DIR] (restores archived scans first: bench/cached-scans.ts)
 *      [--out bench/results/baseline-caution.json]
 * Writes the JSON (one row per model) and its markdown twin: per data set and architecture, how many
 * models of each outcome carry the caution.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { baselineCaution, ratioFloor } from '../src/shared/verdict-text.ts';
import { baseRecord, cachedScan, halfOf, parseHalf, scoreRecord } from '../src/main/eval/bench.ts';
import { listCorpus } from '../src/main/eval/zoo/corpus.ts';
import { cachedScans } from './cached-scans.ts';
import { markdownBeside } from './results-file.ts';

const scans = cachedScans({
  half: { type: 'string' },
  out: { type: 'string', default: join(import.meta.dirname, 'results', 'baseline-caution.json') },
});
const values = scans.values as Record<'half' | 'out' | 'seed', string | undefined> & { param: string[] };
const half = parseHalf(values.half);
const out = values.out!;
const markdownOut = markdownBeside(out);

const OUTCOMES = [
  'false positive',
  'flagged at another class',
  'found at its target',
  'missed trojan',
  'passed clean',
] as const;
type Outcome = (typeof OUTCOMES)[number];

const rows = scans.corpora.flatMap((corpus) =>
  listCorpus(corpus)
    .filter((e) => half === undefined || halfOf(e.manifest) === half)
    .flatMap(({ dir, manifest }) => {
      const scan = cachedScan(dir, 'uma', scans.base, Number(values.seed));
      if (!scan) return [];
      const base = baseRecord(manifest, scans.profile);
      const { verdict, suspected, score } = scoreRecord(scan, 'uma', scans.base);
      const outcome: Outcome = !base.positive
        ? verdict === 'trojaned'
          ? 'false positive'
          : 'passed clean'
        : verdict === 'clean'
          ? 'missed trojan'
          : suspected === base.target
            ? 'found at its target'
            : 'flagged at another class';
      return [
        {
          id: base.id,
          dataset: base.dataset,
          arch: base.arch,
          half: base.half,
          kind: base.kind,
          score,
          outcome,
          caution: baselineCaution(scan) !== null,
          ...ratioFloor(scan),
        },
      ];
    }),
);
if (rows.length === 0) throw new Error(`no cached uma scan under these parameters in ${scans.corpora.join(', ')}`);

const groups = [...new Set(rows.map((r) => `${r.dataset} ${r.arch}`))].sort();
const cell = (rs: typeof rows, o: Outcome) => {
  const of = rs.filter((r) => r.outcome === o);
  return of.length === 0 ? '-' : `${of.filter((r) => r.caution).length} / ${of.length}`;
};
const line = (name: string, rs: typeof rows) => `| ${name} | ${OUTCOMES.map((o) => cell(rs, o)).join(' | ')} |`;
const md = [
  `# The ratio-floor caution on cached scans (${scans.profile} profile, ${scans.base.maxPerClass} clean samples per class${[...values.param, ...(half ? [`${half} half`] : [])].map((x) => `, ${x}`).join('')})`,
  '',
  `Corpora: ${scans.corpora.join(', ')}. Each cell: models whose verdict carries the caution / models with that outcome.`,
  '',
  `| data set, architecture | ${OUTCOMES.join(' | ')} |`,
  `|---|${OUTCOMES.map(() => '---').join('|')}|`,
  ...groups.map((g) =>
    line(
      g,
      rows.filter((r) => `${r.dataset} ${r.arch}` === g),
    ),
  ),
  line('**all**', rows),
  '',
].join('\n');

mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ profile: scans.profile, half: half ?? 'both', params: scans.base, models: rows }, null, 2)}\n`,
);
writeFileSync(markdownOut, md);
console.log(md);
