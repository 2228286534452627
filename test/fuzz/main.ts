/**
 * `npm run fuzz -- --cases N --seed S [--timeout-ms T] [--cli-every K] [--json FILE] [--quiet]`:
 * a seeded fuzz campaign against the model and data loaders (see runner.ts). Prints a summary; exits
 * 1 when any case ended in an internal error, a hang, a crash or an unhealthy process.
 * --json FILE writes the summary (bench/results/fuzz.json for the long recorded run).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { runFuzz } from './runner.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    'timeout-ms': { type: 'string', default: '20000' },
    'cli-every': { type: 'string', default: '100' },
    json: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});
const num = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, not '${v}'`);
  return n;
};

const summary = await runFuzz({
  cases: num('cases', values.cases),
  seed: num('seed', values.seed),
  timeoutMs: num('timeout-ms', values['timeout-ms']),
  cliEvery: num('cli-every', values['cli-every']),
  onCase: (r) => {
    const bad = r.outcome === 'internal' || r.outcome === 'hang' || r.outcome === 'crash' || !r.healthy;
    if (bad || (!values.quiet && r.id % 100 === 0 && r.via === 'in-process')) {
      console.log(
        `#${r.id} ${r.via} ${r.family}/${r.mutation}: ${r.outcome}${r.healthy ? '' : ' UNHEALTHY'} (${r.ms} ms)${bad ? ` ${r.message ?? ''}` : ''}`,
      );
    }
  },
});

console.log(`\nfuzz: ${summary.cases} cases, seed ${summary.seed}, ${summary.seconds} s`);
console.log(
  `outcomes: ${Object.entries(summary.counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}; unhealthy afterwards ${summary.unhealthy}`,
);
for (const [m, c] of Object.entries(summary.byFamily).sort()) {
  console.log(
    `  ${m.padEnd(32)} ${Object.entries(c)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
}
if (values.json) {
  mkdirSync(dirname(values.json), { recursive: true });
  // The long run's record keeps every failure and the counts, not every accepted case.
  const { results, ...rest } = summary;
  writeFileSync(
    values.json,
    `${JSON.stringify({ ...rest, generatedAt: new Date().toISOString(), resultsKept: results.length <= 2000 ? results : undefined }, null, 2)}\n`,
  );
  console.log(`wrote ${values.json}`);
}
process.exit(summary.failures.length > 0 ? 1 : 0);
