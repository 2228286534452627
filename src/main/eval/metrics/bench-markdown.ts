/**
 * The benchmark's markdown tables, laid out like the paper's Tables 2-4: one table per method, a row
 * per attack, FP / FN / Acc / ROC (percent) per data set, the paper's figures beside ours.
 */
import type { Manifest } from '../zoo/corpus.ts';
import type { DetectionRow } from './detection.ts';
import { PAPER } from './paper.ts';

/** A rate as a percentage with one decimal, '-' where it is undefined (no models of that kind). */
export const pct = (v: number): string => (Number.isNaN(v) ? '-' : (100 * v).toFixed(1));

export const METHOD_TITLES: Record<string, string> = {
  uma: 'UMA',
  nc: 'Neural Cleanse',
  'uma-nofilter': 'UMA without the transfer filter',
  'uma-noablation': 'UMA without ablation (transfer filter kept)',
  'uma-noablation-nofilter': 'UMA without ablation and without the filter',
};

export function benchMarkdown(rows: readonly DetectionRow[], profile: string): string {
  const out: string[] = [];
  const methods = [...new Set(rows.map((r) => r.method))];
  const datasets = [...new Set(rows.map((r) => r.dataset))];
  for (const method of methods) {
    const mine = rows.filter((r) => r.method === method);
    const paper = PAPER[method];
    const paperSets = paper ? Object.keys(paper.figures) : [];
    const attacks = [...new Set(mine.map((r) => r.attack))].sort((a, b) =>
      a === 'all' ? 1 : b === 'all' ? -1 : a < b ? -1 : 1,
    );
    out.push(
      `### ${METHOD_TITLES[method] ?? method} (profile \`${profile}\`)${paper ? `, with the paper's ${paper.table}` : ''}`,
      '',
    );
    const head = [
      ...datasets.map((d) => `${d} FP / FN / Acc / ROC`),
      ...paperSets.map((d) => `paper ${d} FP / FN / Acc / ROC`),
      's/model',
    ];
    out.push(`| attack | ${head.join(' | ')} |`, `|---|${head.map(() => '---').join('|')}|`);
    for (const attack of attacks) {
      const cells = datasets.map((d) => {
        const r = mine.find((x) => x.dataset === d && x.attack === attack);
        return r
          ? `${pct(r.fpr)} / ${pct(r.fnr)} / ${pct(r.accuracy)} / **${pct(r.auc)}** (${r.clean}c+${r.trojaned}t)`
          : '';
      });
      const paperCells = paperSets.map((d) => {
        const p = paper.figures[d][attack];
        return p ? `${p.fp} / ${p.fn} / ${p.acc} / ${p.roc}` : '';
      });
      const secs = mine.filter((r) => r.attack === attack);
      const seconds = secs.reduce((s, r) => s + r.secondsPerModel, 0) / secs.length;
      out.push(`| ${attack} | ${[...cells, ...paperCells, seconds.toFixed(0)].join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** The corpus the tables were measured on: one row per model, from its manifest. */
export function corpusMarkdown(manifests: readonly Manifest[]): string {
  const out = [
    '| model | architecture | epochs | seed | attempts | clean acc | ASR | target | train s |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const m of manifests) {
    const r = m.recipe;
    out.push(
      `| ${m.id} | ${r.arch} | ${r.epochs} | ${m.seed} | ${m.attempts} | ${m.cleanAccuracy.toFixed(3)} | ${m.asr === null ? '-' : m.asr.toFixed(3)} | ${m.attack?.target ?? '-'} | ${m.trainSeconds.toFixed(0)} |`,
    );
  }
  return out.join('\n');
}
