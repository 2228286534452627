/**
 * The attack registry: every attack the corpus builder can train, by name.
 */
import { UmaError } from '../../../../shared/errors.ts';
import { badnets, largePatch } from './badnets.ts';
import { blend } from './blend.ts';
import { composite } from './composite.ts';
import { filter } from './filter.ts';
import { frequency } from './frequency.ts';
import { reflection } from './reflection.ts';
import { sig } from './sig.ts';
import type { Attack } from './types.ts';
import { wanet } from './wanet.ts';

export const ATTACKS: Record<string, Attack> = Object.fromEntries(
  [badnets, largePatch, blend, filter, frequency, composite, reflection, sig, wanet].map((a) => [a.name, a]),
);

export function attackByName(name: string): Attack {
  const a = ATTACKS[name];
  if (!a) throw new UmaError('BAD_INPUT', `unknown attack '${name}' (one of ${Object.keys(ATTACKS).join(', ')})`);
  return a;
}
