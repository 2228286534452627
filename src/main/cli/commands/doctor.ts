import { parseArgs } from 'node:util';
import os from 'node:os';
import { createRequire } from 'node:module';
import { UmaError } from '../../../shared/errors.ts';
import { BACKEND_CHOICES, initBackend, isBackendChoice } from '../../engine/backend/index.ts';
import { MNIST_PROBE, trainingThroughput } from '../../engine/backend/probe.ts';
import type { Command } from '../command.ts';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export const doctor: Command = {
  name: 'doctor',
  summary: 'show the compute backend, versions, threads and a training throughput probe',
  usage: `uma doctor [--backend ${BACKEND_CHOICES.join('|')}] [--seconds N] [--json]

Prints which compute backend was chosen and why (every backend tried, and why it was or was not
taken), the device and, on WebGPU, the adapter's vendor, architecture and limits, the versions that
matter, the threads available, and a training-step throughput probe (a small MNIST CNN, batch 64).
A software WebGPU adapter (lavapipe, SwiftShader) is used only with --backend webgpu.`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        backend: { type: 'string', default: 'auto' },
        seconds: { type: 'string', default: '3' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (!isBackendChoice(values.backend)) {
      throw new UmaError(
        'BAD_INPUT',
        `--backend must be one of ${BACKEND_CHOICES.join(', ')}, not '${values.backend}'`,
      );
    }
    const seconds = Number(values.seconds);
    if (!(seconds > 0 && seconds <= 60))
      throw new UmaError('BAD_INPUT', `--seconds must be in (0, 60], not '${values.seconds}'`);

    const backend = await initBackend(values.backend);
    const probe = await trainingThroughput(MNIST_PROBE, seconds);
    const report = {
      backend: backend.name,
      tfBackend: backend.tfBackend,
      reason: backend.reason,
      attempts: backend.attempts,
      device: backend.device,
      adapter: backend.adapter ?? backend.attempts.find((a) => a.adapter)?.adapter ?? null,
      threadsPerInstance: backend.threads,
      cores: os.availableParallelism(),
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      versions: {
        node: process.versions.node,
        tfjs: backend.tfjsVersion,
        'tfjs-backend-wasm': versionOf('@tensorflow/tfjs-backend-wasm'),
        'tfjs-node': versionOf('@tensorflow/tfjs-node'),
        'tfjs-node-gpu': versionOf('@tensorflow/tfjs-node-gpu'),
        'tfjs-backend-webgpu': versionOf('@tensorflow/tfjs-backend-webgpu'),
        webgpu: versionOf('webgpu'),
        'better-sqlite3': versionOf('better-sqlite3'),
      },
      probe: { net: 'MNIST CNN (conv16x2, conv32x2, dense128)', ...probe },
    };
    if (values.json) {
      io.out(JSON.stringify(report, null, 2));
      return 0;
    }
    io.out(`backend     ${backend.name} (tfjs '${backend.tfBackend}')`);
    io.out(`why         ${backend.reason}`);
    for (const a of backend.attempts) io.out(`  tried     ${a.name}: ${a.ok ? 'ok' : 'no'}: ${a.reason}`);
    io.out(`device      ${backend.device}`);
    if (report.adapter) {
      const a = report.adapter;
      io.out(
        `adapter     ${a.vendor}/${a.architecture} ${a.device} (${a.description})${a.software ? ' [software]' : ''}`,
      );
      io.out(
        `  limits    ${Object.entries(a.limits)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    }
    io.out(
      `threads     ${backend.threads || 'managed by libtensorflow or the GPU'} per tfjs instance; ${report.cores} cores; ${report.memoryGiB} GiB`,
    );
    io.out(
      `versions    ${Object.entries(report.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    io.out(
      `throughput  ${probe.samplesPerSecond.toFixed(0)} samples/s training step (${report.probe.net}, batch ${probe.batch}, ${probe.steps} steps in ${probe.seconds.toFixed(1)} s)`,
    );
    return 0;
  },
};
