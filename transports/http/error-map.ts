/**
 * What a handler's failure looks like on the wire.
 *
 * A coded error (a FleetgateError, or its `{ code, message, data }` wire form after a thread
 * hop: never `instanceof` alone) whose code is in the status table is an answer the caller
 * meant: its code, its message as `detail`, its safe `data` members as extensions. Anything
 * else is a fault of ours: 500 with a fixed detail, and the error goes to the log only, since
 * its message may carry internals (SQL, paths, peer addresses).
 */
import type { Logger } from '../../runtime/index.js';
import { FleetgateError, isWireError } from '../../runtime/index.js';
import { HttpCodes, problem } from './responses.js';
import { reasonPhrase } from './status.js';
import type { HttpResponse } from './types.js';

export interface ErrorContext {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
}

export function errorResponse(err: unknown, statusForCode: Readonly<Record<string, number>>, log: Logger, ctx: ErrorContext): HttpResponse {
  if (err instanceof FleetgateError || isWireError(err)) {
    const status = Object.hasOwn(statusForCode, err.code) ? statusForCode[err.code] : undefined;
    if (status !== undefined) {
      const data = (err as { data?: unknown }).data;
      const extensions = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : undefined;
      // RFC 9110 10.2.3: the condition is temporary; a client that honours Retry-After
      // spreads its retries instead of hammering a full mailbox.
      const headers = status === 503 ? { 'retry-after': '1' } : undefined;
      return problem(status, err.code, reasonPhrase(status), err.message, extensions, headers);
    }
  }
  log.error({ ...ctx, err: summary(err) }, 'request handler failed');
  return internalError();
}

export function internalError(): HttpResponse {
  return problem(500, HttpCodes.INTERNAL, reasonPhrase(500), 'the server could not answer this request; the fault is logged');
}

/** The error fields worth a log line; nothing of the request. */
export function summary(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}), stack: err.stack };
  }
  if (isWireError(err)) return { code: err.code, message: err.message };
  return { thrown: typeof err };
}
