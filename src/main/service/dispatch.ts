/**
 * The service's single entry: validate the arguments against the call's schema, run the handler,
 * and turn whatever it throws into a typed `{ok:false, error}`. Nothing thrown escapes, so a bad
 * message from one client never takes the host down.
 */
import { API, isMethod, type Method, type ParsedArgs, type Reply } from '../../shared/api.ts';
import { toErrorInfo, UmaError } from '../../shared/errors.ts';
import type { Handlers } from './context.ts';

export async function dispatch(handlers: Handlers, method: unknown, args: unknown): Promise<Reply<unknown>> {
  try {
    if (!isMethod(method))
      throw new UmaError(
        'BAD_INPUT',
        typeof method === 'string'
          ? `unknown call '${method.slice(0, 100)}'`
          : `a call's name is a string, not ${typeof method}`,
      );
    const handler = handlers[method] as (a: unknown) => unknown;
    return { ok: true, value: await handler(validateArgs(method, args)) };
  } catch (err) {
    const error = toErrorInfo(err);
    // details may hold values structured clone or the wire cannot carry; the message names the problem.
    return { ok: false, error: { code: error.code, message: error.message } };
  }
}

/** A call's arguments checked against its schema, defaults filled in; a BAD_INPUT UmaError naming each issue. */
export function validateArgs<M extends Method>(method: M, args: unknown): ParsedArgs<M> {
  const parsed = API[method].args.safeParse(args ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ');
    throw new UmaError('BAD_INPUT', `${method}: ${issues}`);
  }
  return parsed.data as ParsedArgs<M>;
}
