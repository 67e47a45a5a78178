/**
 * The main-thread side of the process-wide bus: one real Bus (normally an InProcessBus) served
 * to every shard worker through a MessagePort of its own (runtime/module.ts Hub). Each worker's
 * subscriptions are mirrored on the real bus and its deliveries go back on its port, batched per
 * turn; when the port closes (the worker stopped or died), its subscriptions are removed, so a
 * dead worker stops taking its share of a queue group at once.
 *
 * The hub never transfers a payload it forwards: the real bus hands the same array to every
 * subscriber, on this thread and on others, so each port gets a copy (thread-protocol.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import { toWireError } from '../../runtime/errors.js';
import { logger, type Logger } from '../../runtime/log.js';
import type { Hub } from '../../runtime/module.js';
import { entryPayload, FIRST_ENTRY, HubOp, newBatch, Slab, TRANSFER_MIN_BYTES, WorkerOp, wirePayload, type BusBatch } from './thread-protocol.js';
import type { Bus, BusMessage, Subscription } from './types.js';

export interface BusHubOptions {
  /** The hub's name, which shard modules pass to `host.hub()` (default 'bus'). */
  name?: string;
  logger?: Logger;
}

/** One attached worker. */
class Conn {
  readonly subs = new Map<number, Subscription>();
  out: BusBatch = newBatch();
  readonly slab = new Slab();
  scheduled = false;
  open = true;
  /** The last payload forwarded and where it went: one message matched by several of this
   *  worker's subscriptions is copied once (into the slab, or as one cloned array). */
  lastData: Uint8Array | null = null;
  lastRef: number | Uint8Array = -1;

  constructor(
    readonly port: MessagePort,
    readonly shard: number,
  ) {}
}

export class BusHub implements Hub {
  readonly name: string;
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #conns = new Set<Conn>();
  /** Worker publications the real bus refused (overloaded, closed): a publish has no answer. */
  #dropped = 0;

  constructor(bus: Bus, opts: BusHubOptions = {}) {
    if (typeof bus?.publish !== 'function' || typeof bus.subscribe !== 'function') throw new TypeError('BusHub needs a Bus');
    const name = opts.name ?? 'bus';
    if (typeof name !== 'string' || name === '') throw new TypeError('BusHub name must be a non-empty string');
    this.name = name;
    this.#bus = bus;
    this.#log = opts.logger ?? logger('bus-hub', { hub: name });
  }

  /** Worker publications dropped because the real bus refused them. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Workers currently attached. */
  get attached(): number {
    return this.#conns.size;
  }

  attach(port: MessagePort, shard: number): void {
    const conn = new Conn(port, shard);
    this.#conns.add(conn);
    port.on('message', (batch: BusBatch) => this.#receive(conn, batch));
    port.on('close', () => this.#detach(conn));
    // The hub serves; it does not keep the process alive (the workers and their owner do).
    port.unref();
  }

  async close(): Promise<void> {
    for (const conn of [...this.#conns]) {
      this.#detach(conn);
      conn.port.close();
    }
  }

  #detach(conn: Conn): void {
    if (!conn.open) return;
    conn.open = false;
    this.#conns.delete(conn);
    for (const s of conn.subs.values()) s.unsubscribe();
    conn.subs.clear();
    conn.out = newBatch();
    conn.slab.take();
  }

  #receive(conn: Conn, batch: BusBatch): void {
    let dropped = 0;
    let firstError: unknown;
    const slab = batch[0];
    for (let i = FIRST_ENTRY; i < batch.length; ) {
      switch (batch[i]) {
        case WorkerOp.PUB: {
          const replyTo = batch[i + 4] as string | null;
          try {
            this.#bus.publish(batch[i + 1] as string, entryPayload(slab, batch[i + 2], batch[i + 3] as number), replyTo === null ? undefined : { replyTo });
          } catch (err) {
            dropped++;
            firstError ??= err;
          }
          i += 5;
          break;
        }
        case WorkerOp.SUB:
          this.#subscribe(conn, batch[i + 1] as number, batch[i + 2] as string, batch[i + 3] as string | null);
          i += 4;
          break;
        case WorkerOp.UNSUB: {
          const sid = batch[i + 1] as number;
          conn.subs.get(sid)?.unsubscribe();
          conn.subs.delete(sid);
          i += 2;
          break;
        }
        case WorkerOp.REQ: {
          const corr = batch[i + 1] as number;
          this.#answer(conn, corr, () =>
            this.#bus.request(batch[i + 2] as string, batch[i + 3] as Uint8Array, { timeoutMs: batch[i + 4] as number }),
          );
          i += 5;
          break;
        }
        case WorkerOp.FLUSH:
          this.#answer(conn, batch[i + 1] as number, () => this.#bus.flush());
          i += 2;
          break;
        case WorkerOp.HEALTH:
          this.#answer(conn, batch[i + 1] as number, () => this.#bus.health());
          i += 2;
          break;
        default:
          // Only a ThreadBus of another build could send this; nothing after it can be parsed.
          this.#log.error({ shard: conn.shard, op: batch[i] }, 'bus hub: unknown entry, batch dropped');
          return;
      }
    }
    if (dropped > 0) {
      // One line per batch, not per message: an overloaded bus must not also flood the log.
      this.#dropped += dropped;
      this.#log.warn({ shard: conn.shard, dropped, code: toWireError(firstError).code }, 'bus hub: publications refused by the bus');
    }
  }

  #subscribe(conn: Conn, sid: number, pattern: string, queue: string | null): void {
    try {
      const sub = this.#bus.subscribe(pattern, (m) => this.#deliver(conn, sid, m), queue === null ? undefined : { queue });
      conn.subs.set(sid, sub);
    } catch (err) {
      // The ThreadBus validated the pattern, so this is the real bus closing: nothing to deliver.
      this.#log.warn({ shard: conn.shard, code: toWireError(err).code }, 'bus hub: subscription refused by the bus');
    }
  }

  #deliver(conn: Conn, sid: number, m: BusMessage): void {
    if (!conn.open) return;
    const data = m.data;
    if (data !== conn.lastData) {
      conn.lastData = data;
      conn.lastRef = data.byteLength < TRANSFER_MIN_BYTES ? conn.slab.add(data) : wirePayload(data, false, null);
    }
    conn.out.push(HubOp.MSG, sid, m.subject, conn.lastRef, typeof conn.lastRef === 'number' ? data.byteLength : -1, m.replyTo ?? null);
    this.#schedule(conn);
  }

  /** Runs a request, flush or health check on the real bus and queues its answer. */
  #answer(conn: Conn, corr: number, run: () => Promise<Uint8Array | void>): void {
    let p: Promise<Uint8Array | void>;
    try {
      p = run();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (v) => {
        if (!conn.open) return;
        conn.out.push(HubOp.OK, corr, v instanceof Uint8Array ? wirePayload(v, false, null) : undefined);
        this.#schedule(conn);
      },
      (err: unknown) => {
        if (!conn.open) return;
        conn.out.push(HubOp.ERR, corr, toWireError(err));
        this.#schedule(conn);
      },
    );
  }

  #schedule(conn: Conn): void {
    if (!conn.scheduled) {
      conn.scheduled = true;
      setImmediate(() => this.#send(conn));
    }
  }

  #send(conn: Conn): void {
    conn.scheduled = false;
    const out = conn.out;
    const slab = conn.slab.take();
    conn.out = newBatch();
    conn.lastData = null;
    conn.lastRef = -1;
    if (!conn.open || out.length === FIRST_ENTRY) return;
    out[0] = slab;
    try {
      conn.port.postMessage(out, slab === null ? [] : [slab]);
    } catch (err) {
      // Payloads are Uint8Arrays and errors are plain records; a failure here is a bug.
      this.#log.error({ shard: conn.shard, err: err instanceof Error ? err.message : String(err) }, 'bus hub: batch could not be posted');
    }
  }
}
