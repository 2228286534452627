/** Batches of `uma batch` (their manifests beside the case database) and the queue this host watches. */
import type { QueueState } from '../../../shared/api.ts';
import { listManifests } from '../../cases/batches.ts';
import { getScan, resumePlan } from '../../cases/scans.ts';
import type { HandlerGroup, ServiceContext } from '../context.ts';

type Calls = 'batches/list' | 'batches/queue';

const NO_QUEUE: QueueState = { queue: null, connected: false, error: null, counts: null, workers: [] };

export function batchHandlers(ctx: ServiceContext): HandlerGroup<Calls> {
  const { cdb } = ctx;
  return {
    'batches/list': () =>
      listManifests(cdb.paths.dataDir).map((m) => ({
        batchId: m.batchId,
        created: m.created,
        queue: m.queue,
        caseId: m.caseId,
        caseName: m.caseName,
        scans: m.items.map((it) => {
          const s = getScan(cdb, it.scanId);
          return {
            scanId: s.id,
            model: it.model,
            status: s.status,
            classesDone: resumePlan(cdb, s.id).done.length,
            numClasses: s.numClasses,
            verdict: s.verdict,
            score: s.score,
            target: s.target,
            error: s.error,
          };
        }),
      })),
    'batches/queue': async () => (ctx.queueState ? await ctx.queueState() : NO_QUEUE),
  };
}
