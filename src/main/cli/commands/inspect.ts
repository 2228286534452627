import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../../../shared/errors.ts';
import { BACKEND_CHOICES, initBackend, isBackendChoice } from '../../engine/backend/index.ts';
import { loadDataset } from '../../engine/data/index.ts';
import { inferLogits } from '../../engine/model/common.ts';
import { loadModelFile, modelDigest } from '../../engine/model/load.ts';
import type { Classifier } from '../../engine/model/types.ts';
import type { Command } from '../command.ts';

const FREEZE_PREVIEW = 0.5;
const BATCH = 128;

/** Top-1 accuracy over a clean-data set, in batches so memory stays flat; forward only (inferLogits). */
async function accuracy(
  model: Classifier, dataSpec: string,
): Promise<{ accuracy: number; correct: number; count: number; source: string }> {
  const ds = loadDataset(dataSpec, { channels: model.inputSpec.channels === 3 ? 3 : 1 });
  const { height, width, channels } = model.inputSpec;
  if (ds.height !== height || ds.width !== width || ds.channels !== channels) {
    throw new UmaError('SHAPE_MISMATCH', `${ds.source}: images are ${ds.height}x${ds.width}x${ds.channels}, the model takes ${height}x${width}x${channels}`);
  }
  if (ds.count === 0) throw new UmaError('BAD_DATA', `${ds.source}: no images`);
  const size = height * width * channels;
  let correct = 0;
  for (let start = 0; start < ds.count; start += BATCH) {
    const n = Math.min(BATCH, ds.count - start);
    const x = tf.tensor4d(ds.images.subarray(start * size, (start + n) * size), [n, height, width, channels]);
    const logits = await inferLogits(model, x);
    const predicted = tf.tidy(() => tf.argMax(logits, 1).dataSync());
    tf.dispose([x, logits]);
    for (let i = 0; i < n; i++) if (predicted[i] === ds.labels[start + i]) correct++;
  }
  return { accuracy: correct / ds.count, correct, count: ds.count, source: ds.source };
}

function histogramLine(h: Record<string, number>): string {
  return Object.entries(h).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([op, n]) => `${op} ${n}`).join(', ');
}

export const inspect: Command = {
  name: 'inspect',
  summary: 'show what a model file is: format, input, classes, ops, weight layers, optional accuracy',
  usage: `uma inspect MODEL [--data DATA] [--json OUT] [--backend auto|node-gpu|node|wasm|cpu]

Loads MODEL (.onnx, a TF.js Layers model.json or its folder; PyTorch pickles are refused) and prints
its format and sha256, input shape and layout, class count, op histogram, parameter count, any
load warnings, and its weight layers in order, marking (*) those a freeze ratio of ${FREEZE_PREVIEW} freezes.
--data DATA   clean data (an image folder, an IDX images file, or 'demo'): adds top-1 accuracy
--json OUT    also write the report as JSON to OUT ('-' for stdout instead of the text)`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        json: { type: 'string' },
        backend: { type: 'string', default: 'auto' },
      },
      strict: true,
    });
    if (positionals.length !== 1) throw new UmaError('BAD_INPUT', 'give exactly one MODEL path (uma help inspect)');
    if (!isBackendChoice(values.backend)) {
      throw new UmaError('BAD_INPUT', `--backend must be one of ${BACKEND_CHOICES.join(', ')}, not '${values.backend}'`);
    }
    const path = positionals[0];
    const sha256 = modelDigest(path);
    await initBackend(values.backend);
    const model = await loadModelFile(path);
    try {
      // Accuracy first: handing out the weight layers ends the model's claim to the file's own weights.
      const data = values.data === undefined ? undefined : await accuracy(model, values.data);
      const plan = model.freeze(FREEZE_PREVIEW);
      const layers = model.weightLayers().map((l) => ({ name: l.name, kind: l.kind, op: l.op, params: l.params, frozenAtHalf: l.frozen }));
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
        ...(data && { accuracy: data.accuracy, data: { source: data.source, count: data.count, correct: data.correct } }),
      };
      if (values.json !== undefined && values.json !== '-') writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
      if (values.json === '-') {
        io.out(JSON.stringify(report, null, 2));
        return 0;
      }
      const s = model.inputSpec;
      io.out(`model       ${report.name} (${report.format})`);
      io.out(`sha256      ${sha256}`);
      io.out(`input       ${s.height}x${s.width}x${s.channels}, ${s.layout} model (predict takes NHWC in [0,1]); mean [${s.mean.join(', ')}], std [${s.std.join(', ')}]`);
      io.out(`classes     ${model.numClasses}`);
      io.out(`params      ${report.params.toLocaleString('en-US')}`);
      io.out(`ops         ${histogramLine(report.opHistogram)}`);
      for (const w of report.warnings) io.out(`warning     ${w}`);
      io.out(`layers      ${layers.length} weight layers, input -> output; * = frozen by freeze(${FREEZE_PREVIEW}) (${plan.frozenCount} conv/dense frozen)`);
      const width = Math.max(...layers.map((l) => l.name.length), 4);
      layers.forEach((l, i) => {
        io.out(`  ${String(i + 1).padStart(3)} ${l.frozenAtHalf ? '*' : ' '} ${l.name.padEnd(width)}  ${l.kind.padEnd(9)} ${l.op.padEnd(20)} ${l.params.toLocaleString('en-US').padStart(10)}`);
      });
      if (data) io.out(`accuracy    ${(data.accuracy * 100).toFixed(2)}% top-1 (${data.correct}/${data.count} on ${data.source})`);
      return 0;
    } finally {
      model.dispose();
    }
  },
};
