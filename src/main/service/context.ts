/**
 * What every handler of the service shares: the case database, the job manager, the settings and the
 * facts app/info reports. One context per engine host.
 */
import type { ApiEvent, AppInfo, Method, ParsedArgs, QueueState, Result } from '../../shared/api.ts';
import type { CaseDb } from '../cases/db.ts';
import type { JobManager } from './jobs.ts';
import type { SettingsStore } from './settings.ts';

export interface ServiceContext {
  cdb: CaseDb;
  jobs: JobManager;
  settings: SettingsStore;
  host: AppInfo['host'];
  generation: number;
  backend: string;
  /** Render a PDF into report archives (needs Chromium; tests turn it off for speed). */
  pdf: boolean;
  emit: (e: ApiEvent) => void;
  /** The batch queue's state, when this host watches one (`uma serve --queue`). */
  queueState?: () => Promise<QueueState>;
}

/** A handler receives arguments already validated (defaults filled in) by the call's zod schema. */
export type Handler<M extends Method> = (args: ParsedArgs<M>) => Promise<Result<M>> | Result<M>;
export type Handlers = { [M in Method]: Handler<M> };
export type HandlerGroup<K extends Method> = { [M in K]: Handler<M> };
