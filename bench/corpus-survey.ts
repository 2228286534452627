/**
 * What the per-model measurement scripts share (bench/trigger-survival.ts, bench/transform-inversion.ts):
 * every model of a corpus (one half, or the models named), each loaded with the scan's samples in a
 * ScanContext, measured, and appended to a JSON file that makes the run resumable (models already in
 * the file are kept and skipped).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { initBackend } from '../src/main/engine/backend/index.ts';
import { limitPerClass, type Dataset } from '../src/main/engine/data/dataset.ts';
import { loadModelFile } from '../src/main/engine/model/load.ts';
import { deriveSeed } from '../src/main/engine/random.ts';
import { joinShards, ScanContext } from '../src/main/engine/scan/context.ts';
import { halfOf, parseHalf, type CorpusHalf } from '../src/main/eval/bench.ts';
import { entryModelPath, listCorpus, type Manifest } from '../src/main/eval/zoo/corpus.ts';
import { loadSplit } from '../src/main/eval/zoo/datasets.ts';
import type { ScanParams } from '../src/shared/scan-params.ts';

/** Every surveyed model's facts from its manifest, and the seconds its measurement took. */
export interface SurveyedModel {
  id: string;
  half: string;
  attack: string | null;
  target: number | null;
  arch: string;
  seconds: number;
}

/** The command line every survey shares: CORPUS [--half tune|report] [--only ID]... [--out FILE]. */
export interface SurveyArgs {
  corpus: string;
  half?: CorpusHalf;
  /** Model ids to measure; empty = all. */
  only: string[];
  out?: string;
}

/**
 * Parses the shared command line plus the script's own options (`own`, described by `ownUsage`);
 * returns the shared part and the script's own values.
 */
export function surveyArgs(
  script: string,
  own: NonNullable<ParseArgsConfig['options']> = {},
  ownUsage = '',
): { args: SurveyArgs; values: Record<string, string | boolean | (string | boolean)[] | undefined> } {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      half: { type: 'string' },
      only: { type: 'string', multiple: true, default: [] },
      out: { type: 'string' },
      ...own,
    },
  });
  if (positionals.length !== 1)
    throw new Error(`usage: ${script}.ts CORPUS [--half tune|report] [--only ID]... [--out FILE]${ownUsage}`);
  const args = {
    corpus: positionals[0],
    half: parseHalf(values.half),
    only: values.only,
    out: values.out,
  };
  return { args, values };
}

export interface SurveyOptions {
  /** The script's name: its default output is bench/results/SCRIPT/CORPUS-NAME.json. */
  script: string;
  args: SurveyArgs;
  /** The scan parameters whose samples (maxPerClass) and freeze ratio the context is built with. */
  params: ScanParams;
  seed: number;
  /** Written beside the models: what the measurement ran with. */
  header: Record<string, unknown>;
}

/**
 * Measures every selected model not yet in the output file with `measure` (given the model's ScanContext,
 * manifest and folder, where its cached scans lie) and rewrites the file after each; `line` prints one
 * line per model.
 */
export async function surveyCorpus<T extends SurveyedModel>(
  o: SurveyOptions,
  measure: (ctx: ScanContext, m: Manifest, dir: string) => Promise<Omit<T, keyof SurveyedModel>>,
  line: (row: T) => string,
): Promise<void> {
  const { corpus, half, only } = o.args;
  const out = o.args.out ?? join(import.meta.dirname, 'results', o.script, `${basename(corpus)}.json`);
  await initBackend('wasm');
  if (!existsSync(dirname(out))) mkdirSync(dirname(out), { recursive: true });
  const done: T[] = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { models: T[] }).models : [];
  const held = new Map<string, Dataset>();
  const entries = listCorpus(corpus).filter(
    (e) => (!half || halfOf(e.manifest) === half) && (only.length === 0 || only.includes(e.manifest.id)),
  );
  for (const { dir, manifest: m } of entries) {
    if (done.some((d) => d.id === m.id)) continue;
    const ds = m.recipe.dataset;
    if (!held.has(ds)) held.set(ds, loadSplit(ds).held);
    const start = performance.now();
    const model = await loadModelFile(entryModelPath(dir, m), { name: m.id });
    const data = limitPerClass(held.get(ds)!, o.params.maxPerClass!, deriveSeed(o.seed, 'samples'));
    const ctx = new ScanContext(model, data);
    let measured: Omit<T, keyof SurveyedModel>;
    try {
      ctx.adopt(
        joinShards([await ctx.prepareShard(0, data.count, o.params.freezeRatio)], data.count, model.numClasses),
      );
      measured = await measure(ctx, m, dir);
    } finally {
      ctx.dispose();
      model.dispose();
    }
    const row = {
      id: m.id,
      half: halfOf(m),
      attack: m.attack?.name ?? null,
      target: m.attack?.target ?? null,
      arch: String(m.recipe.arch ?? ''),
      ...measured,
      seconds: (performance.now() - start) / 1000,
    } as T;
    done.push(row);
    writeFileSync(out, JSON.stringify({ corpus, seed: o.seed, ...o.header, models: done }, null, 2));
    console.log(line(row));
  }
}
