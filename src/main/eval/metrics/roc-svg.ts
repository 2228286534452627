/**
 * A dependency-free SVG of ROC curves (one polyline per method), for bench/results/roc-*.svg.
 */
import type { RocPoint } from './roc.ts';

const COLOURS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function rocSvg(title: string, curves: { label: string; auc: number; points: RocPoint[] }[]): string {
  const size = 320;
  const pad = 44;
  const px = (fpr: number) => pad + fpr * size;
  const py = (tpr: number) => pad + (1 - tpr) * size;
  const lines = curves.map((c, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = c.points.map((p) => `${px(p.fpr).toFixed(1)},${py(p.tpr).toFixed(1)}`).join(' ');
    const legendY = pad + size - 12 - 16 * (curves.length - 1 - i);
    return `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts}"/>
<text x="${px(0.42)}" y="${legendY}" fill="${colour}" font-size="12">${esc(c.label)} (AUC ${Number.isNaN(c.auc) ? '-' : c.auc.toFixed(3)})</text>`;
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (t) => `<text x="${px(t)}" y="${py(0) + 16}" font-size="10" text-anchor="middle">${t}</text>
<text x="${pad - 6}" y="${py(t) + 3}" font-size="10" text-anchor="end">${t}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size + 2 * pad}" height="${size + 2 * pad}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${pad + size / 2}" y="${pad - 16}" font-size="13" text-anchor="middle">${esc(title)}</text>
<rect x="${pad}" y="${pad}" width="${size}" height="${size}" fill="none" stroke="#444"/>
<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#bbb" stroke-dasharray="4 4"/>
${ticks.join('\n')}
<text x="${pad + size / 2}" y="${pad + size + 34}" font-size="11" text-anchor="middle">false-positive rate</text>
<text x="12" y="${pad + size / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${pad + size / 2})">true-positive rate</text>
${lines.join('\n')}
</svg>
`;
}
