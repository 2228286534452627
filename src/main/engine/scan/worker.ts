/**
 * A scan worker thread: its own tfjs instance and copy of the model, loaded from bytes, running tasks
 * one at a time. It never blocks the thread that hosts the UI or the service.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toErrorInfo } from '../../../shared/errors.ts';
import { initBackend } from '../backend/index.ts';
import { loadModelSource } from '../model/load.ts';
import { ScanContext } from './context.ts';
import { TaskRunner } from './tasks.ts';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.ts';

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

async function start(init: WorkerInit): Promise<TaskRunner> {
  await initBackend(init.backend);
  const model = await loadModelSource(init.source, init.inputSpec);
  return new TaskRunner(new ScanContext(model, init.data), init.method, init.params, init.seed, (s) =>
    loadModelSource(s),
  );
}

start(workerData as WorkerInit).then(
  (runner) => {
    let queue = Promise.resolve();
    port.on('message', (msg: ToWorker) => {
      queue = queue.then(async () => {
        try {
          const result = await runner.run(msg.task, (progress) => post({ type: 'progress', id: msg.id, progress }));
          post({ type: 'result', id: msg.id, result });
        } catch (err) {
          post({ type: 'error', id: msg.id, error: toErrorInfo(err) });
        }
      });
    });
    post({ type: 'ready' });
  },
  (err) => post({ type: 'init-failed', error: toErrorInfo(err) }),
);
