import { parseArgs } from 'node:util';
import { UmaError } from '../../../shared/errors.ts';
import { BACKEND_CHOICES, initBackend, isBackendChoice } from '../../engine/backend/index.ts';
import { ARCHITECTURES, type Architecture } from '../../eval/zoo/architectures.ts';
import { ATTACKS } from '../../eval/zoo/attacks/index.ts';
import { buildCorpus, MIN_ASR, POISON_RATE } from '../../eval/zoo/corpus.ts';
import { DATASETS, DEFAULT_DATA_ROOT } from '../../eval/zoo/datasets.ts';
import type { Command } from '../command.ts';
import { parseInteger } from '../scan-options.ts';

export const zoo: Command = {
  name: 'zoo',
  summary: 'build the evaluation corpus: clean and trojaned models with manifests',
  usage: `uma zoo build --dataset D --attacks a,b,... [options]

Trains seeded models on 80% of the data set's images (the other 20% stay the scanner's clean samples)
and writes each to OUT/ID/ (model.json, weights.bin, manifest.json). Trojans poison ${POISON_RATE * 100}% of the
training set with a random target; a trojan with ASR < ${MIN_ASR} or a model below the data set's clean-accuracy
floor is retrained with the next seed. Entries already built with the same recipe are skipped.

  --dataset D        ${Object.keys(DATASETS).join(' | ')}
  --attacks a,b,...  ${Object.keys(ATTACKS).join(', ')} (or 'all'; default none)
  --clean N          clean models (default 0)
  --per-attack N     trojaned models per attack (default 1)
  --arch A           ${ARCHITECTURES.join(' | ')} (default per data set)
  --epochs N         training epochs (default per data set)
  --out DIR          corpus folder (default .cache/corpus)
  --data-root DIR    folder of the shared data sets (default ${DEFAULT_DATA_ROOT})
  --backend B        compute backend (default wasm)

Exit code 0 when every entry was built, 1 when some could not reach the ASR/accuracy floors.`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dataset: { type: 'string' },
        attacks: { type: 'string', default: '' },
        clean: { type: 'string' },
        'per-attack': { type: 'string' },
        arch: { type: 'string' },
        epochs: { type: 'string' },
        out: { type: 'string', default: '.cache/corpus' },
        'data-root': { type: 'string' },
        backend: { type: 'string', default: 'wasm' },
      },
    });
    if (positionals[0] !== 'build' || positionals.length !== 1)
      throw new UmaError('BAD_INPUT', "the only subcommand is 'build'");
    if (!values.dataset) throw new UmaError('BAD_INPUT', `--dataset is required (${Object.keys(DATASETS).join(', ')})`);
    if (values.arch && !(ARCHITECTURES as readonly string[]).includes(values.arch))
      throw new UmaError('BAD_INPUT', `--arch must be one of ${ARCHITECTURES.join(', ')}`);
    const attacks =
      values.attacks === 'all'
        ? Object.keys(ATTACKS)
        : values.attacks
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
    if (!isBackendChoice(values.backend))
      throw new UmaError('BAD_INPUT', `--backend must be one of ${BACKEND_CHOICES.join(', ')}`);
    await initBackend(values.backend);
    const r = await buildCorpus({
      dataset: values.dataset,
      attacks,
      out: values.out,
      clean: parseInteger('clean', values.clean, 0) ?? 0,
      perAttack: parseInteger('per-attack', values['per-attack'], 0) ?? 1,
      arch: values.arch as Architecture | undefined,
      epochs: parseInteger('epochs', values.epochs, 1),
      dataRoot: values['data-root'],
      log: io.err,
    });
    io.out(
      `${values.out}: ${r.built.length} built, ${r.skipped.length} already there${r.failed.length ? `, ${r.failed.length} FAILED: ${r.failed.join(', ')}` : ''}`,
    );
    return r.failed.length ? 1 : 0;
  },
};
