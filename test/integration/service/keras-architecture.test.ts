/**
 * A Keras weights-only model with its architecture JSON as evidence through the service: both files
 * are taken in as one item (roles model and architecture, each with its sha256), inspected from the
 * stored copies, re-hashed together; and every bad architecture is refused by name before intake,
 * leaving no evidence behind. The pair is the bundled demo model rewritten in Keras's layout.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchitectureRef, Reply, UmaApi } from '../../../src/shared/api.ts';
import { startService, type Service } from '../../../src/main/service/index.ts';
import { memoryClient } from '../../../src/main/transport/memory.ts';
import { sha256Hex } from '../../../src/main/util/digest.ts';
import { writeDemoWeightsOnly, type KerasPair } from '../../fixtures/keras/demo-weights-only.ts';
import { ok, tempHome } from './helpers.ts';

let home: string;
let svc: Service;
let api: UmaApi;
let pair: KerasPair;

beforeAll(async () => {
  home = tempHome();
  pair = await writeDemoWeightsOnly(home);
  svc = await startService({ dbPath: path.join(home, 'db', 'cases.sqlite'), host: 'memory', pdf: false });
  ({ api } = memoryClient(svc));
});
afterAll(async () => {
  await svc?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

function failure<T>(r: Reply<T>): { code: string; message: string } {
  if (r.ok) throw new Error('expected a refusal');
  return r.error;
}

/** An architecture file next to the pair holding `content`. */
function archFile(name: string, content: unknown): ArchitectureRef {
  const p = path.join(home, name);
  fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return { kind: 'path', path: p };
}

/** The demo architecture with `edit` applied to its layer called `layer`. */
function edited(layer: string, edit: (config: Record<string, unknown>) => void): unknown {
  const config = structuredClone(pair.config);
  const l = config.config.layers.find((x) => x.config.name === layer)!;
  edit(l.config);
  return config;
}

describe('a Keras weights-only model and its architecture as one evidence item', () => {
  it('takes both files in by path, each with its role and sha256, and inspects them from the store', async () => {
    const c = ok(await api['cases/create']({ name: 'keras pair' }));
    const ev = ok(
      await api['evidence/add']({
        caseId: c.id,
        source: { kind: 'path', path: pair.weights },
        architecture: { kind: 'path', path: pair.architecture },
      }),
    );
    expect(ev.format).toBe('keras');
    expect(ev.files.map((f) => [f.name, f.role, f.sha256, f.originalPath])).toEqual([
      ['demo-weights.h5', 'model', sha256Hex(fs.readFileSync(pair.weights)), pair.weights],
      [
        'demo-weights-architecture.json',
        'architecture',
        sha256Hex(fs.readFileSync(pair.architecture)),
        pair.architecture,
      ],
    ]);
    const inspection = ok(await api['evidence/inspect']({ evidenceId: ev.id }));
    expect(inspection.format).toBe('keras');
    expect(inspection.numClasses).toBe(10);
    expect(inspection.layers?.map((l) => l.className)).toEqual([
      'Conv2D',
      'MaxPooling2D',
      'Conv2D',
      'MaxPooling2D',
      'Flatten',
      'Dense',
      'Dense',
    ]);
    // The pair is the demo model: the same top-1 on the demo digits as the bundled TF.js original.
    const demo = ok(await api['evidence/add']({ caseId: c.id, source: { kind: 'demo', which: 'trojaned' } }));
    const accuracy = async (evidenceId: number) =>
      ok(await api['evidence/inspect']({ evidenceId, data: { kind: 'demo' } })).accuracy;
    expect(await accuracy(ev.id)).toEqual(await accuracy(demo.id));
    expect(ok(await api['evidence/rehash']({ evidenceId: ev.id })).sha256).toBe(ev.sha256);

    // The stored architecture copy changed: re-hashing names it.
    const stored = path.join(home, 'db', 'cases.sqlite.store', String(ev.id), 'demo-weights-architecture.json');
    fs.chmodSync(stored, 0o644);
    fs.writeFileSync(stored, JSON.stringify(edited('dense_Dense1', (l) => (l.units = 32))));
    const e = failure(await api['evidence/rehash']({ evidenceId: ev.id }));
    expect(e.code).toBe('INTEGRITY');
    expect(e.message).toMatch(/architecture file .*demo-weights-architecture\.json no longer matches its intake hash/);
  });

  it('takes both files in as uploads, recording where they came from', async () => {
    const c = ok(await api['cases/create']({ name: 'keras upload' }));
    const bytes = (p: string) => new Uint8Array(fs.readFileSync(p));
    const ev = ok(
      await api['evidence/add']({
        caseId: c.id,
        source: { kind: 'upload', files: [{ name: 'w.h5', bytes: bytes(pair.weights) }] },
        architecture: { kind: 'upload', file: { name: 'arch.json', bytes: bytes(pair.architecture) } },
      }),
    );
    expect(ev.files.map((f) => [f.name, f.role, f.originalPath])).toEqual([
      ['w.h5', 'model', 'uploaded as w.h5'],
      ['arch.json', 'architecture', 'uploaded as arch.json'],
    ]);
    expect(ok(await api['evidence/inspect']({ evidenceId: ev.id })).numClasses).toBe(10);
  });

  it('refuses a bad architecture by name before intake, keeping no evidence', async () => {
    const c = ok(await api['cases/create']({ name: 'keras refusals' }));
    const weights = { kind: 'path' as const, path: pair.weights };
    // A FIFO would hang a read: refused before anything opens it.
    const fifo = path.join(home, 'arch.fifo');
    execFileSync('mkfifo', [fifo]);
    const refusals: [ArchitectureRef, string, RegExp][] = [
      [{ kind: 'path', path: path.join(home, 'absent.json') }, 'NOT_FOUND', /absent\.json: no such architecture file/],
      [{ kind: 'path', path: fifo }, 'BAD_INPUT', /arch\.fifo: a FIFO; only regular files are read/],
      [
        archFile('garbled.json', '{"class_name": "Sequential",'),
        'BAD_MODEL',
        /architecture file .*garbled\.json: not JSON/,
      ],
      [
        archFile('other.json', { format: 'graph-model', weightsManifest: [] }),
        'BAD_MODEL',
        /architecture file .*other\.json: no Keras model config/,
      ],
      [
        archFile(
          'renamed.json',
          edited('dense_Dense2', (l) => (l.name = 'logits')),
        ),
        'BAD_MODEL',
        /architecture file .*renamed\.json does not match the weights in demo-weights\.h5: no weights for layer 'logits' \(Dense\)/,
      ],
      [
        archFile(
          'narrow.json',
          edited('dense_Dense1', (l) => (l.units = 32)),
        ),
        'BAD_MODEL',
        /architecture file .*narrow\.json does not match the weights .*dense_Dense1.* is \[784, 64\], the layer needs \[784, 32\]/,
      ],
    ];
    for (const [architecture, code, message] of refusals) {
      const e = failure(await api['evidence/add']({ caseId: c.id, source: weights, architecture }));
      expect([e.code, e.message]).toEqual([code, expect.stringMatching(message)]);
    }
    // An architecture belongs to a Keras weights file only.
    const demo = failure(
      await api['evidence/add']({
        caseId: c.id,
        source: { kind: 'demo', which: 'trojaned' },
        architecture: { kind: 'path', path: pair.architecture },
      }),
    );
    expect(demo.message).toMatch(/an architecture file applies to Keras weights-only H5 files only/);
    expect(ok(await api['cases/get']({ caseId: c.id })).evidence).toEqual([]);
  });
});
