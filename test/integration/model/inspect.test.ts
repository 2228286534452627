/** `uma inspect` end to end through the CLI entry point. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/main/cli/index.ts';
import { encodePng } from '../../../src/main/engine/data/image-codec.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/onnx/${name}.onnx`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'uma-inspect-'));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('uma inspect', () => {
  it('prints format, input, classes, ops, params and the layers freeze(0.5) would freeze', async () => {
    const r = await run('inspect', fixture('resnet'), '--backend', 'wasm');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/model {7}resnet\.onnx \(onnx\)/);
    expect(r.out).toMatch(/input {7}32x32x3, NCHW model/);
    expect(r.out).toMatch(/classes {5}10/);
    expect(r.out).toMatch(/ops {9}.*BatchNormalization 6, Conv 6/);
    expect(r.out).toMatch(/\(3 conv\/dense frozen\)/);
    expect(r.out).toMatch(/ {4}1 \* \/conv1\/Conv +conv/);
    expect(r.out).toMatch(/ {4}7 {3}\/layer2\/conv1\/Conv/);
  });

  it("takes 'demo', the documented name of the bundled model (issue 15)", async () => {
    const r = await run('inspect', 'demo', '--backend', 'wasm');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/model {7}model\.json \(tfjs-layers\)/);
    expect(r.out).toMatch(/classes {5}10/);
  });

  it('says when colour images were converted to grayscale for a 1-channel model (issue 15)', async () => {
    const data = join(dir, 'colour');
    mkdirSync(join(data, '0'), { recursive: true });
    const px = new Float32Array(28 * 28 * 3);
    px[0] = 1;
    writeFileSync(join(data, '0', 'red.png'), encodePng(px, 28, 28, 3));
    const r = await run('inspect', 'demo', '--data', data, '--backend', 'wasm');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/warning {5}1 of 1 images are in colour; converted to grayscale/);
  });

  it('writes JSON with top-1 accuracy on a data set', async () => {
    const out = join(dir, 'cnn.json');
    const r = await run('inspect', fixture('cnn'), '--data', 'demo', '--json', out, '--backend', 'wasm');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report).toMatchObject({
      format: 'onnx',
      numClasses: 10,
      params: 6062,
      inputSpec: { height: 28, width: 28, channels: 1, layout: 'NCHW' },
    });
    expect(report.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.layers.map((l: { frozenAtHalf: boolean }) => l.frozenAtHalf)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(report.data.count).toBeGreaterThan(0);
    expect(report.accuracy).toBeCloseTo(report.data.correct / report.data.count, 10);
    expect(r.out).toMatch(/accuracy {4}\d+\.\d\d% top-1/);
  });

  it('refuses a pickle with exit code 2 and export advice', async () => {
    const pt = join(dir, 'model.pt');
    writeFileSync(pt, new Uint8Array([0x80, 0x02]));
    const r = await run('inspect', pt);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/uma inspect: .*PyTorch checkpoint \(pickle\)[\s\S]*torch\.onnx\.export/);
  });
});
