/**
 * Which classes keep a working trigger after their ablation, and does it follow how often the model saw
 * them in training (issue 18)? On GTSRB most classes are left with no trigger at all (ratio at the
 * floor, docs/algorithm.md step 5) and the few that keep one are the false positives' classes
 * (bench/README.md, "The working-class baseline on corpora it was not built on"). This reads every
 * cached default UMA scan of the corpora named and, per data set and class, sets the class's share of
 * the training split beside the share of scans in which its trigger works (ratio above ratioMin),
 * planted targets left out, and their Spearman rank correlation. Nothing is scanned.
 *
 * Run: node bin/run-ts.mjs bench/reachable-classes.ts CORPUS... [--half tune|report] [--out FILE]
 * Writes bench/results/reachable-classes.json (or --out) and prints one table per data set.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { halfOf, parseHalf } from '../src/main/eval/bench.ts';
import { spearman } from '../src/main/eval/metrics/ranks.ts';
import { loadSplit } from '../src/main/eval/zoo/datasets.ts';
import { defaultScans, DEFAULT_SCAN } from './cached-scans.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { half: { type: 'string' }, out: { type: 'string' } },
});
if (positionals.length === 0)
  throw new Error('usage: reachable-classes.ts CORPUS... [--half tune|report] [--out FILE]');
const half = parseHalf(values.half);
const out = values.out ?? join(import.meta.dirname, 'results', 'reachable-classes.json');

interface ClassRow {
  k: number;
  trainShare: number;
  /** Scans (k not the planted target) in which k's trigger works, flagged k, and how many there were. */
  working: number;
  flagged: number;
  scans: number;
}

const byDataset = new Map<string, { models: string[]; rows: ClassRow[] }>();
for (const { manifest: m, scan } of defaultScans(positionals)) {
  if (half && halfOf(m) !== half) continue;
  const ds = m.recipe.dataset;
  if (!byDataset.has(ds)) {
    const labels = loadSplit(ds).train.labels;
    const rows = Array.from({ length: scan.classes.length }, (_, k) => ({
      k,
      trainShare: labels.filter((l) => l === k).length / labels.length,
      working: 0,
      flagged: 0,
      scans: 0,
    }));
    byDataset.set(ds, { models: [], rows });
  }
  const entry = byDataset.get(ds)!;
  entry.models.push(m.id);
  for (const c of scan.classes) {
    if (c.index === m.attack?.target) continue;
    const row = entry.rows[c.index];
    row.scans++;
    if (c.ratio !== null && c.ratio > DEFAULT_SCAN.params.ratioMin) row.working++;
    if (c.flagged) row.flagged++;
  }
}

const report = [...byDataset].map(([dataset, { models, rows }]) => ({
  dataset,
  models,
  spearman: spearman(
    rows.map((r) => r.trainShare),
    rows.map((r) => r.working / r.scans),
  ),
  classes: rows,
}));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify({ corpora: positionals, half: half ?? null, seed: DEFAULT_SCAN.seed, datasets: report }, null, 2),
);
for (const d of report) {
  console.log(
    `${d.dataset}: ${d.models.length} scans; Spearman(training share, working share) = ${d.spearman.toFixed(2)}`,
  );
  console.log('class  train%  working  flagged');
  for (const r of [...d.classes].sort((a, b) => b.trainShare - a.trainShare))
    console.log(
      `${String(r.k).padStart(5)}  ${(100 * r.trainShare).toFixed(1).padStart(6)}  ${`${r.working}/${r.scans}`.padStart(7)}  ${String(r.flagged).padStart(7)}`,
    );
}
