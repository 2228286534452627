/**
 * `uma scan` options for a scan of the demo small enough for a test: what the CLI tests exercise is the
 * lifecycle. One pass: so few inversion steps leave many classes without a trigger, which would make
 * the ablation backoff scan every class twice (cli-resume.test.ts tests that lifecycle on purpose).
 */
export const TINY_SCAN_ARGS = [
  '--param',
  'ablationBackoffClasses=0',
  '--max-per-class',
  '10',
  '--param',
  'inversionSteps=15',
  '--param',
  'ablationMaxEpochs=1',
  '--param',
  'referenceEpochs=1',
  '--param',
  'referenceMinSteps=0',
];
