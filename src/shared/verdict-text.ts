/**
 * The scan's verdict in plain language for the whole model, shared by the UI and the signed report so
 * both say the same thing; each class's own explanation is shared/class-explanation.ts.
 */
import { classThresholdsOf } from './calibration-record.ts';
import { explainClass, passedByRaisedThreshold, type ClassExplanation } from './class-explanation.ts';
import type { ClassFinding, ScanResult } from './results.ts';
import { anomalyBaseline } from './scan-params.ts';

const capitalised = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);
const fixed = (x: number) => x.toFixed(2);

/** The scan's conclusion in plain words, for the results page and the report's first paragraph. */
export function conclusion(r: ScanResult): string {
  const name = (k: ClassFinding) => (k.name !== String(k.index) ? `class ${k.index} (${k.name})` : `class ${k.index}`);
  // Each class explained once: the filtered classes, the target's strength and the rescan read the same.
  const explained = r.classes.map((k) => ({ k, e: explainClass(k, r) }));
  const filtered = explained.filter(({ e }) => e.outcome === 'filtered' && e.transfer?.transfers).map(({ k }) => k);
  const one = filtered.length === 1;
  const filteredText = filtered.length
    ? ` ${capitalised(filtered.map(name).join(', '))} scored above the threshold too, but ${one ? 'its trigger also fools' : 'their triggers also fool'}` +
      ` a clean model, so ${one ? 'it was' : 'they were'} set aside as natural features.`
    : '';
  const target = r.target === null ? null : (explained.find(({ k }) => k.index === r.target) ?? null);
  const t = r.params.anomalyThreshold;
  const rescan = rescanText(
    r,
    explained.map(({ e }) => e.rescan),
  );
  const caution = baselineCaution(r);
  const baseline = caution ? ` ${caution}` : workingBaselineText(r);
  const perClass = classThresholdsOf(r.calibration) !== null;
  if (r.verdict === 'trojaned' && target) {
    const strength = target.e.borderline ? 'borderline' : 'strong';
    const against = perClass
      ? `this class's calibrated threshold of ${target.e.anomaly?.threshold}`
      : `a threshold of ${t}`;
    return (
      `The model probably contains a backdoor that makes inputs carrying a small trigger be classified as ${name(target.k)}.` +
      ` The evidence is ${strength}: anomaly index ${fixed(target.k.anomalyIndex ?? 0)} against ${against}.${filteredText}${raisedPassText(explained, name, t)}${rescan}${baseline}`
    );
  }
  const thresholds = perClass ? `each class's calibrated threshold, ${t} or above` : `the threshold ${t}`;
  return (
    "No backdoor was found: no class's reversed trigger was anomalous enough (the largest anomaly index of a class" +
    ` that counts is ${fixed(r.score)}, ${thresholds}).${filteredText}${raisedPassText(explained, name, t)}${rescan}${baseline}` +
    ' A clean result lowers suspicion but does not prove the model is clean.'
  );
}

/** Said where a per-class calibration passed classes only because it raised their thresholds (passedByRaisedThreshold). */
function raisedPassText(
  explained: { k: ClassFinding; e: ClassExplanation }[],
  name: (k: ClassFinding) => string,
  base: number,
): string {
  const raised = explained.filter(({ e }) => passedByRaisedThreshold(e));
  if (raised.length === 0) return '';
  const each = raised.map(({ k, e }) => `${name(k)} (${fixed(e.anomaly!.index)} <= ${e.anomaly!.threshold})`);
  const one = raised.length === 1;
  return (
    ` ${capitalised(each.join(', '))} ${one ? 'is' : 'are'} above the base threshold ${base} and passed only by ` +
    `${one ? 'its' : 'their'} raised per-class threshold: clean models of this task reach such indices there, and so` +
    ` would a trojan aimed at such a class; weigh ${one ? 'it' : 'them'} with other evidence (another seed, Neural Cleanse).`
  );
}

/**
 * Said where half the classes or more have their ratio r_k at the clip floor (ratioMin: no working
 * trigger): the anomaly index's median is then that floor, not an ordinary class, so a clean model's
 * natural class can score far above the constant threshold while a trojan's target scores higher
 * still (43-class GTSRB CNNs, tiny MLPs: docs/algorithm.md, step 5, "Calibrating the threshold").
 * Null where the threshold was calibrated on known-clean models, the remedy it names, and where the
 * index was measured against the working classes only (anomalyBaselineWorking), which the floor then
 * does not set. Said in the conclusion, and by the CLI's summary.
 */
export function baselineCaution(r: ScanResult): string | null {
  if (r.calibration || workingBaseline(r)) return null;
  const { atFloor, classes } = ratioFloor(r);
  if (classes === 0 || atFloor * 2 < classes) return null;
  return (
    `Caution: ${atFloor} of ${classes} classes have no working trigger (their ratio sits at the floor,` +
    ` ${r.params.ratioMin}), so the anomaly index measures each class against that floor rather than against` +
    ' ordinary classes, and a natural class of a clean model can score far above the threshold here. Calibrate the' +
    ' threshold on scans of known-clean models of this task before relying on this verdict.'
  );
}

/** The classes' stored ratios r_k, where the scan has them (Neural Cleanse and pending classes have none). */
const storedRatios = (r: Pick<ScanResult, 'classes'>): number[] =>
  r.classes.flatMap((k) => (k.ratio === null ? [] : [k.ratio]));

/** How many classes set the anomaly index's baseline, where anomalyBaselineWorking left some out; else null. */
function workingBaseline(r: Pick<ScanResult, 'classes' | 'params'>): number | null {
  const inBaseline = anomalyBaseline(storedRatios(r), r.params);
  const n = inBaseline.filter(Boolean).length;
  return n < inBaseline.length ? n : null;
}

/** Said in the conclusion where the anomaly index was measured against the working classes only. */
function workingBaselineText(r: ScanResult): string {
  const n = workingBaseline(r);
  if (n === null) return '';
  const { atFloor, classes } = ratioFloor(r);
  return (
    ` Each class's anomaly index was measured against the ${n} classes with a working trigger, not against` +
    ` all ${classes}: ${atFloor} have none (their ratio sits at the floor, ${r.params.ratioMin}).`
  );
}

/** How many of the classes with a ratio r_k have it at the clip floor (ratioMin): no working trigger. */
export function ratioFloor(r: Pick<ScanResult, 'classes' | 'params'>): { atFloor: number; classes: number } {
  const ratios = storedRatios(r);
  return { atFloor: ratios.filter((x) => x <= r.params.ratioMin).length, classes: ratios.length };
}

/** Said when the ablation backoff scanned the model twice (docs/algorithm.md, step 2); rescans: each class's fact. */
function rescanText(r: ScanResult, rescans: ClassExplanation['rescan'][]): string {
  if (!rescans.some((x) => x)) return '';
  const failed = rescans.filter((x) => x?.failed).length;
  const stops = r.params.ablationMinEpochs ? ', stopping early from the first step' : '';
  // full-ablation backs off at the same rate: the second unlearning is shorter, not gentler.
  const second = r.params.ablationBackoffLr < r.params.ablationLr ? 'a gentler one' : 'a shorter one';
  return (
    ` The first unlearning left ${failed} classes with no working trigger, a sign it erased more than their own` +
    ` features, so every class was scanned again with ${second} (rate ${r.params.ablationBackoffLr}${stops});` +
    " these are the second scan's figures."
  );
}
