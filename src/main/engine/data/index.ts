/**
 * One entry for every kind of clean data: `demo`, an image folder, or an IDX images file.
 */
import { UmaError } from '../../../shared/errors.ts';
import { resolveEvidencePath } from '../files.ts';
import type { Dataset } from './dataset.ts';
import { DEMO_CLASS_NAMES, loadDemoDigits } from './demo.ts';
import { idxClasses, loadIdxDataset } from './idx.ts';
import { imageFolderClasses, loadImageFolder } from './image-folder.ts';

export * from './dataset.ts';

export interface LoadDataOptions {
  /** For IDX: the labels file, when it is not beside the images file. */
  labelsPath?: string;
  classNames?: string[];
  channels?: 1 | 3;
}

/** The data's file or folder, resolved and checked as evidence paths are (links followed, loops named). */
function dataStat(spec: string) {
  try {
    return resolveEvidencePath(spec).stat;
  } catch (err) {
    if ((err as UmaError).code !== 'NOT_FOUND') throw err;
    throw new UmaError(
      'BAD_DATA',
      `${spec}: no such file or folder (give an image folder, an IDX images file, or 'demo')`,
    );
  }
}

export function loadDataset(spec: string, opts: LoadDataOptions = {}): Dataset {
  if (spec === 'demo') return loadDemoDigits();
  if (dataStat(spec).isDirectory()) return loadImageFolder(spec, opts);
  return loadIdxDataset(spec, opts);
}

/**
 * The class names a data set has, read from its folder names or its labels file without decoding
 * an image: what a scan checks against the model when it is defined, before its job loads the data.
 */
export function dataClassNames(spec: string, opts: Pick<LoadDataOptions, 'labelsPath' | 'classNames'> = {}): string[] {
  if (spec === 'demo') return opts.classNames ?? DEMO_CLASS_NAMES;
  if (dataStat(spec).isDirectory()) return imageFolderClasses(spec, opts.classNames);
  return idxClasses(spec, opts);
}
