/**
 * What `uma serve --queue URL` shows of the batch queue: job counts and the workers connected now.
 * The connection is BullMQ's own (commands wait for a reconnect), so a read is bounded by a timeout:
 * a Redis that is down shows as not connected instead of hanging the UI's call.
 */
import { Queue } from 'bullmq';
import type { QueueState } from '../../shared/api.ts';
import type { QueueAddress } from './queue-url.ts';
import { QUEUE_NAME } from './scan-job.ts';

const READ_TIMEOUT_MS = 3000;

export interface QueueWatch {
  read(): Promise<QueueState>;
  close(): Promise<void>;
}

/** A worker's client name is `<queue client name>:w:<worker name>`; the name is `uma worker`'s host:pid. */
function workerName(raw: string | undefined): string {
  const i = raw?.indexOf(':w:') ?? -1;
  return raw && i >= 0 ? raw.slice(i + 3) : (raw ?? '?');
}

export function watchQueue(address: QueueAddress): QueueWatch {
  const queue = new Queue(QUEUE_NAME, { connection: address.connection });
  // Connection errors are answered by read(); without a listener they would be unhandled 'error' events.
  queue.on('error', () => undefined);
  const read = async (): Promise<QueueState> => {
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
    const workers = await queue.getWorkers();
    return {
      queue: address.display,
      connected: true,
      error: null,
      counts: {
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        completed: counts.completed ?? 0,
        failed: counts.failed ?? 0,
      },
      workers: workers.map((w) => ({ name: workerName(w.rawname), idleSeconds: Number(w.idle ?? 0) })),
    };
  };
  return {
    async read() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer from ${address.display} in ${READ_TIMEOUT_MS} ms`)),
          READ_TIMEOUT_MS,
        );
      });
      try {
        return await Promise.race([read(), timeout]);
      } catch (err) {
        return { queue: address.display, connected: false, error: (err as Error).message, counts: null, workers: [] };
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => queue.close(),
  };
}
