/**
 * A Keras H5 file as evidence through the service: uploaded as bytes, recorded with format 'keras',
 * and inspected with its Keras layer list for the model view. Uses the shared third-party model;
 * skips with the reason when it is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UmaApi } from '../../../src/shared/api.ts';
import { startService, type Service } from '../../../src/main/service/index.ts';
import { memoryClient } from '../../../src/main/transport/memory.ts';
import { ok, tempHome } from './helpers.ts';

const MODEL = path.join(import.meta.dirname, '../../../../shared/models/keras-gtsrb-badnet/badnet_model.hdf5');
const present = fs.existsSync(MODEL);
if (!present) console.log(`skipping the Keras evidence test: ${MODEL} is absent`);

describe.skipIf(!present)('Keras evidence through the service', () => {
  let home: string;
  let svc: Service;
  let api: UmaApi;
  beforeAll(async () => {
    home = tempHome();
    svc = await startService({ dbPath: path.join(home, 'cases.sqlite'), host: 'memory', pdf: false });
    ({ api } = memoryClient(svc));
  });
  afterAll(async () => {
    await svc?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('takes an uploaded .hdf5 in as Keras and inspects it with its layer list', async () => {
    const c = ok(await api['cases/create']({ name: 'keras' }));
    const files = [{ name: 'badnet_model.hdf5', bytes: new Uint8Array(fs.readFileSync(MODEL)) }];
    const ev = ok(await api['evidence/add']({ caseId: c.id, source: { kind: 'upload', files } }));
    expect(ev.format).toBe('keras');
    const inspection = ok(await api['evidence/inspect']({ evidenceId: ev.id }));
    expect(inspection.format).toBe('keras');
    expect(inspection.numClasses).toBe(43);
    expect(inspection.layers?.[0]).toEqual({
      name: 'conv2d',
      className: 'Conv2D',
      outputShape: [32, 32, 16],
      params: 448,
    });
    expect(inspection.layers?.at(-1)?.name).toBe('activation');
  });
});
