/** The bench's scan cache key (cachePath): what changes a measurement changes the key, nothing else does. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachePath } from '../../../src/main/eval/bench.ts';
import { paramsSha256 } from '../../../src/main/util/params-digest.ts';
import { AUTHORS_PROFILE, DEFAULT_PROFILE, type ScanParams } from '../../../src/shared/scan-params.ts';

describe('bench cache key', () => {
  it('is the key scans cached before inversionRestarts had, while it is 1; another count is another key', () => {
    const before: Partial<ScanParams> = { ...AUTHORS_PROFILE };
    delete before.inversionRestarts;
    const earlier = paramsSha256(before as ScanParams, 'uma', 7).slice(0, 16);
    expect(cachePath('d', 'uma', AUTHORS_PROFILE, 7)).toBe(join('d', `scan-uma-${earlier}.json`));
    expect(cachePath('d', 'uma', { ...AUTHORS_PROFILE, inversionRestarts: 3 }, 7)).not.toBe(
      cachePath('d', 'uma', AUTHORS_PROFILE, 7),
    );
  });

  it('ignores score-only parameters and follows measuring ones', () => {
    const base = cachePath('d', 'uma', DEFAULT_PROFILE, 1);
    expect(cachePath('d', 'uma', { ...DEFAULT_PROFILE, anomalyThreshold: 3, transferThreshold: 0.5 }, 1)).toBe(base);
    expect(cachePath('d', 'uma', { ...DEFAULT_PROFILE, inversionSteps: 100 }, 1)).not.toBe(base);
  });
});
