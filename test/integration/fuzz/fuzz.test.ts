/**
 * The seeded fuzz campaign in CI (issue 15): a few hundred hostile models and data sets, loaded in a
 * worker thread and a sample through `uma inspect`, must each end in a named error or an accepted
 * load: no internal error, no hang, no crash, and a known-good model still loads afterwards.
 * Longer runs: `npm run fuzz -- --cases 10000 --seed 1 --json bench/results/fuzz.json`.
 */
import { describe, expect, it } from 'vitest';
import { runFuzz } from '../../fuzz/runner.ts';

describe('fuzzed models and data', () => {
  it('end in named errors or accepted loads, never an internal error, a hang or a poisoned process', async () => {
    const summary = await runFuzz({ cases: 250, seed: 15, timeoutMs: 20_000, cliEvery: 125 });
    expect(
      summary.failures.map((f) => `#${f.id} ${f.via} ${f.family}/${f.mutation}: ${f.outcome} ${f.message ?? ''}`),
    ).toEqual([]);
    // The campaign exercises both sides: refusals and (NaN weights, odd but valid folders) acceptances.
    expect(summary.counts.named).toBeGreaterThan(100);
    expect(summary.counts.accepted).toBeGreaterThan(5);
    expect(summary.results.filter((r) => r.via === 'cli')).toHaveLength(2);
  }, 240_000);
});
