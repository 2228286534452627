/**
 * One entry for every kind of clean data: `demo`, an image folder, or an IDX images file.
 */
import { UmaError } from '../../../shared/errors.ts';
import { resolveEvidencePath } from '../files.ts';
import type { Dataset } from './dataset.ts';
import { loadDemoDigits } from './demo.ts';
import { loadIdxDataset } from './idx.ts';
import { loadImageFolder } from './image-folder.ts';

export * from './dataset.ts';

export interface LoadDataOptions {
  /** For IDX: the labels file, when it is not beside the images file. */
  labelsPath?: string;
  classNames?: string[];
  channels?: 1 | 3;
}

export function loadDataset(spec: string, opts: LoadDataOptions = {}): Dataset {
  if (spec === 'demo') return loadDemoDigits();
  let stat;
  try {
    stat = resolveEvidencePath(spec).stat;
  } catch (err) {
    if ((err as UmaError).code !== 'NOT_FOUND') throw err;
    throw new UmaError('BAD_DATA', `${spec}: no such file or folder (give an image folder, an IDX images file, or 'demo')`);
  }
  if (stat.isDirectory()) return loadImageFolder(spec, opts);
  return loadIdxDataset(spec, opts);
}
