import { describe, expect, it } from 'vitest';
import { API } from '../../src/shared/api.ts';
import { methodGroups, paramProblem, resolveParams, SCAN_METHODS } from '../../src/shared/scan-params.ts';
import { paramError } from '../../src/renderer/src/lib/params.ts';

describe('parameter bounds and method stages, in src/shared/scan-params.ts', () => {
  it('the service schema and the form check the same bounds as resolveParams', () => {
    const schema = API['scans/start'].args.shape.params;
    for (const [key, value] of [
      ['inversionSteps', 0],
      ['inversionSteps', 2.5],
      ['freezeRatio', 1],
      ['maxPerClass', 1],
      ['ncPatience', 0],
      ['referenceMomentum', 1],
    ] as const) {
      expect(() => resolveParams({ [key]: value })).toThrow(new RegExp(key));
      expect(schema.safeParse({ [key]: value }).success).toBe(false);
      expect(paramError(key, String(value))).toBe(paramProblem(key, value));
      expect(paramError(key, String(value))).toMatch(/^must be/);
    }
    expect(schema.safeParse({ inversionSteps: 1, freezeRatio: 0, maxPerClass: null }).success).toBe(true);
  });

  it("derives each method's parameter groups from its stages", () => {
    expect(SCAN_METHODS.map((m) => methodGroups(m))).toEqual([
      ['samples', 'ablation', 'inversion', 'reference', 'scoring'],
      ['samples', 'ablation', 'inversion', 'scoring'],
      ['samples', 'inversion', 'reference', 'scoring'],
      ['samples', 'nc', 'scoring'],
    ]);
  });
});
