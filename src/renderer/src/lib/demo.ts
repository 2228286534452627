/**
 * The first-run demo: the bundled BadNets-trojaned MNIST model scanned on the bundled digits with the
 * `quick` profile (src/shared/scan-params.ts), so a new analyst sees a finished scan in a minute or two.
 */
import { DEFAULT_PROFILE, PROFILES, type ScanParams } from '../../../shared/scan-params.ts';

/** The quick profile as overrides of the default: what the demo scan records as changed. */
export const DEMO_PARAMS: Partial<ScanParams> = Object.fromEntries(
  (Object.keys(PROFILES.quick) as (keyof ScanParams)[])
    .filter((k) => PROFILES.quick[k] !== DEFAULT_PROFILE[k])
    .map((k) => [k, PROFILES.quick[k]]),
);

export const DEMO_CASE = 'Demo: BadNets MNIST';

/** The demo case's name, numbered when earlier demo cases exist. */
export function demoCaseName(existing: string[]): string {
  if (!existing.includes(DEMO_CASE)) return DEMO_CASE;
  let n = 2;
  while (existing.includes(`${DEMO_CASE} (${n})`)) n++;
  return `${DEMO_CASE} (${n})`;
}
