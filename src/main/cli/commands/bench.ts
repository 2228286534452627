import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UmaError } from '../../../shared/errors.ts';
import { DEFAULT_PROFILE_NAME, PROFILES } from '../../../shared/scan-params.ts';
import { BACKEND_CHOICES, initBackend, isBackendChoice } from '../../engine/backend/index.ts';
import { corpusMarkdown } from '../../eval/metrics/bench-markdown.ts';
import { writeBenchResults } from '../../eval/bench-results.ts';
import { BENCH_METHODS, benchCorpus, CORPUS_HALVES, parseHalf, type BenchMethod } from '../../eval/bench.ts';
import { listCorpus } from '../../eval/zoo/corpus.ts';
import type { Command } from '../command.ts';
import { parseInteger, parseParams, parseProfile } from '../scan-options.ts';

const MARK_START = '<!-- bench:tables:start -->';
const MARK_END = '<!-- bench:tables:end -->';

function parseMethods(v: string | undefined, all: boolean | undefined): BenchMethod[] {
  if (all) return [...BENCH_METHODS];
  const names = (v ?? 'uma').split(',').map((s) => s.trim());
  for (const n of names)
    if (!(BENCH_METHODS as readonly string[]).includes(n))
      throw new UmaError('BAD_INPUT', `--methods: '${n}' is not one of ${BENCH_METHODS.join(', ')}`);
  return names as BenchMethod[];
}

/** Replaces the generated part of the README, leaving the hand-written evidence around it alone. */
function updateReadme(path: string, markdown: string): boolean {
  if (!existsSync(path)) return false;
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(MARK_START);
  const b = text.indexOf(MARK_END);
  if (a < 0 || b < a) return false;
  writeFileSync(path, `${text.slice(0, a + MARK_START.length)}\n${markdown}\n${text.slice(b)}`);
  return true;
}

export const bench: Command = {
  name: 'bench',
  summary: 'scan a corpus built by `uma zoo` with each method and write ROC-AUC / FP / FN tables',
  usage: `uma bench CORPUS [options]

Scans every model of CORPUS (built by 'uma zoo build') on its held-out clean samples, caching each
scan beside the model, and writes RESULTS/detection.json, RESULTS/detection.md and ROC curves
RESULTS/roc-DATASET-ATTACK.svg; the tables also replace the generated part of bench/README.md.

  --methods a,b       ${BENCH_METHODS.join(', ')} (default uma)
  --all               every method
  --profile P         scan parameter profile: ${Object.keys(PROFILES).join(' | ')} (default ${DEFAULT_PROFILE_NAME})
  --param NAME=VALUE  override one scan parameter (repeatable)
  --max-per-class N   clean samples per class (default 100)
  --seed N            scan seed (default 1)
  --workers N         worker threads per scan (default: cores)
  --half H            only this half of the corpus: ${CORPUS_HALVES.join(' | ')} (PyTorch manifests name it;
                      the project's entries split by index parity); tune on one, report on the other
  --cached-only       tabulate the scans already cached beside the models and run none (a model a
                      method has not scanned is left out of that method's rows)
  --archive DIR       keep the scans in DIR too, one folder per model id, to commit: a scan there of
                      a model file with the same sha256 is used instead of rescanning (restore a
                      rebuilt corpus's scans with --archive DIR --cached-only)
  --results DIR       output folder (default bench/results)
  --readme FILE       markdown file whose generated section is replaced (default bench/README.md)
  --backend B         ${BACKEND_CHOICES.join(' | ')} (default wasm)`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        methods: { type: 'string' },
        all: { type: 'boolean' },
        profile: { type: 'string', default: DEFAULT_PROFILE_NAME },
        param: { type: 'string', multiple: true },
        'max-per-class': { type: 'string', default: '100' },
        seed: { type: 'string' },
        workers: { type: 'string' },
        'cached-only': { type: 'boolean' },
        half: { type: 'string' },
        archive: { type: 'string' },
        results: { type: 'string', default: 'bench/results' },
        readme: { type: 'string', default: 'bench/README.md' },
        backend: { type: 'string', default: 'wasm' },
      },
    });
    if (positionals.length !== 1)
      throw new UmaError('BAD_INPUT', 'give exactly one CORPUS folder (built by uma zoo build)');
    if (!existsSync(positionals[0]))
      throw new UmaError('NOT_FOUND', `${positionals[0]}: no such corpus folder; build one with 'uma zoo build'`);
    if (!isBackendChoice(values.backend))
      throw new UmaError('BAD_INPUT', `--backend must be one of ${BACKEND_CHOICES.join(', ')}`);
    const methods = parseMethods(values.methods, values.all);
    const half = parseHalf(values.half);
    const params = {
      ...parseProfile(values.profile),
      ...parseParams(values.param),
      maxPerClass: parseInteger('max-per-class', values['max-per-class'], 2),
    };
    const seed = parseInteger('seed', values.seed, 0) ?? 1;
    await initBackend(values.backend);
    const records = await benchCorpus({
      corpus: positionals[0],
      methods,
      profile: values.profile,
      params,
      seed,
      workers: parseInteger('workers', values.workers, 0),
      cachedOnly: values['cached-only'],
      half,
      archive: values.archive,
      log: io.err,
    });
    if (records.length === 0)
      throw new UmaError(
        'BAD_INPUT',
        `${positionals[0]}: no corpus entries (folders with a manifest.json)${values['cached-only'] ? ' with a cached scan for these methods and parameters' : ''}`,
      );
    const corpus = listCorpus(positionals[0]).map((e) => e.manifest);
    const markdown = writeBenchResults(
      values.results,
      { profile: values.profile, params, methods, half: half ?? 'both', seed, records },
      `### The corpus (from each model's manifest.json)\n\n${corpusMarkdown(corpus)}`,
    );
    io.out(markdown);
    if (updateReadme(values.readme, markdown)) io.err(`updated the tables in ${values.readme}`);
    return 0;
  },
};
