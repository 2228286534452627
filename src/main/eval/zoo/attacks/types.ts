/**
 * A backdoor attack: a seeded function from clean images to poisoned ones. `prepare` draws the
 * attack's secret (patch position, pattern, blend image...) once per model; `apply` stamps it onto one
 * HWC image in [0,1]. Parameters are recorded in the corpus manifest.
 */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/**
 * What attacks built from natural images (composite, reflection) draw on: the clean training images
 * of each class. Optional so that pattern-only attacks keep their two-argument `prepare`.
 */
export interface AttackContext {
  numClasses: number;
  /** Clean images of class k (HWC, [0,1]). */
  imagesOf(k: number): Float32Array[];
}

export interface PreparedAttack {
  name: string;
  /** Everything needed to reproduce the trigger, for the manifest (large arrays as sha256 digests). */
  params: Record<string, unknown>;
  /** Returns a new poisoned image (HWC, [0,1]). */
  apply(image: Float32Array): Float32Array;
}

export interface Attack {
  name: string;
  prepare(shape: ImageShape, rand: () => number, ctx?: AttackContext): PreparedAttack;
}
