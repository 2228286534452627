import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The WebGPU backend cannot read a tensor synchronously in Node (dataSync/arraySync/bufferSync throw),
 * so engine code reads with `await t.data()` (backend/read.ts). This scan keeps it that way.
 */
const ENGINE = join(import.meta.dirname, '../../../src/main/engine');
const SYNC_READ = /\.(dataSync|arraySync|bufferSync)\s*\(/;

/**
 * The ONNX importer's constant folding: it reads values computed only from constants (shapes, axes,
 * Clip bounds) while building the graph. tfjs-backend-webgpu keeps such small tensors on the CPU
 * (WEBGPU_CPU_FORWARD), where a sync read works; a static value it must read from the GPU would fail
 * with tfjs's error. Anything else found here is a regression.
 */
const ALLOWED: Record<string, number> = {
  'model/onnx/op-context.ts': 2,
  'model/onnx/graph.ts': 1,
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('engine reads tensors asynchronously', () => {
  it('has no dataSync/arraySync/bufferSync in src/main/engine outside the ONNX constant folding', () => {
    const files = tsFiles(ENGINE);
    expect(files.length).toBeGreaterThan(20);
    const found: Record<string, string[]> = {};
    for (const f of files) {
      const lines = readFileSync(f, 'utf8').split('\n');
      const hits = lines.flatMap((l, i) =>
        SYNC_READ.test(l) && !l.trimStart().startsWith('*') ? [`${i + 1}: ${l.trim()}`] : [],
      );
      if (hits.length) found[relative(ENGINE, f)] = hits;
    }
    const unexpected = Object.entries(found).filter(([f, hits]) => hits.length > (ALLOWED[f] ?? 0));
    expect(Object.fromEntries(unexpected)).toEqual({});
  });

  it('the pattern catches the calls it names', () => {
    for (const call of ['x.dataSync()', 'logits.arraySync ()', 't.bufferSync()'])
      expect(SYNC_READ.test(call)).toBe(true);
    expect(SYNC_READ.test('await t.data()')).toBe(false);
  });
});
