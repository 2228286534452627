/**
 * The benchmark's tables (the paper's Tables 2-4): for each data set, attack and method, the ROC-AUC
 * of the model score over that attack's trojans against the data set's clean models, and FP / FN /
 * accuracy of the scanner's verdict (anomaly index above 2, after the filter where the method has one).
 */
import { auc, rocPoints, type RocPoint, type Scored } from './roc.ts';

export interface DetectionRecord {
  dataset: string;
  /** 'clean' or the attack's name. */
  kind: string;
  positive: boolean;
  method: string;
  score: number;
  verdict: 'trojaned' | 'clean';
  /** Suspected target class and the true one (null for clean models). */
  suspected: number | null;
  target: number | null;
  seconds: number;
}

export interface DetectionRow {
  dataset: string;
  /** An attack name, or 'all' for every trojan of the data set. */
  attack: string;
  method: string;
  clean: number;
  trojaned: number;
  /** False-positive rate over the clean models, false-negative rate over the trojans, accuracy, AUC. */
  fpr: number;
  fnr: number;
  accuracy: number;
  auc: number;
  /** Fraction of detected trojans whose suspected class is the true target. */
  targetHit: number;
  secondsPerModel: number;
  roc: RocPoint[];
}

function row(
  dataset: string,
  attack: string,
  method: string,
  clean: DetectionRecord[],
  troj: DetectionRecord[],
): DetectionRow {
  const all = [...clean, ...troj];
  const scored: Scored[] = all.map((r) => ({ score: r.score, positive: r.positive }));
  const fp = clean.filter((r) => r.verdict === 'trojaned').length;
  const detected = troj.filter((r) => r.verdict === 'trojaned');
  const fn = troj.length - detected.length;
  return {
    dataset,
    attack,
    method,
    clean: clean.length,
    trojaned: troj.length,
    fpr: clean.length ? fp / clean.length : NaN,
    fnr: troj.length ? fn / troj.length : NaN,
    accuracy: (all.length - fp - fn) / all.length,
    auc: auc(scored),
    targetHit: detected.length ? detected.filter((r) => r.suspected === r.target).length / detected.length : NaN,
    secondsPerModel: all.reduce((s, r) => s + r.seconds, 0) / all.length,
    roc: rocPoints(scored),
  };
}

/** One row per (data set, attack, method), then per (data set, method) over all attacks. */
export function detectionTable(records: readonly DetectionRecord[]): DetectionRow[] {
  const rows: DetectionRow[] = [];
  const datasets = [...new Set(records.map((r) => r.dataset))].sort();
  for (const dataset of datasets) {
    const mine = records.filter((r) => r.dataset === dataset);
    const methods = [...new Set(mine.map((r) => r.method))];
    const attacks = [...new Set(mine.filter((r) => r.positive).map((r) => r.kind))].sort();
    for (const method of methods) {
      const clean = mine.filter((r) => r.method === method && !r.positive);
      for (const attack of attacks)
        rows.push(
          row(
            dataset,
            attack,
            method,
            clean,
            mine.filter((r) => r.method === method && r.kind === attack),
          ),
        );
      rows.push(
        row(
          dataset,
          'all',
          method,
          clean,
          mine.filter((r) => r.method === method && r.positive),
        ),
      );
    }
  }
  return rows;
}
