import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanEvent } from '../../../src/shared/events.ts';
import { runScan } from '../../../src/main/engine/scan/pipeline.ts';
import { resolveParams } from '../../../src/shared/scan-params.ts';
import { loadDemoPair, type DemoPair } from './demo-pair.ts';

let pair: DemoPair;
const PARAMS = resolveParams({ maxPerClass: 100 });

beforeAll(async () => {
  pair = await loadDemoPair();
}, 120_000);

afterAll(() => {
  pair?.clean.dispose();
  pair?.trojaned.dispose();
});

describe('UMA with the default profile on the bundled MNIST demo models', () => {
  it('flags the BadNets model at its target and streams every class', async () => {
    const events: ScanEvent[] = [];
    const { result, artifacts } = await runScan({
      model: pair.trojaned,
      data: pair.held,
      method: 'uma',
      params: PARAMS,
      workers: 2,
      seed: 1,
      onEvent: (e) => events.push(e),
    });
    expect(result.verdict).toBe('trojaned');
    expect(result.target).toBe(pair.target);
    const t = result.classes[pair.target];
    expect(t.flagged).toBe(true);
    expect(t.transferAsr!).toBeLessThan(0.3);
    expect(t.anomalyIndex!).toBeGreaterThan(2);
    // the ablated model keeps the other classes while forgetting the ablated one
    for (const c of result.classes) {
      expect(c.ablatedAccOther!).toBeGreaterThan(0.8);
      expect(c.ablatedAccTarget!).toBeLessThan(0.5);
    }
    expect(result.data.perClass).toEqual(Array(10).fill(100));
    expect(result.reference?.kind).toBe('trained');
    expect(artifacts).toHaveLength(10);
    const kinds = events.map((e) => e.type);
    expect(kinds.filter((k) => k === 'class-result')).toHaveLength(10);
    expect(kinds[kinds.length - 1]).toBe('done');
    const fractions = events.flatMap((e) => (e.type === 'progress' ? [e.progress.fraction] : []));
    expect(fractions.length).toBeGreaterThan(10);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1] - 1e-9);
  }, 600_000);

  it('passes the clean model', async () => {
    const { result } = await runScan({
      model: pair.clean,
      data: pair.held,
      method: 'uma',
      params: PARAMS,
      workers: 2,
      seed: 1,
    });
    expect(result.verdict).toBe('clean');
    expect(result.target).toBeNull();
    expect(result.score).toBeLessThan(2);
  }, 600_000);
});
