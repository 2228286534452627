/**
 * The anomaly-index bar chart of the report as inline SVG (the report must render offline and in
 * the PDF, so no charting library): one bar per class from the zero line, flagged classes in red,
 * the flagging threshold as a dashed line, and a class's own threshold where a per-class calibration
 * raised it as a short solid mark across its slot.
 */
import { escapeHtml } from './escape.ts';

export interface ChartBar {
  index: number;
  name: string;
  value: number;
  flagged: boolean;
  /** The class's own threshold, where a per-class calibration set one. */
  threshold?: number;
}

const W = 720;
const H = 260;
const PAD = { left: 44, right: 12, top: 16, bottom: 48 };

function niceStep(span: number): number {
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
}

export function anomalyChart(bars: ChartBar[], threshold: number): string {
  const values = bars.map((b) => (Number.isFinite(b.value) ? b.value : 0));
  const own = bars.map((b) => (b.threshold !== undefined && b.threshold !== threshold ? b.threshold : null));
  const hi = Math.max(threshold * 1.2, ...values, ...own.map((t) => (t ?? 0) * 1.1), 1);
  const lo = Math.min(0, ...values);
  const step = niceStep(hi - lo);
  const top = Math.ceil(hi / step) * step;
  // Negative indices are usually small: give them their own room, not a whole grid step.
  const bottom = lo < 0 ? lo - 0.04 * (top - lo) : 0;
  const plotH = H - PAD.top - PAD.bottom;
  const plotW = W - PAD.left - PAD.right;
  const y = (v: number): number => PAD.top + ((top - v) / (top - bottom)) * plotH;
  const slot = plotW / Math.max(bars.length, 1);
  const barW = Math.max(2, slot * 0.7);
  const parts: string[] = [];
  for (let t = Math.ceil(bottom / step) * step; t <= top + step / 2; t += step) {
    const ty = y(t).toFixed(1);
    parts.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${ty}" y2="${ty}" stroke="#e3e6ea" stroke-width="1"/>`,
    );
    parts.push(
      `<text x="${PAD.left - 6}" y="${ty}" dy="3.5" text-anchor="end" font-size="10" fill="#555">${+t.toFixed(6)}</text>`,
    );
  }
  bars.forEach((b, i) => {
    const v = values[i];
    const x = PAD.left + i * slot + (slot - barW) / 2;
    const y0 = y(Math.max(v, 0));
    const h = Math.max(Math.abs(y(v) - y(0)), 0.5);
    const label = bars.length > 20 || b.name === String(b.index) ? String(b.index) : `${b.index} ${b.name}`;
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${y0.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${b.flagged ? '#c62828' : '#5b7ea4'}"><title>class ${b.index} ${escapeHtml(b.name)}: ${v.toFixed(3)}</title></rect>`,
    );
    const t = own[i];
    if (t !== null)
      parts.push(
        `<line x1="${(PAD.left + i * slot + 1).toFixed(1)}" x2="${(PAD.left + (i + 1) * slot - 1).toFixed(1)}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#c62828" stroke-width="2"><title>class ${b.index} threshold ${t}</title></line>`,
      );
    const lx = (x + barW / 2).toFixed(1);
    const ly = H - PAD.bottom + 12;
    parts.push(
      `<text x="${lx}" y="${ly}" font-size="10" fill="#333" text-anchor="end" transform="rotate(-35 ${lx} ${ly})">${escapeHtml(label.slice(0, 16))}</text>`,
    );
  });
  const ty = y(threshold).toFixed(1);
  parts.push(
    `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${ty}" y2="${ty}" stroke="#c62828" stroke-width="1.5" stroke-dasharray="6 4"/>`,
  );
  parts.push(
    `<text x="${W - PAD.right}" y="${ty}" dy="-4" text-anchor="end" font-size="11" fill="#c62828" stroke="#fff" stroke-width="3" paint-order="stroke">threshold ${threshold}</text>`,
  );
  parts.push(
    `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}" stroke="#333" stroke-width="1"/>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Anomaly index per class">${parts.join('')}</svg>`;
}
