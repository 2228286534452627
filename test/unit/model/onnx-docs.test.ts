/** docs/onnx-support.md lists every operator the importer registers, so the doc cannot fall behind. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_OPS } from '../../../src/main/engine/model/onnx/ops/index.ts';

describe('ONNX support doc', () => {
  it('names every registered operator in its table', () => {
    const doc = readFileSync(new URL('../../../docs/onnx-support.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('## Supported operators'), doc.indexOf('## Known limits'));
    const missing = SUPPORTED_OPS.filter((op) => !new RegExp(`\\b${op}\\b`).test(table));
    expect(missing).toEqual([]);
  });
});
