/**
 * scans/stamped-predictions on the bundled demo pair: a scan recorded with the demo model's real
 * BadNets trigger as class 7's reversed trigger and the clean demo model as its reference. The
 * trojaned model must answer 7 on the stamped digits and the clean one must not; the stamped images
 * must differ from the clean ones exactly on the patch.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StampedPredictions } from '../../../src/shared/api.ts';
import { decodeImage } from '../../../src/main/engine/data/image-codec.ts';
import { startService, type Service } from '../../../src/main/service/index.ts';
import { demoBadNetsTrigger, recordBadNetsScan } from '../../fixtures/reports/badnets-trigger.ts';
import { ok } from '../../integration/service/helpers.ts';

let home: string;
let svc: Service;
let scanId = 0;
let importedScanId = 0;
const trigger = demoBadNetsTrigger();

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-stamped-'));
  svc = await startService({ dbPath: path.join(home, 'cases.sqlite'), host: 'serve', pdf: false, backend: 'wasm' });
  // The same recording twice: the second as if made elsewhere, its data no path this machine can load.
  ({ scanId } = await recordBadNetsScan(svc.cdb, { caseName: 'Demo pair', data: 'demo' }));
  ({ scanId: importedScanId } = await recordBadNetsScan(svc.cdb, { caseName: 'Demo pair', data: 'demo:cifar10' }));
}, 120_000);

afterAll(async () => {
  await svc?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const predictions = async (args: { scanId: number; classIndex: number; count?: number }) =>
  ok(await svc.call('scans/stamped-predictions', args)) as StampedPredictions;

describe('scans/stamped-predictions', () => {
  it('moves the trojaned model to the target on stamped digits and leaves the clean reference alone', async () => {
    const got = await predictions({ scanId, classIndex: trigger.target, count: 8 });
    expect(got).toMatchObject({ scanId, classIndex: 7, data: 'demo', reference: 'clean twin' });
    expect(got.examples).toHaveLength(8);
    for (const e of got.examples) expect(e.label).not.toBe(7); // images of the other classes only
    const moved = got.examples.filter((e) => e.suspect.stamped.classIndex === 7).length;
    const cleanRight = got.examples.filter((e) => e.suspect.clean.classIndex === e.label).length;
    const referenceRight = got.examples.filter((e) => e.reference!.stamped.classIndex === e.label).length;
    // The demo model's attack success rate is 100% and its clean accuracy 96%: a miss or two, not more.
    expect(moved).toBeGreaterThanOrEqual(7);
    expect(cleanRight).toBeGreaterThanOrEqual(7);
    expect(referenceRight).toBeGreaterThanOrEqual(7);
    for (const e of got.examples) {
      for (const t of [e.suspect.clean, e.suspect.stamped, e.reference!.clean, e.reference!.stamped]) {
        expect(t.probability).toBeGreaterThan(0);
        expect(t.probability).toBeLessThanOrEqual(1);
      }
    }
  }, 60_000);

  it('stamps with the stored trigger: the stamped image is the clean one except on the patch, which holds the pattern', async () => {
    const { examples } = await predictions({ scanId, classIndex: trigger.target, count: 3 });
    const onPatch = new Map(trigger.patch.map((p) => [p.row * 28 + p.col, p.value * 255]));
    for (const e of examples) {
      const clean = decodeImage(e.clean);
      const stamped = decodeImage(e.stamped);
      expect([stamped.width, stamped.height]).toEqual([28, 28]);
      for (let i = 0; i < 28 * 28; i++) {
        expect(stamped.data[4 * i], `pixel ${i}`).toBe(onPatch.get(i) ?? clean.data[4 * i]);
      }
    }
  }, 60_000);

  it('picks the same images for the same scan and class, seeded', async () => {
    const a = await predictions({ scanId, classIndex: trigger.target, count: 4 });
    const b = await predictions({ scanId, classIndex: trigger.target, count: 4 });
    expect(b.examples.map((e) => e.sample)).toEqual(a.examples.map((e) => e.sample));
    expect(new Set(a.examples.map((e) => e.sample)).size).toBe(4);
  }, 60_000);

  it('names what is wrong: a trigger of another size, a class that does not exist, data this machine cannot load', async () => {
    // Class 2's stored trigger is a 16x16 fixture image: refused by name, not stretched onto 28x28 digits.
    expect(await svc.call('scans/stamped-predictions', { scanId, classIndex: 2 })).toMatchObject({
      ok: false,
      error: { code: 'SHAPE_MISMATCH', message: 'the stored trigger mask is 16x16; the model takes 28x28 images' },
    });
    expect(await svc.call('scans/stamped-predictions', { scanId, classIndex: 10 })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', message: `scan ${scanId} has 10 classes; there is no class 10` },
    });
    expect(await svc.call('scans/stamped-predictions', { scanId: 999, classIndex: 0 })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await svc.call('scans/stamped-predictions', { scanId, classIndex: 7, count: 25 })).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT' },
    });
    const imported = await svc.call('scans/stamped-predictions', { scanId: importedScanId, classIndex: 7 });
    expect(imported).toMatchObject({
      ok: false,
      error: { code: 'BAD_DATA', message: expect.stringContaining('demo:cifar10: no such file or folder') },
    });
  }, 60_000);
});
