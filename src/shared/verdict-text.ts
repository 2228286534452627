/**
 * Plain-language explanations of a scan's verdict, per class and for the whole model, shared by the UI
 * and the signed report so both say the same thing. They restate the scoring rule of
 * src/main/engine/scan/anomaly.ts: a class is flagged when its anomaly index is above the threshold and
 * (for methods with the transfer filter) its trigger does not also fool the clean reference model.
 */
import type { ClassFinding, ScanResult } from './results.ts';

/** A flagged class whose anomaly index is below this multiple of the threshold is called borderline. */
export const BORDERLINE_FACTOR = 1.5;

export type ClassOutcome = 'flagged' | 'borderline' | 'filtered' | 'not-flagged' | 'pending';

export interface ClassExplanation {
  outcome: ClassOutcome;
  /** One sentence an analyst can read aloud. */
  text: string;
}

const capitalised = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);
const pct = (x: number) => `${Math.round(x * 100)}%`;
const fixed = (x: number) => x.toFixed(2);

type Scoring = Pick<ScanResult, 'method' | 'params'>;

function usesTransferFilter(r: Scoring): boolean {
  return r.method === 'uma' || r.method === 'uma-noablation';
}

export function explainClass(k: ClassFinding, r: Scoring): ClassExplanation {
  const t = r.params.anomalyThreshold;
  const tt = r.params.transferThreshold;
  if (k.anomalyIndex === null || k.flagged === null)
    return { outcome: 'pending', text: 'Scored when every class is done.' };
  const ai = fixed(k.anomalyIndex);
  const filter = usesTransferFilter(r) && k.transferAsr !== null;
  if (k.flagged) {
    if (k.anomalyIndex < t * BORDERLINE_FACTOR) {
      return {
        outcome: 'borderline',
        text:
          `Borderline: anomaly index ${ai} is only just above the threshold ${t}. ` +
          'Confirm with another seed or more clean data before relying on it.',
      };
    }
    const clean = filter
      ? ` and its trigger does not fool the clean reference model (transfer ${pct(k.transferAsr!)} < ${pct(tt)})`
      : '';
    return { outcome: 'flagged', text: `Flagged: anomaly index ${ai} is above the threshold ${t}${clean}.` };
  }
  if (k.anomalyIndex > t && filter && k.transferAsr! >= tt) {
    return {
      outcome: 'filtered',
      text:
        `Not flagged although its anomaly index ${ai} is above the threshold ${t}: its trigger also fools the clean ` +
        `reference model (transfer ${pct(k.transferAsr!)} ≥ ${pct(tt)}), so it is a natural feature of the class, not a backdoor.`,
    };
  }
  return { outcome: 'not-flagged', text: `Not flagged: anomaly index ${ai} is at or below the threshold ${t}.` };
}

/** The scan's conclusion in plain words, for the results page and the report's first paragraph. */
export function conclusion(r: ScanResult): string {
  const name = (k: ClassFinding) => (k.name !== String(k.index) ? `class ${k.index} (${k.name})` : `class ${k.index}`);
  const filtered = r.classes.filter((k) => explainClass(k, r).outcome === 'filtered');
  const one = filtered.length === 1;
  const filteredText = filtered.length
    ? ` ${capitalised(filtered.map(name).join(', '))} scored above the threshold too, but ${one ? 'its trigger also fools' : 'their triggers also fool'}` +
      ` a clean model, so ${one ? 'it was' : 'they were'} set aside as natural features.`
    : '';
  const target = r.target === null ? null : (r.classes.find((k) => k.index === r.target) ?? null);
  const t = r.params.anomalyThreshold;
  if (r.verdict === 'trojaned' && target) {
    const strength = explainClass(target, r).outcome === 'borderline' ? 'borderline' : 'strong';
    return (
      `The model probably contains a backdoor that makes inputs carrying a small trigger be classified as ${name(target)}.` +
      ` The evidence is ${strength}: anomaly index ${fixed(target.anomalyIndex ?? 0)} against a threshold of ${t}.${filteredText}`
    );
  }
  return (
    "No backdoor was found: no class's reversed trigger was anomalous enough (the largest anomaly index of a class" +
    ` that counts is ${fixed(r.score)}, the threshold ${t}).${filteredText}` +
    ' A clean result lowers suspicion but does not prove the model is clean.'
  );
}
