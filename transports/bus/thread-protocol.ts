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
 * Slot 0 of a batch is its *slab*: one ArrayBuffer holding the small payloads of its PUB and
 * MSG entries end to end (or null), transferred with the batch. Such an entry's data slot is the
 * payload's offset in the slab and the next slot its length; a payload of TRANSFER_MIN_BYTES or
 * more travels as its own Uint8Array as before (length -1). Cloning a Uint8Array costs the
 * serializer and the deserializer an ArrayBuffer each: a hundred 115-byte payloads sent and
 * received one by one measured 1.15 us a payload, in a slab 0.27 us, and on the publish bench
 * the main thread's CPU per message fell from 1.7-1.8 to 1.3-1.5 us. A payload received this
 * way is a view of the slab, which stays alive while a view does.
 *
 * Ordering: a MessagePort delivers in send order and each side appends in call order, so what
 * one ThreadBus publishes reaches the real bus in publication order (the NATS per-connection
 * guarantee), a SUB sent before a PUB is in place when that PUB is dispatched, and the reply to a
 * FLUSH leaves the hub after every delivery the flushed publications caused.
 */
import type { WireError } from '../../runtime/errors.js';

/** Worker -> hub. `corr` is the ThreadBus's correlation id for the answer (HubOp.OK / ERR). */
export const WorkerOp = {
  /** [PUB, subject, data, length, replyTo | null]: data is an offset in the batch's slab, or a
   *  Uint8Array of its own with length -1. */
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
  /** [MSG, sid, subject, data, length, replyTo | null]: a delivery to the worker's subscription
   *  `sid`; data as in PUB. */
  MSG: 0,
  /** [OK, corr, value]: the reply payload of a REQ, undefined for FLUSH and HEALTH. */
  OK: 1,
  /** [ERR, corr, WireError] */
  ERR: 2,
} as const;

/** One batch, either direction: the slab, then entries; see WorkerOp / HubOp for their layout. */
export type BusBatch = unknown[];

/** Where a batch's entries start (slot 0 is the slab). */
export const FIRST_ENTRY = 1;

/** A new batch, its slab slot still empty. */
export function newBatch(): BusBatch {
  return [null];
}

/**
 * The small payloads of one batch, gathered as the entries are appended and copied into one
 * ArrayBuffer when the batch is sent: when a structured clone would have read them, so a
 * publisher's array is read at the same moment as before.
 */
export class Slab {
  #parts: Uint8Array[] = [];
  #bytes = 0;

  /** Gathers `data` (under TRANSFER_MIN_BYTES) and answers its offset in the slab to be. */
  add(data: Uint8Array): number {
    const offset = this.#bytes;
    this.#parts.push(data);
    this.#bytes += data.byteLength;
    return offset;
  }
  /** The slab of what was added since the last take, or null when nothing was. */
  take(): ArrayBuffer | null {
    if (this.#parts.length === 0) return null;
    const slab = new ArrayBuffer(this.#bytes);
    const bytes = new Uint8Array(slab);
    let at = 0;
    for (const p of this.#parts) {
      bytes.set(p, at);
      at += p.byteLength;
    }
    this.#parts = [];
    this.#bytes = 0;
    return slab;
  }
}
/** The payload of a PUB or MSG entry: a view of the slab, or the array that travelled itself. */
export function entryPayload(slab: unknown, data: unknown, length: number): Uint8Array {
  return typeof data === 'number' ? new Uint8Array(slab as ArrayBuffer, data, length) : (data as Uint8Array);
}

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
