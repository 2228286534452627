/** The `--half` option shared by `uma bench` and the re-scoring scripts (parseHalf). */
import { describe, expect, it } from 'vitest';
import { parseHalf } from '../../../src/main/eval/bench.ts';

describe('--half', () => {
  it('takes a corpus half, or nothing for both', () => {
    expect(parseHalf('tune')).toBe('tune');
    expect(parseHalf('report')).toBe('report');
    expect(parseHalf(undefined)).toBeUndefined();
  });

  it('refuses anything else by name, as a bad input', () => {
    expect(() => parseHalf('Report')).toThrow(/--half must be one of tune, report, not 'Report'/);
    expect(() => parseHalf('')).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
  });
});
