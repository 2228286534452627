/**
 * The CLI as a client of the service: `uma scan` and `uma resume` start the service in this process
 * on a case database (a temporary one when the scan names no case) and talk to it through the
 * in-memory transport. A CLI scan so has the one lifecycle of every scan: each class is written as it
 * finishes, a killed scan is left interrupted, and any client (`uma resume`, the app) resumes it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiEvent, Args, Method, Reply, Result, UmaApi } from '../../shared/api.ts';
import { UmaError } from '../../shared/errors.ts';
import type { ClassFinding, ScanResult } from '../../shared/results.ts';
import type { BackendChoice } from '../engine/backend/index.ts';
import { startService } from '../service/index.ts';
import type { RemoteScans } from '../service/remote-scans.ts';
import { memoryClient } from '../transport/memory.ts';
import type { CliIO } from './command.ts';
import { progressPrinter } from './progress-bar.ts';

export interface CliSession {
  /** Calls the service; a refused call throws its UmaError (the CLI prints it and exits 2). */
  call<M extends Method>(method: M, args: Args<M>): Promise<Result<M>>;
  /** Follows a job until done: progress and class lines on stderr; the result, or its error thrown. */
  /** kept: the classes stored before this run (a resumed scan's), counted in its progress lines. */
  follow(jobId: string, numClasses: number, kept: readonly ClassFinding[]): Promise<ScanResult>;
  /** Every event of the service, as it comes (the batch worker forwards them to its queue). */
  on(listener: (e: ApiEvent) => void): () => void;
  /** Scans run on a queue (uma batch, uma worker). */
  remote: RemoteScans;
  dbPath: string;
  dataDir: string;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** The case database; undefined = the default one; null = a temporary one, removed at close. */
  db: string | undefined | null;
  backend: BackendChoice;
}

export async function openCliSession(opts: SessionOptions, io: CliIO): Promise<CliSession> {
  const temp = opts.db === null ? fs.mkdtempSync(path.join(os.tmpdir(), 'uma-scan-')) : null;
  const service = await startService({
    dbPath: temp ? path.join(temp, 'cases.sqlite') : (opts.db ?? undefined),
    host: 'cli',
    backend: opts.backend,
    // Resuming is `uma resume`'s decision, scan by scan, not a side effect of opening the database.
    resumeInterrupted: false,
  });
  const client = memoryClient(service);
  const api: UmaApi = client.api;
  // Every event from the start: a job's first events may come before its id is known here.
  const seen: ApiEvent[] = [];
  const watchers = new Set<(e: ApiEvent) => void>();
  const off = api.on((e) => {
    seen.push(e);
    for (const w of watchers) w(e);
  });
  return {
    on(listener) {
      watchers.add(listener);
      return () => watchers.delete(listener);
    },
    remote: service.remote,
    dbPath: service.cdb.paths.db,
    dataDir: service.cdb.paths.dataDir,
    async call<M extends Method>(method: M, args: Args<M>) {
      const reply = await (api[method] as (a: Args<M>) => Promise<Reply<Result<M>>>)(args);
      if (!reply.ok) throw new UmaError(reply.error.code, reply.error.message, reply.error.details);
      return reply.value;
    },
    follow(jobId, numClasses, kept) {
      const print = progressPrinter(io, numClasses, kept);
      return new Promise((resolve, reject) => {
        const onEvent = (e: ApiEvent) => {
          if (!('jobId' in e) || e.jobId !== jobId) return;
          print(e);
          if (e.type === 'job/done' || e.type === 'job/failed') {
            watchers.delete(onEvent);
            if (e.type === 'job/done') resolve(e.result);
            else reject(new UmaError(e.error.code, e.error.message, e.error.details));
          }
        };
        watchers.add(onEvent);
        for (const e of seen.splice(0)) onEvent(e);
      });
    },
    async close() {
      off();
      client.close();
      await service.close();
      if (temp) fs.rmSync(temp, { recursive: true, force: true });
    },
  };
}
