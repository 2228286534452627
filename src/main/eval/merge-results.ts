/**
 * Joins benchmark results folders scanned at different times (a corpus half extended in a later
 * session, say) into one table, refusing what would make the table a mix of different measurements:
 * another profile, parameters that change a scan (compared as the scan cache key compares them, so a
 * parameter added after a scan, at its neutral value, is no difference), another scoring constant or
 * scan seed, or the same model scanned twice by one method. A folder that does not record its seed
 * (written before it was recorded) is noted, and the merged folder then records none.
 */
import { UmaError } from '../../shared/errors.ts';
import { SCORE_ONLY_PARAMS, type ScanParams } from '../../shared/scan-params.ts';
import { BENCH_METHODS, sameMeasurement } from './bench.ts';
import type { BenchResults } from './bench-results.ts';

export interface ResultsInput {
  /** Where the results came from (a folder), for messages. */
  source: string;
  results: BenchResults;
}

export interface MergedResults extends BenchResults {
  /** Parameters some inputs lack (added after those scans) and seeds they do not record, one line each. */
  notes: string[];
}

const keysOf = (p: Partial<ScanParams>) => Object.keys(p) as (keyof ScanParams)[];

export function mergeBenchResults(inputs: readonly ResultsInput[]): MergedResults {
  if (inputs.length < 2) throw new UmaError('BAD_INPUT', 'give two or more results folders to merge');
  const [first] = inputs;
  const methods = BENCH_METHODS.filter((m) => inputs.some((i) => i.results.methods.includes(m)));
  const seen = new Map<string, string>();
  const seeded = inputs.find((i) => i.results.seed !== undefined);
  for (const { source, results } of inputs) {
    if (seeded && results.seed !== undefined && results.seed !== seeded.results.seed)
      throw new UmaError(
        'BAD_INPUT',
        `${source}: scan seed ${results.seed}, but ${seeded.source} has ${seeded.results.seed}`,
      );
    if (results.profile !== first.results.profile)
      throw new UmaError(
        'BAD_INPUT',
        `${source}: profile '${results.profile}', but ${first.source} has '${first.results.profile}'`,
      );
    const common = keysOf(results.params).filter((k) => k in first.results.params);
    const differing = common.filter(
      (k) => JSON.stringify(results.params[k]) !== JSON.stringify(first.results.params[k]),
    );
    const scoring = differing.filter((k) => (SCORE_ONLY_PARAMS as readonly string[]).includes(k));
    if (scoring.length > 0)
      throw new UmaError('BAD_INPUT', `${source}: scored with other ${scoring.join(', ')} than ${first.source}`);
    for (const m of methods)
      if (!sameMeasurement(results.params, first.results.params, m))
        throw new UmaError(
          'BAD_INPUT',
          `${source}: scanned with other parameters than ${first.source} (${differing.join(', ') || 'parameters one of them lacks'})`,
        );
    for (const r of results.records) {
      const key = `${r.id} / ${r.method}`;
      const other = seen.get(key);
      if (other !== undefined) throw new UmaError('BAD_INPUT', `${key} is in both ${other} and ${source}`);
      seen.set(key, source);
    }
  }
  const all = new Set(inputs.flatMap((i) => keysOf(i.results.params)));
  const notes = inputs.flatMap(({ source, results }) => {
    const missing = [...all].filter((k) => !(k in results.params));
    return [
      ...(missing.length ? [`${source} lacks ${missing.join(', ')} (added after it was scanned)`] : []),
      ...(results.seed === undefined ? [`${source} does not record its scan seed`] : []),
    ];
  });
  const seeds = inputs.map((i) => i.results.seed);
  const halves = new Set(inputs.map((i) => i.results.half));
  return {
    profile: first.results.profile,
    // The first input's values, with the parameters it lacks from the others (equal where both have them).
    params: inputs.reduceRight<Partial<ScanParams>>((p, i) => ({ ...p, ...i.results.params }), {}),
    methods,
    half: halves.size === 1 ? first.results.half : 'both',
    ...(seeds.every((s) => s === seeds[0]) && seeds[0] !== undefined ? { seed: seeds[0] } : {}),
    records: inputs.flatMap((i) => i.results.records),
    notes,
  };
}
