/**
 * Errors of the message bus. Callers match on `code` (never on the class after a hop), the
 * same codes whichever implementation is running, so an in-process test and a NATS deployment
 * take the same branches.
 */
import { FleetgateError } from '../../runtime/errors.js';

export class BusError extends FleetgateError {}

export const BusCodes = {
  /** Not connected (NATS down or reconnecting) or the bus is closed: health checks fail with it. */
  UNAVAILABLE: 'ERR_BUS_UNAVAILABLE',
  /** A request got no reply within its deadline. */
  TIMEOUT: 'ERR_BUS_TIMEOUT',
  /** A request was published where nobody listens (NATS 503 status; in-process: no subscriber). */
  NO_RESPONDERS: 'ERR_NO_RESPONDERS',
  /** The bus was closed (or is draining) and takes no more work. */
  CLOSED: 'ERR_BUS_CLOSED',
  /** The in-process queue is full: shed load upstream instead of growing without bound. */
  OVERLOADED: 'ERR_BUS_OVERLOADED',
  /** The payload is larger than the server's max_payload. */
  PAYLOAD_TOO_LARGE: 'ERR_BUS_PAYLOAD_TOO_LARGE',
  /** A message could not be decoded (truncated, trailing bytes, wrong schema, hostile sizes). */
  DECODE: 'ERR_DECODE',
} as const;

export type BusCode = (typeof BusCodes)[keyof typeof BusCodes];
