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

export interface PreparedAttack {
  name: string;
  /** Everything needed to reproduce the trigger, for the manifest. */
  params: Record<string, unknown>;
  /** Returns a new poisoned image (HWC, [0,1]). */
  apply(image: Float32Array): Float32Array;
}

export interface Attack {
  name: string;
  prepare(shape: ImageShape, rand: () => number): PreparedAttack;
}
