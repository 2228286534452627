/** docs/keras-support.md names every Keras layer class the importer accepts, so the doc cannot fall behind. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KERAS_LAYER_CLASSES } from '../../../src/main/engine/model/keras/topology.ts';

describe('Keras support doc', () => {
  it('names every accepted layer class in its table', () => {
    const doc = readFileSync(new URL('../../../docs/keras-support.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('## Supported layers'), doc.indexOf('## Freezing'));
    const missing = Object.keys(KERAS_LAYER_CLASSES).filter((c) => !new RegExp(`\\b${c}\\b`).test(table));
    expect(missing).toEqual([]);
  });
});
