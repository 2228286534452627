/**
 * Every constant of the scan (ARCHITECTURE.md section 6) as a named parameter with its default and a
 * one-line explanation. The `authors` profile is the paper's and the authors' code's constants; the
 * engine, the CLI, the report and the new-scan form all read this one table.
 */
export const SCAN_METHODS = ['uma', 'uma-nofilter', 'uma-noablation', 'nc'] as const;
export type ScanMethod = (typeof SCAN_METHODS)[number];

export const METHOD_LABELS: Record<ScanMethod, string> = {
  uma: 'UMA (ablation + dynamic inversion + transfer filter)',
  'uma-nofilter': 'UMA without the transfer filter',
  'uma-noablation': 'UMA without ablation (inversion against the suspect model)',
  nc: 'Neural Cleanse baseline',
};

export interface ScanParams {
  // ablation (unlearning)
  freezeRatio: number;
  ablationLr: number;
  ablationMomentum: number;
  ablationWeightDecay: number;
  ablationBatchOther: number;
  ablationBatchTarget: number;
  /** beta of the L1 consistency term; null means 1/N. */
  ablationBeta: number | null;
  ablationStopProb: number;
  ablationStopWindow: number;
  /** Stop once the class's own samples are still called k at below this rate (the paper's criterion); 0 = off. */
  ablationStopAcc: number;
  /** Stop once the unlearning loss has not improved for this many steps; 0 = off. */
  ablationPlateauSteps: number;
  ablationPlateauTol: number;
  ablationMaxEpochs: number;
  // dynamic trigger inversion
  inversionSteps: number;
  inversionBatch: number;
  inversionNoise: number;
  maskSquash: number;
  patternStep: number;
  maskStep: number;
  patternChannelSpread: number;
  lambdaT0: number;
  lambdaWindow: number;
  lambdaLow: number;
  lambdaHigh: number;
  lambdaDelta: number;
  // reference model
  referenceEpochs: number;
  referenceLr: number;
  referenceBatch: number;
  /** The reference trains for max(referenceEpochs passes, this many steps). */
  referenceMinSteps: number;
  // scoring
  transferThreshold: number;
  /** Other-class samples (a seeded subsample) the transfer test stamps; 0 = all. */
  transferMaxSamples: number;
  anomalyThreshold: number;
  ratioMin: number;
  ratioMax: number;
  // Neural Cleanse baseline
  ncLr: number;
  ncSteps: number;
  ncInitCost: number;
  ncAsrTarget: number;
  ncBatch: number;
  // samples
  maxPerClass: number | null;
  stampedExamples: number;
}

export interface ParamInfo {
  group: 'ablation' | 'inversion' | 'reference' | 'scoring' | 'nc' | 'samples';
  help: string;
}

export const AUTHORS_PROFILE: ScanParams = {
  freezeRatio: 0.5,
  ablationLr: 2e-3,
  ablationMomentum: 0.9,
  ablationWeightDecay: 5e-4,
  ablationBatchOther: 80,
  ablationBatchTarget: 20,
  ablationBeta: null,
  ablationStopProb: 0.05,
  ablationStopWindow: 10,
  ablationStopAcc: 0,
  ablationPlateauSteps: 0,
  ablationPlateauTol: 0.01,
  ablationMaxEpochs: 5,
  inversionSteps: 250,
  inversionBatch: 80,
  inversionNoise: 0.1,
  maskSquash: 8,
  patternStep: 0.03,
  maskStep: 0.1,
  patternChannelSpread: 0.1,
  lambdaT0: 9,
  lambdaWindow: 10,
  lambdaLow: 0.6,
  lambdaHigh: 0.9,
  lambdaDelta: 10,
  referenceEpochs: 3,
  referenceLr: 0.05,
  referenceBatch: 64,
  referenceMinSteps: 0,
  transferThreshold: 0.3,
  transferMaxSamples: 0,
  anomalyThreshold: 2,
  ratioMin: 0.1,
  ratioMax: 100,
  ncLr: 0.1,
  ncSteps: 1000,
  ncInitCost: 1e-3,
  ncAsrTarget: 0.99,
  ncBatch: 32,
  maxPerClass: null,
  stampedExamples: 4,
};

/**
 * The ablation bounded as the paper says ("at most 2 epochs for model ablation", Efficiency section),
 * with two early stops beside the authors' probability test, which a weakly trained model never meets
 * (its own-class probability settles near the mean probability of k on other classes, above 0.05, so
 * ablation ran to the 5-epoch cap: 76% of a CIFAR class unit): stop once the ablated copy no longer
 * calls the class's own samples k (the paper's objective F'(x) != y_k), or once the unlearning loss
 * has plateaued. In `tuned` pending the measurement on the demo and the smoke corpus (bench/README.md,
 * "Speed"); to drop it, remove its spread from TUNED_PROFILE.
 */
export const BOUNDED_ABLATION: Partial<ScanParams> = {
  ablationMaxEpochs: 2,
  ablationStopAcc: 0.05,
  ablationPlateauSteps: 50,
};

/**
 * The transfer test on a seeded subsample of the other classes: 2,000 samples estimate a transfer ASR
 * to about +-0.01, far inside the 0.3 threshold, and change nothing below 223 samples per class on 10
 * classes (the demo, the corpora); on CIFAR with 1,000 per class it is 2,000 of 9,000 forward passes.
 */
export const TRANSFER_SUBSAMPLE: Partial<ScanParams> = { transferMaxSamples: 2000 };

/**
 * The default: the authors' constants, except that the clean reference model trains for at least 240
 * optimiser steps. Three epochs over a few hundred clean samples are 24 steps, which left the reference
 * at 32% (Fashion-MNIST) to 69% (MNIST) accuracy, too weak for a natural class feature to transfer to
 * it: clean Fashion-MNIST models were flagged at their "shirt" class. With 240 steps (100% / 97%) the
 * transfer filter removes those false positives and keeps every trojan's score (bench/README.md,
 * "Profiles"). The authors' code loads a fully trained reference, so this is also closer to it.
 * Also the two bounds above (issue 12), pending their measurement.
 */
export const TUNED_PROFILE: ScanParams = {
  ...AUTHORS_PROFILE,
  referenceMinSteps: 240,
  ...BOUNDED_ABLATION,
  ...TRANSFER_SUBSAMPLE,
};

/**
 * Named parameter sets for --profile and the new-scan form: `tuned` (the default) and `authors`, the
 * paper's constants exactly. A profile joins here only with evidence across data sets. An analyst's
 * --param overrides refine a profile.
 */
export const PROFILES: Record<string, ScanParams> = {
  tuned: TUNED_PROFILE,
  authors: AUTHORS_PROFILE,
};

export const DEFAULT_PROFILE_NAME = 'tuned';
export const DEFAULT_PROFILE: ScanParams = PROFILES[DEFAULT_PROFILE_NAME];

export const PARAM_INFO: Record<keyof ScanParams, ParamInfo> = {
  freezeRatio: { group: 'ablation', help: 'Fraction of conv/dense layers, from the input, left frozen while unlearning.' },
  ablationLr: { group: 'ablation', help: 'SGD learning rate of the unlearning.' },
  ablationMomentum: { group: 'ablation', help: 'SGD momentum of the unlearning.' },
  ablationWeightDecay: { group: 'ablation', help: 'L2 weight decay of the unlearning.' },
  ablationBatchOther: { group: 'ablation', help: 'Samples of the other classes in each unlearning batch.' },
  ablationBatchTarget: { group: 'ablation', help: 'Samples of the class being ablated in each unlearning batch.' },
  ablationBeta: { group: 'ablation', help: 'Weight of the L1 term keeping other classes\' logits unchanged; empty = 1/N.' },
  ablationStopProb: { group: 'ablation', help: 'Stop unlearning once the class\'s mean softmax probability falls below this.' },
  ablationStopWindow: { group: 'ablation', help: 'Steps averaged for the early-stop test.' },
  ablationStopAcc: {
    group: 'ablation',
    help: 'Stop unlearning once fewer than this fraction of the class\'s own samples are still called k (stop window); 0 = off.',
  },
  ablationPlateauSteps: {
    group: 'ablation',
    help: 'Stop unlearning once the windowed unlearning loss has not improved for this many steps; 0 = off.',
  },
  ablationPlateauTol: { group: 'ablation', help: 'Relative fall of the unlearning loss that counts as an improvement.' },
  ablationMaxEpochs: { group: 'ablation', help: 'Upper bound on unlearning, in passes over the other classes\' samples.' },
  inversionSteps: { group: 'inversion', help: 'Signed-gradient steps of trigger inversion per class.' },
  inversionBatch: { group: 'inversion', help: 'Samples of other classes stamped in each inversion step.' },
  inversionNoise: { group: 'inversion', help: 'Std of the Gaussian noise added to inversion samples.' },
  maskSquash: { group: 'inversion', help: 'Steepness of the tanh that squashes the mask towards 0/1.' },
  patternStep: { group: 'inversion', help: 'Signed step size of the pattern.' },
  maskStep: { group: 'inversion', help: 'Signed step size of the mask.' },
  patternChannelSpread: { group: 'inversion', help: 'Each pixel\'s channels are kept within this of their mean.' },
  lambdaT0: { group: 'inversion', help: 'Initial T of the dynamic size penalty |mask|/T.' },
  lambdaWindow: { group: 'inversion', help: 'Steps between adjustments of T.' },
  lambdaLow: { group: 'inversion', help: 'Below this ASR the size penalty is relaxed (T += delta).' },
  lambdaHigh: { group: 'inversion', help: 'Above this ASR the size penalty is tightened.' },
  lambdaDelta: { group: 'inversion', help: 'Additive change of T.' },
  referenceEpochs: { group: 'reference', help: 'Epochs of coarse training of the clean reference model.' },
  referenceLr: { group: 'reference', help: 'Learning rate of the reference model\'s training.' },
  referenceBatch: { group: 'reference', help: 'Batch size of the reference model\'s training.' },
  referenceMinSteps: { group: 'reference', help: 'Least optimiser steps of the reference training, whatever the epochs: a few epochs over few samples leave it too weak to filter.' },
  transferThreshold: { group: 'scoring', help: 'A trigger that reaches this ASR on the clean reference model is natural, not a backdoor.' },
  transferMaxSamples: { group: 'scoring', help: 'Other-class samples (seeded subsample) of the transfer test; 0 = all.' },
  anomalyThreshold: { group: 'scoring', help: 'Anomaly index above which a class is flagged.' },
  ratioMin: { group: 'scoring', help: 'Lower clip of r_k = 100 * ASR / |mask|.' },
  ratioMax: { group: 'scoring', help: 'Upper clip of r_k.' },
  ncLr: { group: 'nc', help: 'Adam learning rate of Neural Cleanse.' },
  ncSteps: { group: 'nc', help: 'Maximum optimisation steps of Neural Cleanse per class.' },
  ncInitCost: { group: 'nc', help: 'Initial weight of Neural Cleanse\'s mask-size cost.' },
  ncAsrTarget: { group: 'nc', help: 'ASR Neural Cleanse keeps while shrinking the mask.' },
  ncBatch: { group: 'nc', help: 'Batch size of Neural Cleanse.' },
  maxPerClass: { group: 'samples', help: 'Clean samples kept per class; empty = all.' },
  stampedExamples: { group: 'samples', help: 'Stamped example images saved per class.' },
};
