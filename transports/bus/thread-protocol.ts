/**
 * The messages between a ThreadBus (in a shard worker) and the BusHub (on the main thread),
 * declared in one place.
 *
 * Both directions carry *batches*: one flat array per port per event-loop turn, entries laid end
 * to end, slot 0 of each entry an op code that also fixes its length (the runtime's data-plane
 * layout, runtime/messages.ts: a flat array clones about twice as fast as an array of small
 * objects, and one postMessage per turn instead of one per bus message is what keeps a busy
 * subject from costing a thread hop per message).
 *
 * Ordering: a MessagePort delivers in send order and each side appends in call order, so what
 * one ThreadBus publishes reaches the real bus in publication order (the NATS per-connection
 * guarantee), a SUB sent before a PUB is in place when that PUB is dispatched, and the reply to a
 * FLUSH leaves the hub after every delivery the flushed publications caused.
 */
import type { WireError } from '../../runtime/errors.js';

/** Worker -> hub. `corr` is the ThreadBus's correlation id for the answer (HubOp.OK / ERR). */
export const WorkerOp = {
  /** [PUB, subject, data, replyTo | null] */
  PUB: 0,
  /** [SUB, sid, pattern, queue | null]: the hub subscribes on the real bus for this worker. */
  SUB: 1,
  /** [UNSUB, sid] */
  UNSUB: 2,
  /** [REQ, corr, subject, data, timeoutMs]: the hub runs the real bus's request(). */
  REQ: 3,
  /** [FLUSH, corr]: answered once the real bus has dispatched everything published before. */
  FLUSH: 4,
  /** [HEALTH, corr] */
  HEALTH: 5,
} as const;

/** Hub -> worker. */
export const HubOp = {
  /** [MSG, sid, subject, data, replyTo | null]: a delivery to the worker's subscription `sid`. */
  MSG: 0,
  /** [OK, corr, value]: the reply payload of a REQ, undefined for FLUSH and HEALTH. */
  OK: 1,
  /** [ERR, corr, WireError] */
  ERR: 2,
} as const;

/** One batch, either direction; see WorkerOp / HubOp for each entry's layout. */
export type BusBatch = unknown[];

export type { WireError };

/**
 * Below this size a payload is cloned rather than transferred: the copy costs less than the
 * surprise of a publisher finding its (perhaps reused, perhaps constant) small array detached.
 */
export const TRANSFER_MIN_BYTES = 4096;

/**
 * What to post for `data`. Structured clone of a view copies the view's WHOLE underlying buffer
 * (8 KiB for a Buffer from Node's pool, a whole socket read for a NATS payload), and transferring
 * that buffer would detach memory other views still use: a view that does not own its buffer is
 * copied into one that does. `transfer` gets the buffer when `own` (the caller owns `data`, as
 * a publisher hands it to the bus) and the payload is big enough to be worth moving.
 */
export function wirePayload(data: Uint8Array, own: boolean, transfer: Set<ArrayBuffer> | null): Uint8Array {
  const buf = data.buffer;
  if (!(buf instanceof ArrayBuffer) || data.byteOffset !== 0 || data.byteLength !== buf.byteLength) {
    // Also covers SharedArrayBuffer, which would be shared rather than copied.
    return new Uint8Array(data);
  }
  if (own && transfer !== null && data.byteLength >= TRANSFER_MIN_BYTES) transfer.add(buf);
  return data;
}
