/**
 * The first-run demo: the bundled BadNets-trojaned MNIST model scanned on the bundled digits with
 * tiny-but-real settings (100 samples per class, shorter inversion), so a new analyst sees a finished
 * scan in a minute or two. The full defaults stay one click away in the new-scan form.
 */
import type { ScanParams } from '../../../shared/scan-params.ts';

export const DEMO_PARAMS: Partial<ScanParams> = {
  maxPerClass: 100,
  inversionSteps: 100,
  referenceEpochs: 2,
  stampedExamples: 2,
};

export const DEMO_CASE = 'Demo: BadNets MNIST';

/** The demo case's name, numbered when earlier demo cases exist. */
export function demoCaseName(existing: string[]): string {
  if (!existing.includes(DEMO_CASE)) return DEMO_CASE;
  let n = 2;
  while (existing.includes(`${DEMO_CASE} (${n})`)) n++;
  return `${DEMO_CASE} (${n})`;
}
