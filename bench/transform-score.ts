/**
 * Scoring candidates over bench/transform-inversion.ts's measurements (nothing is recomputed): per class
 * the ratio r_k = 100 ASR / (D * H * W), D the transform's mean change or its RMS (so D * H * W is the
 * change in pixel units, the scale of UMA's mask L1), and per model the largest anomaly index of those ratios
 * under the scan's own statistic (anomaly.ts, anomalyIndices; `anomalyLogFloor` as the profile has it,
 * or --log-floor). Optionally beside a committed bench table of mask-and-pattern scans of the same
 * models (--mask FILE: a detection.json; its `uma-noablation` or `uma` records), the combination
 * "flagged by either": the larger of the two model scores.
 *
 * Run: node bin/run-ts.mjs bench/transform-score.ts FILE.json... [--half tune|report] [--log-floor F]
 *        [--mask DETECTION.json]... [--mask-method uma|uma-noablation] [--out FILE]
 * Prints the per-model scores and the detection table; writes FILE (default beside the first input, .md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { anomalyIndices, ratioOf } from '../src/main/engine/scan/anomaly.ts';
import { benchMarkdown, pct } from '../src/main/eval/metrics/bench-markdown.ts';
import { detectionTable, type DetectionRecord } from '../src/main/eval/metrics/detection.ts';
import { parseHalf } from '../src/main/eval/bench.ts';
import { anomalyBaseline, TUNED_PROFILE } from '../src/shared/scan-params.ts';
import type { TransformClass, TransformModel } from './transform-inversion.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    half: { type: 'string' },
    'log-floor': { type: 'string', default: String(TUNED_PROFILE.anomalyLogFloor) },
    mask: { type: 'string', multiple: true, default: [] },
    'mask-method': { type: 'string', default: 'uma-noablation' },
    out: { type: 'string' },
  },
});
if (positionals.length === 0) throw new Error('give one or more bench/transform-inversion.ts JSON files');
const half = parseHalf(values.half);

const logFloor = Number(values['log-floor']);
const threshold = TUNED_PROFILE.anomalyThreshold;

interface MaskRecord {
  id: string;
  method: string;
  score: number;
  verdict: 'trojaned' | 'clean';
  suspected: number | null;
}

/** How a class's transform is sized: the mean change (what the inversion penalises) or its RMS. */
const SIZES = {
  transform: (c: TransformClass) => c.change,
  'transform-rms': (c: TransformClass) => c.rms,
} as const;

/**
 * A model's transform score: the largest anomaly index of r_k = 100 ASR / (size * H * W), and its class
 * where above the threshold.
 */
export function transformScore(
  m: TransformModel,
  size: (c: TransformClass) => number,
  floor: number,
): { score: number; suspected: number | null; indices: number[] } {
  const ratios = m.classes.map((c) => ratioOf({ asr: c.asr, maskL1: size(c) * m.pixels }, TUNED_PROFILE));
  const indices = anomalyIndices(ratios, floor, anomalyBaseline(ratios, TUNED_PROFILE));
  const best = indices.reduce((b, v, k) => (v > indices[b] ? k : b), 0);
  return { score: indices[best], suspected: indices[best] > threshold ? best : null, indices };
}

const models = positionals
  .flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as { models: TransformModel[] }).models)
  .filter((m) => !half || m.half === half);
const masks = new Map<string, MaskRecord>();
for (const f of values.mask)
  for (const r of (JSON.parse(readFileSync(f, 'utf8')) as { records: MaskRecord[] }).records)
    if (r.method === values['mask-method']) masks.set(r.id, r);

const records: DetectionRecord[] = [];
const lines: string[] = [];
for (const m of models) {
  const base = {
    dataset: m.id.split('-torch-')[0],
    kind: m.attack ?? 'clean',
    positive: m.attack !== null,
    target: m.target,
    seconds: m.seconds,
  };
  const mask = masks.get(m.id);
  if (mask)
    records.push({
      ...base,
      method: `mask-${values['mask-method']}`,
      score: mask.score,
      verdict: mask.verdict,
      suspected: mask.suspected,
    });
  lines.push(
    `${m.id} (target ${m.target ?? '-'})` + (mask ? `: mask ${mask.score.toFixed(2)} at ${mask.suspected ?? '-'}` : ''),
  );
  for (const [name, size] of Object.entries(SIZES)) {
    const t = transformScore(m, size, logFloor);
    records.push({
      ...base,
      method: name,
      score: t.score,
      verdict: t.suspected === null ? 'clean' : 'trojaned',
      suspected: t.suspected,
    });
    // Flagged by either trigger model: the larger score, and its class (else the other's).
    if (mask) {
      const [first, second] = t.score > mask.score ? [t.suspected, mask.suspected] : [mask.suspected, t.suspected];
      const suspected = first ?? second;
      records.push({
        ...base,
        method: `${name}-or-mask-${values['mask-method']}`,
        score: Math.max(t.score, mask.score),
        verdict: suspected === null ? 'clean' : 'trojaned',
        suspected,
      });
    }
    lines.push(
      `  ${name} ${t.score.toFixed(2)} at ${t.suspected ?? '-'} | ` +
        m.classes
          .map((c, k) => `${k}:${c.asr.toFixed(2)}/${(size(c) * m.pixels).toFixed(0)}px(${t.indices[k].toFixed(1)})`)
          .join(' '),
    );
  }
}
const rows = detectionTable(records);
const hits = rows
  .filter((r) => r.attack === 'all')
  .map((r) => `- ${r.method}: right target on ${pct(r.targetHit)}% of the detected trojans`);
const table = benchMarkdown(rows, `tuned, anomalyLogFloor ${logFloor}`);
const text = ['```', ...lines, '```', '', table, ...hits].join('\n');
console.log(text);
writeFileSync(values.out ?? positionals[0].replace(/\.json$/, `${half ? `-${half}` : ''}.md`), text + '\n');
