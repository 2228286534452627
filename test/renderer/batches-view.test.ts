// @vitest-environment happy-dom
/** The Batches page: the queue's jobs and workers, each batch's scans, and links to open them. */
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import BatchesView from '../../src/renderer/src/views/BatchesView.vue';
import type { BatchInfo, BatchScanInfo, QueueState } from '../../src/shared/api.ts';
import { install } from './setup.ts';

const scan = (over: Partial<BatchScanInfo>): BatchScanInfo => ({
  scanId: 1,
  model: 'models/a.onnx',
  status: 'completed',
  classesDone: 10,
  numClasses: 10,
  verdict: 'trojaned',
  score: 3.21,
  target: 7,
  error: null,
  ...over,
});

const batch: BatchInfo = {
  batchId: 'batch-2026-12-01T04-00-00-000Z-abcd1234',
  created: '2026-12-01T04:00:00.000Z',
  queue: 'redis://127.0.0.1:6379',
  caseId: 4,
  caseName: 'Round 7',
  scans: [
    scan({}),
    scan({
      scanId: 2,
      model: 'models/b.onnx',
      status: 'running',
      classesDone: 3,
      verdict: null,
      score: null,
      target: null,
    }),
    scan({
      scanId: 3,
      model: 'models/c.onnx',
      status: 'failed',
      classesDone: 0,
      verdict: null,
      score: null,
      target: null,
      error: 'BAD_DATA: no images (after 3 attempts)',
    }),
  ],
};

const watched: QueueState = {
  queue: 'redis://127.0.0.1:6379',
  connected: true,
  error: null,
  counts: { waiting: 1, active: 1, delayed: 0, completed: 0, failed: 0 },
  workers: [{ name: 'gpu-box-1:4242', idleSeconds: 0 }],
};

let unmount: (() => void) | undefined;
afterEach(() => unmount?.());

async function show(queue: QueueState, batches: BatchInfo[] = [batch]) {
  const fake = install({ 'batches/list': () => batches, 'batches/queue': () => queue });
  const w = mount(BatchesView, { global: { plugins: [fake.pinia] } });
  unmount = () => w.unmount();
  await flushPromises();
  return w;
}

describe('Batches page', () => {
  it("shows the queue's counts and workers, and every model's scan with a link to open it", async () => {
    const w = await show(watched);
    const queue = w.find('[aria-label=Queue]').text();
    expect(queue).toContain('connected');
    expect(queue).toContain('1 waiting');
    expect(queue).toContain('gpu-box-1:4242');
    expect(w.text()).toContain('2 of 3 scans finished');
    const rows = w.findAll('table.scans tbody tr');
    expect(rows.map((r) => r.find('td').text())).toEqual(['models/a.onnx', 'models/b.onnx', 'models/c.onnx']);
    expect(rows[0].text()).toContain('3.21');
    expect(rows[2].text()).toContain('BAD_DATA: no images (after 3 attempts)');
    const links = rows.map((r) => r.find('a').attributes('href'));
    expect(links).toEqual(['#/scans/1', '#/scans/2/live', '#/scans/3/live']);
  });

  it('says when the queue cannot be reached, or when no queue is watched', async () => {
    const down = await show({ ...watched, connected: false, error: 'no answer in 3000 ms', counts: null, workers: [] });
    expect(down.find('[aria-label=Queue]').text()).toContain('not reachable (no answer in 3000 ms)');
    down.unmount();
    const none = await show({ queue: null, connected: false, error: null, counts: null, workers: [] }, []);
    expect(none.find('[aria-label=Queue]').text()).toContain('uma serve --queue');
    expect(none.text()).toContain('No batches in this case database');
  });
});
