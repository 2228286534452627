/**
 * The service: the one implementation of src/shared/api.ts. It owns the case database handle, the
 * compute backend and the job manager of one engine host; transports (MessagePort, WebSocket, the
 * in-memory one of the tests) only carry `call` and the events of `on` to and from it.
 */
import type { ApiEvent, AppInfo, QueueState, Reply } from '../../shared/api.ts';
import { initBackend, type BackendChoice } from '../engine/backend/index.ts';
import type { CaseDb } from '../cases/db.ts';
import { openCaseDb } from '../cases/open.ts';
import type { Handlers, ServiceContext } from './context.ts';
import { dispatch } from './dispatch.ts';
import { batchHandlers } from './handlers/batches.ts';
import { caseHandlers } from './handlers/cases.ts';
import { evidenceHandlers } from './handlers/evidence.ts';
import { reportHandlers } from './handlers/reports.ts';
import { scanHandlers } from './handlers/scans.ts';
import { JobManager } from './jobs.ts';
import { remoteScans, type RemoteScans } from './remote-scans.ts';
import { settingsStore } from './settings.ts';

export interface ServiceOptions {
  /** The case database; default $UMA_HOME/cases.sqlite. */
  dbPath?: string;
  host: AppInfo['host'];
  /** How many times this host has been restarted (the Electron shell counts). */
  generation?: number;
  backend?: BackendChoice;
  /** Render PDFs into report archives (default true; needs Chromium). */
  pdf?: boolean;
  /** Reads the batch queue's state for batches/queue (`uma serve --queue URL`); absent: no queue. */
  queueState?: () => Promise<QueueState>;
  /** Re-queue scans left interrupted by a dead host (default true); a batch's scans are its coordinator's. */
  resumeInterrupted?: boolean;
}

export interface Service {
  /** Identifies this start of the service; a client seeing a new one knows the host restarted. */
  readonly instance: string;
  readonly generation: number;
  /** Scans re-queued at start-up. */
  readonly resumedScanIds: number[];
  readonly cdb: CaseDb;
  /** Batch scans on a queue (coordinator and worker sides); in-process only, not a call of the contract. */
  readonly remote: RemoteScans;
  call(method: unknown, args: unknown): Promise<Reply<unknown>>;
  on(listener: (e: ApiEvent) => void): () => void;
  close(): Promise<void>;
}

export async function startService(opts: ServiceOptions): Promise<Service> {
  const backend = await initBackend(opts.backend ?? 'auto');
  const cdb = openCaseDb({ path: opts.dbPath });
  const listeners = new Set<(e: ApiEvent) => void>();
  const emit = (e: ApiEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // One broken client (a closed socket) must not stop the others or the scan.
      }
    }
  };
  const settings = settingsStore(cdb.paths.dataDir);
  const jobs = new JobManager(cdb, emit, () => settings.get().workers || undefined);
  const generation = opts.generation ?? 0;
  const ctx: ServiceContext = {
    cdb,
    jobs,
    settings,
    host: opts.host,
    generation,
    backend: backend.isGpu ? `${backend.name} on ${backend.device}` : backend.name,
    pdf: opts.pdf ?? true,
    emit,
    queueState: opts.queueState,
  };
  const handlers: Handlers = {
    ...caseHandlers(ctx),
    ...evidenceHandlers(ctx),
    ...scanHandlers(ctx),
    ...reportHandlers(ctx),
    ...batchHandlers(ctx),
  };

  const resumedScanIds: number[] = [];
  if (opts.resumeInterrupted ?? true) {
    const interrupted = cdb.sql
      .prepare(
        `SELECT id FROM scans WHERE status = 'interrupted' AND job_json IS NOT NULL
           AND json_extract(job_json, '$.batch') IS NULL ORDER BY id`,
      )
      .all() as { id: number }[];
    for (const { id } of interrupted) {
      jobs.enqueue(id);
      resumedScanIds.push(id);
    }
  }

  return {
    instance: `${process.pid}@${new Date().toISOString()}`,
    generation,
    resumedScanIds,
    cdb,
    remote: remoteScans(ctx),
    call: (method, args) => dispatch(handlers, method, args),
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      await jobs.close();
      listeners.clear();
      cdb.sql.close();
    },
  };
}
