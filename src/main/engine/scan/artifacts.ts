/**
 * PNG artifacts of a reversed trigger: the squashed mask, the pattern, and a few other-class samples
 * stamped with it, with their sha256 digests for the findings and the signed report.
 */
import type { ArtifactKind, ClassArtifacts } from '../../../shared/results.ts';
import type { Dataset } from '../data/dataset.ts';
import { imageSize } from '../data/dataset.ts';
import { encodePng } from '../data/image-codec.ts';
import { sha256Hex } from '../../util/digest.ts';
import { mulberry32, shuffled } from '../random.ts';
import { stampArray } from './uma/stamp.ts';
import type { Trigger } from './uma/invert.ts';

export function triggerArtifacts(
  k: number,
  trigger: Trigger,
  data: Dataset,
  others: readonly number[],
  examples: number,
  seed: number,
): ClassArtifacts {
  const { height: h, width: w, channels: c } = data;
  const per = imageSize(data);
  const picks = shuffled(others, mulberry32(seed)).slice(0, examples);
  return {
    classIndex: k,
    mask: encodePng(trigger.mask, h, w, 1),
    pattern: encodePng(trigger.pattern, h, w, c),
    stamped: picks.map((i) =>
      encodePng(stampArray(data.images.subarray(i * per, (i + 1) * per), trigger.mask, trigger.pattern, c), h, w, c),
    ),
  };
}

export function artifactDigests(a: ClassArtifacts): { kind: ArtifactKind; sha256: string }[] {
  return [
    { kind: 'mask', sha256: sha256Hex(a.mask) },
    { kind: 'pattern', sha256: sha256Hex(a.pattern) },
    ...a.stamped.map((png) => ({ kind: 'stamped' as const, sha256: sha256Hex(png) })),
  ];
}
