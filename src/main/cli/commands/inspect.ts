import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UmaError } from '../../../shared/errors.ts';
import { BACKEND_CHOICES, initBackend, isBackendChoice } from '../../engine/backend/index.ts';
import { loadDataset, type Dataset } from '../../engine/data/index.ts';
import { conventionFlags, surveyInputConventions, type InputSurvey } from '../../engine/model/input-conventions.ts';
import { loadModelFile, modelDigest } from '../../engine/model/load.ts';
import { topOneAccuracy } from '../../engine/metrics/accuracy.ts';
import type { Classifier, ModelLayer } from '../../engine/model/types.ts';
import type { CliIO, Command } from '../command.ts';
import { resolveModelPath } from '../scan-options.ts';

const FREEZE_PREVIEW = 0.5;

function loadCleanData(model: Classifier, dataSpec: string): Dataset {
  return loadDataset(dataSpec, { channels: model.inputSpec.channels === 3 ? 3 : 1 });
}

function histogramLine(h: Record<string, number>): string {
  return Object.entries(h)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
}

const pct = (a: number) => `${(a * 100).toFixed(1)}%`.padStart(6);

function printModelLayers(io: CliIO, layers: ModelLayer[]): void {
  io.out(`model layers ${layers.length}, input -> output`);
  const width = Math.max(...layers.map((l) => l.name.length), 4);
  for (const l of layers) {
    const shape = `[${l.outputShape.join(', ')}]`;
    io.out(
      `      ${l.name.padEnd(width)}  ${l.className.padEnd(22)} ${shape.padEnd(16)} ${l.params.toLocaleString('en-US').padStart(10)}`,
    );
  }
}

function printSurvey(io: CliIO, s: InputSurvey): void {
  io.out(
    `input spec  top-1 on ${s.sampled} sampled clean images under each convention (the loaded spec: ${s.given.label}, ${pct(s.given.accuracy).trim()})`,
  );
  for (const c of s.scores) io.out(`  ${pct(c.accuracy)}  ${c.label}${c.id === s.best.id ? '   <- best' : ''}`);
  if (s.best.id === s.given.id || s.best.accuracy === s.given.accuracy)
    io.out('recommend   the loaded spec (no convention does better)');
  else io.out(`recommend   ${s.best.label}: ${conventionFlags(s.best)}`);
  if (s.warning) io.out(`!!! ${s.warning}`);
}

export const inspect: Command = {
  name: 'inspect',
  summary: 'show what a model file is: format, input, classes, ops, weight layers, optional accuracy',
  usage: `uma inspect MODEL [--data DATA] [--architecture JSON] [--json OUT] [--backend auto|node-gpu|node|wasm|cpu]

Loads MODEL (.onnx, a Keras .h5/.hdf5, a TF.js Layers model.json or its folder, or 'demo' for the
bundled demo model; PyTorch pickles are refused) and prints
its format and sha256, input shape and layout, class count, op histogram, parameter count, any
load warnings, and its weight layers in order, marking (*) those a freeze ratio of ${FREEZE_PREVIEW} freezes.
--data DATA   clean data (an image folder, an IDX images file, or 'demo'): adds top-1 accuracy, and the
              accuracy under each common input convention ([0,1], [0,255], [-1,1], ImageNet and CIFAR
              mean/std, RGB and BGR) on a seeded sample, with the best one recommended
--architecture JSON   a Keras weights-only .h5's architecture (model.to_json() output or a TF.js model.json);
              the sha256 shown is then both files' (as 'uma scan --architecture' records the evidence)
--json OUT    also write the report as JSON to OUT ('-' for stdout instead of the text)`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        json: { type: 'string' },
        architecture: { type: 'string' },
        backend: { type: 'string', default: 'auto' },
      },
      strict: true,
    });
    if (positionals.length !== 1) throw new UmaError('BAD_INPUT', 'give exactly one MODEL path (uma help inspect)');
    if (!isBackendChoice(values.backend)) {
      throw new UmaError(
        'BAD_INPUT',
        `--backend must be one of ${BACKEND_CHOICES.join(', ')}, not '${values.backend}'`,
      );
    }
    const path = resolveModelPath(positionals[0]);
    await initBackend(values.backend);
    const model = await loadModelFile(path, { architecture: values.architecture });
    // After loading, so a bad architecture file is refused by name first; the digest `uma scan` records.
    const sha256 = modelDigest(path, values.architecture);
    try {
      // Accuracy first: handing out the weight layers ends the model's claim to the file's own weights
      // (its forward-only fast path, inferLogits).
      const ds = values.data === undefined ? undefined : loadCleanData(model, values.data);
      const data = ds && (await topOneAccuracy(model, ds));
      const inputSurvey = ds && (await surveyInputConventions(model, ds));
      const plan = model.freeze(FREEZE_PREVIEW);
      const layers = model
        .weightLayers()
        .map((l) => ({ name: l.name, kind: l.kind, op: l.op, params: l.params, frozenAtHalf: l.frozen }));
      model.freeze(0);
      const report = {
        path,
        name: model.source.name,
        format: model.format,
        sha256,
        inputSpec: model.inputSpec,
        numClasses: model.numClasses,
        params: model.report.params,
        opHistogram: model.report.opHistogram,
        warnings: model.report.warnings,
        freezePreview: { ratio: FREEZE_PREVIEW, frozenCount: plan.frozenCount, frozen: plan.frozen },
        layers,
        ...(model.report.layers && { modelLayers: model.report.layers }),
        ...(data && {
          accuracy: data.accuracy,
          data: { source: data.source, count: data.count, correct: data.correct, warnings: ds.warnings ?? [] },
        }),
        ...(inputSurvey && { inputSurvey }),
      };
      if (values.json !== undefined && values.json !== '-')
        writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
      if (values.json === '-') {
        io.out(JSON.stringify(report, null, 2));
        return 0;
      }
      const s = model.inputSpec;
      io.out(`model       ${report.name} (${report.format})`);
      io.out(`sha256      ${sha256}`);
      io.out(
        `input       ${s.height}x${s.width}x${s.channels}, ${s.layout} model (predict takes NHWC in [0,1]); mean [${s.mean.join(', ')}], std [${s.std.join(', ')}]`,
      );
      io.out(`classes     ${model.numClasses}`);
      io.out(`params      ${report.params.toLocaleString('en-US')}`);
      io.out(`ops         ${histogramLine(report.opHistogram)}`);
      for (const w of report.warnings) io.out(`warning     ${w}`);
      io.out(
        `layers      ${layers.length} weight layers, input -> output; * = frozen by freeze(${FREEZE_PREVIEW}) (${plan.frozenCount} conv/dense frozen)`,
      );
      const width = Math.max(...layers.map((l) => l.name.length), 4);
      layers.forEach((l, i) => {
        io.out(
          `  ${String(i + 1).padStart(3)} ${l.frozenAtHalf ? '*' : ' '} ${l.name.padEnd(width)}  ${l.kind.padEnd(9)} ${l.op.padEnd(20)} ${l.params.toLocaleString('en-US').padStart(10)}`,
        );
      });
      if (model.report.layers) printModelLayers(io, model.report.layers);
      if (data)
        io.out(
          `accuracy    ${(data.accuracy * 100).toFixed(2)}% top-1 (${data.correct}/${data.count} on ${data.source})`,
        );
      for (const w of ds?.warnings ?? []) io.out(`warning     ${w}`);
      if (inputSurvey) printSurvey(io, inputSurvey);
      return 0;
    } finally {
      model.dispose();
    }
  },
};
