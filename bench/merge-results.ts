/**
 * Joins `uma bench` results folders scanned at different times into one (a corpus half extended in a
 * later session, the scans of the earlier models no longer cached): the records are taken as they were
 * scored, and the join is refused where they were measured or scored differently
 * (src/main/eval/merge-results.ts). The corpus tables of the inputs' detection.md are kept below the
 * merged tables.
 *
 * Run: node bin/run-ts.mjs bench/merge-results.ts RESULTS_DIR RESULTS_DIR... --out DIR
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeBenchResults, type BenchResults } from '../src/main/eval/bench-results.ts';
import { mergeBenchResults } from '../src/main/eval/merge-results.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } });
if (!values.out) throw new Error('give --out DIR, the merged results folder');
const CORPUS_HEADING = "### The corpus (from each model's manifest.json)";

const inputs = positionals.map((source) => {
  const file = join(source, 'detection.json');
  if (!existsSync(file)) throw new Error(`${source}: no detection.json (not a \`uma bench\` results folder)`);
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  if (!Array.isArray(results.records)) throw new Error(`${file}: no records`);
  const md = join(source, 'detection.md');
  const text = existsSync(md) ? readFileSync(md, 'utf8') : '';
  const corpus = text.includes(CORPUS_HEADING)
    ? text.slice(text.indexOf(CORPUS_HEADING) + CORPUS_HEADING.length).trim()
    : '';
  return { source, results, corpus };
});
const merged = mergeBenchResults(inputs);
const { notes, ...results } = merged;
const appendix = [
  '### Merged from',
  '',
  ...inputs.map(
    (i) =>
      `- \`${i.source}\`: ${i.results.records.length} records (${i.results.methods.join(', ')}; half ${i.results.half})`,
  ),
  ...notes.map((n) => `- ${n}`),
  '',
  ...inputs
    .filter((i) => i.corpus)
    .flatMap((i) => [`### The corpus of \`${i.source}\` (from each model's manifest.json)`, '', i.corpus, '']),
].join('\n');
console.log(writeBenchResults(values.out, results, appendix));
