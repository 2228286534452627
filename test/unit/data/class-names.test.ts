import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataClassNames } from '../../../src/main/engine/data/index.ts';

const MNIST = path.join(import.meta.dirname, '../../../../shared/datasets/mnist/t10k-images-idx3-ubyte.gz');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-classes-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("dataClassNames: a data set's classes without loading its images", () => {
  it('reads folder names, IDX labels or the demo set, and checks given names', () => {
    for (const c of ['cat', 'dog']) {
      fs.mkdirSync(path.join(dir, c));
      // Not an image: the header read must not decode it (loading the set would refuse it).
      fs.writeFileSync(path.join(dir, c, '1.png'), 'not a png');
    }
    expect(dataClassNames(dir)).toEqual(['cat', 'dog']);
    expect(dataClassNames(dir, { classNames: ['dog', 'cat'] })).toEqual(['dog', 'cat']);
    expect(() => dataClassNames(dir, { classNames: ['cat', 'bird'] })).toThrow(/class folder\(s\) bird not found/);
    expect(dataClassNames('demo')).toHaveLength(10);
    expect(dataClassNames(MNIST)).toEqual(Array.from({ length: 10 }, (_, k) => String(k)));
    expect(() => dataClassNames(path.join(dir, 'missing'))).toThrow(/no such file or folder/);
  });
});
