/** Sorting of the per-class findings table; nulls always sort last, whichever the direction. */
import type { ClassFinding } from '../../../shared/results.ts';

export type FindingKey =
  | 'index'
  | 'ablatedAccTarget'
  | 'ablatedAccOther'
  | 'asr'
  | 'maskL1'
  | 'transferAsr'
  | 'survival'
  | 'anomalyIndex'
  | 'flagged';

export interface SortState {
  key: FindingKey;
  dir: 'asc' | 'desc';
}

function value(f: ClassFinding, key: FindingKey): number | null {
  // The survival test sorts by its trigger's ASR after the ablation; absent (the test did not run) is null.
  if (key === 'survival') return f.survival?.asrAblated ?? null;
  const v = f[key];
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

export function sortFindings(rows: readonly ClassFinding[], s: SortState): ClassFinding[] {
  const sign = s.dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const va = value(a, s.key);
    const vb = value(b, s.key);
    if (va === null && vb === null) return a.index - b.index;
    if (va === null) return 1;
    if (vb === null) return -1;
    return va === vb ? a.index - b.index : sign * (va - vb);
  });
}

/** Clicking the sorted column flips it; another column starts descending (largest first), index ascending. */
export function nextSort(s: SortState, key: FindingKey): SortState {
  if (s.key === key) return { key, dir: s.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: key === 'index' ? 'asc' : 'desc' };
}
