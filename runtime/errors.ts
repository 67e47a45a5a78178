/**
 * Coded errors. Every error fleetgate raises on purpose carries a stable string `code`
 * that callers match on, a human message, optional structured `data`, and a `cause`.
 * Across a thread hop or the bus an error travels as a plain `{ code, message, data }`
 * record (`toWire` / `fromWire`); `instanceof` is never relied on after such a hop.
 */

export interface WireError {
  code: string;
  message: string;
  data?: Record<string, unknown>;
}

export class FleetgateError extends Error {
  readonly code: string;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options?.data;
  }

  override get name(): string {
    return this.constructor.name;
  }

  toWire(): WireError {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** Errors of the actor runtime: mailboxes, asks, shards. */
export class RuntimeError extends FleetgateError {}

/** Errors of configuration loading and validation. */
export class ConfigError extends FleetgateError {}

/** Errors of the hashing pool. */
export class HashingError extends FleetgateError {}

/** An error rebuilt from its wire form, after a thread hop or a bus round trip. */
export class RemoteError extends FleetgateError {}

/** Stable runtime codes, matched on by callers (transports map them to wire replies). */
export const RuntimeCodes = {
  /** The target actor's mailbox is full: answer "busy" upstream, do not retry in a loop. */
  MAILBOX_FULL: 'ERR_MAILBOX_FULL',
  /** An ask got no reply within its deadline. */
  ASK_TIMEOUT: 'ERR_ASK_TIMEOUT',
  /** The shard hosting the actor is down (crashed, restarting) or the system is stopping. */
  SHARD_UNAVAILABLE: 'ERR_SHARD_UNAVAILABLE',
  /** No actor kind with that name is registered. */
  UNKNOWN_KIND: 'ERR_UNKNOWN_ACTOR_KIND',
  /** The runtime no longer takes new messages (graceful shutdown in progress). */
  STOPPING: 'ERR_STOPPING',
  /** A handler threw something that was not a FleetgateError. */
  HANDLER_FAILED: 'ERR_HANDLER_FAILED',
  /** A message or reply could not be cloned across threads. */
  NOT_CLONEABLE: 'ERR_NOT_CLONEABLE',
} as const;

/** Turns anything thrown into its wire form. Unknown throwables keep only a generic message
 *  under HANDLER_FAILED, so that internals (SQL, stack, secrets) never leave the process. */
export function toWireError(err: unknown): WireError {
  if (err instanceof FleetgateError) return err.toWire();
  if (isWireError(err)) return { code: err.code, message: err.message, ...(err.data ? { data: err.data } : {}) };
  return { code: RuntimeCodes.HANDLER_FAILED, message: 'the handler failed' };
}

export function fromWireError(w: WireError): RemoteError {
  return new RemoteError(w.code, w.message, w.data === undefined ? undefined : { data: w.data });
}

export function isWireError(v: unknown): v is WireError {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { code?: unknown }).code === 'string' &&
    typeof (v as { message?: unknown }).message === 'string'
  );
}

/** True when `err` carries the given code, whatever its class or thread of origin. */
export function hasCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
