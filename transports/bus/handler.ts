/**
 * Runs a subscriber's handler so that its failure stays its own: a throw (or the rejection of
 * an async handler) is logged and the next subscriber still gets the message. In nats.js an
 * exception escaping a subscription callback would unwind into the protocol parser.
 */
import type { Logger } from '../../runtime/log.js';
import type { BusHandler, BusMessage } from './types.js';

export function invokeHandler(handler: BusHandler, msg: BusMessage, log: Logger): void {
  try {
    const r: unknown = handler(msg);
    if (r instanceof Promise) r.catch((err: unknown) => logFailure(log, msg, err));
  } catch (err) {
    logFailure(log, msg, err);
  }
}

function logFailure(log: Logger, msg: BusMessage, err: unknown): void {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  log.error({ subject: msg.subject, code, err: err instanceof Error ? err.message : String(err) }, 'bus handler failed');
}
