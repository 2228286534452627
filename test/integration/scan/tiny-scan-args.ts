/** `uma scan` options for a scan of the demo small enough for a test: what the CLI tests exercise is the lifecycle. */
export const TINY_SCAN_ARGS = [
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
