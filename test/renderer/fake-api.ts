/**
 * A fake of the API contract for store and component tests: every call answers from a handler (or
 * NOT_FOUND when the test gave none), every call is recorded, and `emit` plays a service event.
 */
import {
  METHODS,
  type ApiEvent,
  type Args,
  type Method,
  type Reply,
  type Result,
  type UmaApi,
} from '../../src/shared/api.ts';
import type { ErrorInfo } from '../../src/shared/errors.ts';

export type Handlers = { [M in Method]?: (args: Args<M>) => Result<M> | ErrorInfo | Promise<Result<M> | ErrorInfo> };

export interface FakeApi {
  api: UmaApi;
  calls: { method: Method; args: unknown }[];
  emit(e: ApiEvent): void;
  argsOf<M extends Method>(method: M): Args<M>[];
}

const isError = (v: unknown): v is ErrorInfo =>
  !!v && typeof v === 'object' && 'code' in v && 'message' in v && Object.keys(v).length <= 3;

export function fakeApi(handlers: Handlers): FakeApi {
  const calls: { method: Method; args: unknown }[] = [];
  const listeners = new Set<(e: ApiEvent) => void>();
  const api = Object.fromEntries(
    METHODS.map((m) => [
      m,
      async (args: unknown): Promise<Reply<unknown>> => {
        calls.push({ method: m, args });
        const h = handlers[m] as ((a: unknown) => unknown) | undefined;
        if (!h) return { ok: false, error: { code: 'NOT_FOUND', message: `fake has no ${m}` } };
        const v = await h(args);
        return isError(v) ? { ok: false, error: v } : { ok: true, value: v };
      },
    ]),
  ) as unknown as UmaApi;
  api.on = (l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  };
  return {
    api,
    calls,
    emit: (e) => listeners.forEach((l) => l(e)),
    argsOf: <M extends Method>(method: M) => calls.filter((c) => c.method === method).map((c) => c.args as Args<M>),
  };
}
