import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import { main } from '../../../src/main/cli/index.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), isTTY: false }, out, err };
}

describe('backend selection', () => {
  it('auto walks node-gpu > webgpu > node > wasm and says why each was skipped; never picks cpu on its own', async () => {
    const info = await initBackend('auto');
    expect(info.attempts.map((a) => a.name)).toEqual(
      info.name === 'wasm' ? ['node-gpu', 'webgpu', 'node', 'wasm'] : info.attempts.map((a) => a.name),
    );
    expect(info.name).not.toBe('cpu');
    for (const a of info.attempts.filter((x) => !x.ok)) expect(a.reason.length).toBeGreaterThan(10);
    if (info.name === 'wasm') {
      expect(info.reason).toMatch(/project kernels/);
      expect(info.reason).toMatch(/skipped node-gpu: .*; webgpu: .*; node: /);
    }
  });

  it('uma doctor reports the backend, versions and a measured throughput', async () => {
    const c = capture();
    expect(await main(['doctor', '--seconds', '0.5', '--json'], c.io)).toBe(0);
    const report = JSON.parse(c.out.join('\n'));
    expect(report.backend).toBe((await initBackend('auto')).name);
    expect(report.versions.tfjs).toBe('4.22.0');
    expect(report.probe.steps).toBeGreaterThan(0);
    expect(report.probe.samplesPerSecond).toBeGreaterThan(0);
    const bad = capture();
    expect(await main(['doctor', '--backend', 'quantum'], bad.io)).toBe(2);
    expect(bad.err.join()).toMatch(/--backend must be one of auto, node-gpu, webgpu, node, wasm, cpu/);
  });
});
