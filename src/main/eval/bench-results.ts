/**
 * A benchmark's results folder: detection.json (the parameters, every model's record and the table rows
 * computed from them), detection.md and one ROC curve per data set and attack. Written by `uma bench`
 * and by bench/merge-results.ts, which joins folders scanned at different times under the same parameters.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScanParams } from '../../shared/scan-params.ts';
import type { BenchMethod, ScanRecord } from './bench.ts';
import { benchMarkdown, METHOD_TITLES } from './metrics/bench-markdown.ts';
import { detectionTable } from './metrics/detection.ts';
import { rocSvg } from './metrics/roc-svg.ts';

/** What detection.json holds besides its rows (they follow from the records). */
export interface BenchResults {
  profile: string;
  params: Partial<ScanParams>;
  methods: BenchMethod[];
  half: string;
  /** The scans' seed; absent from folders written before it was recorded. */
  seed?: number;
  records: ScanRecord[];
}

/**
 * Writes the folder and returns detection.md's text: the tables, then `appendix` (the corpus the
 * records came from, as the caller can describe it).
 */
export function writeBenchResults(dir: string, results: BenchResults, appendix: string): string {
  const rows = detectionTable(results.records);
  mkdirSync(dir, { recursive: true });
  const { records, ...head } = results;
  writeFileSync(join(dir, 'detection.json'), `${JSON.stringify({ ...head, rows, records }, null, 2)}\n`);
  for (const key of new Set(rows.map((r) => `${r.dataset}/${r.attack}`))) {
    const [dataset, attack] = key.split('/');
    const curves = rows
      .filter((r) => r.dataset === dataset && r.attack === attack)
      .map((r) => ({ label: METHOD_TITLES[r.method] ?? r.method, auc: r.auc, points: r.roc }));
    writeFileSync(
      join(dir, `roc-${dataset}-${attack}.svg`),
      rocSvg(`${dataset}, ${attack === 'all' ? 'all attacks' : attack}`, curves),
    );
  }
  const markdown = `${benchMarkdown(rows, results.profile)}\n${appendix}\n`;
  writeFileSync(join(dir, 'detection.md'), markdown);
  return markdown;
}
