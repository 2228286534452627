/**
 * The one API client the stores use. main.ts installs the transport picked at start-up (the Electron
 * preload's window.uma, else the WebSocket client); tests install a fake. `call` turns an {ok:false}
 * reply into a thrown ApiError, so store actions read as straight-line code and catch in one place.
 */
import type { Args, Method, Result, UmaApi } from '../../../shared/api.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';

let current: UmaApi | null = null;

export function setApi(api: UmaApi): void {
  current = api;
}

export function api(): UmaApi {
  if (!current) throw new Error('the API client is not set up yet');
  return current;
}

export class ApiError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

export async function call<M extends Method>(method: M, args: Args<M>): Promise<Result<M>> {
  // The mapped UmaCalls type loses the link between M and its function; the index is still exact.
  const fn = api()[method] as (a: Args<M>) => Promise<{ ok: true; value: Result<M> } | { ok: false; error: ErrorInfo }>;
  const reply = await fn(args);
  if (!reply.ok) throw new ApiError(reply.error);
  return reply.value;
}

/** Any caught value as the {code, message} the UI shows. */
export function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof ApiError) return err.info;
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
