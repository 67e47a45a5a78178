/**
 * The bus as a shard worker sees it: a proxy of the one process-wide bus that the BusHub serves
 * on the main thread (see thread-hub.ts and the protocol in thread-protocol.ts).
 *
 * Subscriptions are kept here by id and mirrored on the real bus by the hub; a delivery names
 * the id, so an unsubscribe takes effect at once for deliveries already on their way. `request`
 * runs on the real bus (through the hub), which alone knows that nobody listens
 * (ERR_NO_RESPONDERS); the deadline is also armed here, on the injected clock, so that a hub that
 * never answers cannot leave a caller waiting.
 *
 * The port keeps the worker's event loop alive only while something is subscribed or awaited,
 * like a listening socket: a worker whose modules have unsubscribed can exit without closing it.
 */
import type { MessagePort } from 'node:worker_threads';
import { systemClock, type Clock, type TimerHandle } from '../../runtime/clock.js';
import type { WireError } from '../../runtime/errors.js';
import { logger, type Logger } from '../../runtime/log.js';
import { BusCodes, BusError } from './errors.js';
import { invokeHandler } from './handler.js';
import { assertLiteralSubject, assertPattern, assertQueueName, assertTimeout } from './subject.js';
import { entryPayload, FIRST_ENTRY, HubOp, newBatch, Slab, TRANSFER_MIN_BYTES, WorkerOp, wirePayload, type BusBatch } from './thread-protocol.js';
import type { Bus, BusHandler, BusMessage, Subscription } from './types.js';

export interface ThreadBusOptions {
  /** Most entries waiting to be posted to the hub within one turn (default 65,536); beyond it
   *  publish throws ERR_BUS_OVERLOADED, as the in-process bus does. */
  maxPending?: number;
  /** Drives request deadlines; tests pass a ManualClock. */
  clock?: Clock;
  logger?: Logger;
}

interface Waiter {
  resolve(v: unknown): void;
  reject(e: BusError): void;
  timer: TimerHandle | null;
}

const DEFAULT_MAX_PENDING = 65_536;

class ThreadMessage implements BusMessage {
  constructor(
    readonly subject: string,
    readonly data: Uint8Array,
    readonly replyTo: string | undefined,
    private readonly bus: ThreadBus,
  ) {}

  respond(data: Uint8Array): void {
    if (this.replyTo !== undefined) this.bus.publish(this.replyTo, data);
  }
}

/** A coded error from the hub, rebuilt under the bus's own class so callers see a BusError. */
function busError(w: WireError): BusError {
  return new BusError(w.code, w.message, w.data === undefined ? undefined : { data: w.data });
}

export class ThreadBus implements Bus {
  readonly kind = 'inprocess' as const;
  readonly #port: MessagePort;
  readonly #maxPending: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #handlers = new Map<number, BusHandler>();
  readonly #waiters = new Map<number, Waiter>();
  /** Buffers handed over by earlier batches: publishing one again would send an empty payload. */
  readonly #transferred = new WeakSet<ArrayBuffer>();
  #out: BusBatch = newBatch();
  #slab = new Slab();
  #outEntries = 0;
  #transfer = new Set<ArrayBuffer>();
  #scheduled = false;
  #nextSid = 1;
  #nextCorr = 1;
  #published = 0;
  #refed = false;
  /** 'gone': the hub's end closed (main thread shutting down); nothing will be answered. */
  #state: 'open' | 'closing' | 'closed' | 'gone' = 'open';
  #closed: Promise<void> | undefined;

  constructor(port: MessagePort, opts: ThreadBusOptions = {}) {
    const max = opts.maxPending ?? DEFAULT_MAX_PENDING;
    if (!Number.isSafeInteger(max) || max <= 0) throw new TypeError(`maxPending must be a positive integer, got ${String(max)}`);
    this.#port = port;
    this.#maxPending = max;
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger ?? logger('bus', { kind: 'thread' });
    port.on('message', (batch: BusBatch) => this.#receive(batch));
    port.on('close', () => this.#hubGone());
    port.unref();
  }

  publish(subject: string, data: Uint8Array, opts?: { replyTo?: string }): void {
    assertLiteralSubject(subject);
    const replyTo = opts?.replyTo;
    if (replyTo !== undefined) assertLiteralSubject(replyTo, 'replyTo');
    if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
    // As in-process: publishing stays allowed while closing, the drain may still respond.
    this.#assertWritable(this.#state === 'closed' || this.#state === 'gone');
    // Last: from here the array is in this turn's slab or transfer list, so nothing may throw after.
    this.#checkNotMoved(data);
    if (data.byteLength < TRANSFER_MIN_BYTES) this.#out.push(WorkerOp.PUB, subject, this.#slab.add(data), data.byteLength, replyTo ?? null);
    else this.#out.push(WorkerOp.PUB, subject, wirePayload(data, true, this.#transfer), -1, replyTo ?? null);
    this.#appended();
    this.#published++;
  }

  subscribe(subject: string, handler: BusHandler, opts?: { queue?: string }): Subscription {
    assertPattern(subject);
    const queue = opts?.queue;
    if (queue !== undefined) assertQueueName(queue);
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    if (this.#state !== 'open') throw new BusError(BusCodes.CLOSED, 'the bus is closed');
    const sid = this.#nextSid++;
    this.#handlers.set(sid, handler);
    this.#out.push(WorkerOp.SUB, sid, subject, queue ?? null);
    this.#appended();
    this.#updateRef();
    return {
      subject,
      unsubscribe: () => {
        if (!this.#handlers.delete(sid)) return;
        if (this.#state !== 'closed' && this.#state !== 'gone') {
          this.#out.push(WorkerOp.UNSUB, sid);
          this.#appended();
        }
        this.#updateRef();
      },
    };
  }

  request(subject: string, data: Uint8Array, opts: { timeoutMs: number }): Promise<Uint8Array> {
    // Misuse throws at the call; failures of the exchange reject (as InProcessBus).
    assertTimeout(opts?.timeoutMs);
    assertLiteralSubject(subject);
    if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
    if (this.#state !== 'open') return Promise.reject(new BusError(BusCodes.CLOSED, 'the bus is closed'));
    const payload = this.#payload(data);
    const { timeoutMs } = opts;
    return this.#call<Uint8Array>((corr) => [WorkerOp.REQ, corr, subject, payload, timeoutMs], {
      ms: timeoutMs,
      onTimeout: () => new BusError(BusCodes.TIMEOUT, `no reply on ${subject} within ${timeoutMs} ms`, { data: { subject, timeoutMs } }),
    });
  }

  flush(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    if (this.#state === 'gone') return Promise.reject(new BusError(BusCodes.CLOSED, 'the bus hub is gone'));
    return this.#call<void>((corr) => [WorkerOp.FLUSH, corr], null);
  }

  async health(): Promise<void> {
    if (this.#state !== 'open') throw new BusError(BusCodes.UNAVAILABLE, 'the bus is closed', { data: { state: this.#state } });
    await this.#call<void>((corr) => [WorkerOp.HEALTH, corr], null);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#state === 'open') this.#state = 'closing';
      // Handlers run by the flushed deliveries may publish more; flush until a round trip
      // finds nothing new (as InProcessBus.close does with its own queue).
      while (this.#state === 'closing') {
        const before = this.#published;
        await this.flush().catch(() => undefined);
        if (before === this.#published) break;
      }
      this.#sendNow();
      this.#state = 'closed';
      this.#handlers.clear();
      this.#failWaiters(() => new BusError(BusCodes.CLOSED, 'the bus closed before the reply came'));
      // Closing our end makes the hub drop every subscription of this worker.
      this.#port.close();
    })();
    return this.#closed;
  }

  /** The bus owns a published array: big ones are transferred, not copied (thread-protocol.ts). */
  #payload(data: Uint8Array): Uint8Array {
    if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
    this.#checkNotMoved(data);
    return wirePayload(data, true, this.#transfer);
  }

  #checkNotMoved(data: Uint8Array): void {
    if (this.#transferred.has(data.buffer as ArrayBuffer)) {
      throw new TypeError('data was published before and moved to another thread; publish a new array');
    }
  }

  #assertWritable(closed: boolean): void {
    if (closed) throw new BusError(BusCodes.CLOSED, 'the bus is closed');
    if (this.#outEntries >= this.#maxPending) {
      throw new BusError(BusCodes.OVERLOADED, `the thread bus has ${this.#maxPending} messages pending`, {
        data: { maxPending: this.#maxPending },
      });
    }
  }

  /** Sends an entry that the hub answers with OK/ERR under a fresh correlation id. */
  #call<T>(entry: (corr: number) => unknown[], deadline: { ms: number; onTimeout: () => BusError } | null): Promise<T> {
    const corr = this.#nextCorr++;
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = { resolve: resolve as (v: unknown) => void, reject, timer: null };
      if (deadline !== null) {
        w.timer = this.#clock.setTimeout(() => {
          if (this.#waiters.get(corr) !== w) return;
          this.#waiters.delete(corr);
          this.#updateRef();
          reject(deadline.onTimeout());
        }, deadline.ms);
      }
      this.#waiters.set(corr, w);
      for (const v of entry(corr)) this.#out.push(v);
      this.#appended();
      this.#updateRef();
    });
  }

  /** Counts the entry just pushed to #out and makes sure this turn's batch gets sent. */
  #appended(): void {
    this.#outEntries++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      // After this loop iteration's I/O callbacks, not after this one: the publishes of every
      // socket read in the iteration share one postMessage (one per message cost ~10 us each).
      setImmediate(() => this.#sendNow());
    }
  }

  #sendNow(): void {
    this.#scheduled = false;
    if (this.#outEntries === 0) return;
    const out = this.#out;
    const transfer: ArrayBuffer[] = [...this.#transfer];
    const slab = this.#slab.take();
    this.#out = newBatch();
    this.#outEntries = 0;
    this.#transfer = new Set();
    if (this.#state === 'gone') return;
    for (const b of transfer) this.#transferred.add(b);
    out[0] = slab;
    if (slab !== null) transfer.push(slab);
    // Only Uint8Arrays, an ArrayBuffer, strings, numbers and null are in it: cloning cannot fail.
    this.#port.postMessage(out, transfer);
  }

  #receive(batch: BusBatch): void {
    const slab = batch[0];
    for (let i = FIRST_ENTRY; i < batch.length; ) {
      const op = batch[i];
      if (op === HubOp.MSG) {
        const handler = this.#handlers.get(batch[i + 1] as number);
        if (handler !== undefined) {
          const replyTo = batch[i + 5] as string | null;
          invokeHandler(handler, new ThreadMessage(batch[i + 2] as string, entryPayload(slab, batch[i + 3], batch[i + 4] as number), replyTo ?? undefined, this), this.#log);
        }
        i += 6;
      } else {
        const w = this.#waiters.get(batch[i + 1] as number);
        if (w !== undefined) {
          this.#waiters.delete(batch[i + 1] as number);
          if (w.timer !== null) this.#clock.clearTimeout(w.timer);
          if (op === HubOp.OK) w.resolve(batch[i + 2]);
          else w.reject(busError(batch[i + 2] as WireError));
        }
        i += 3;
      }
    }
    this.#updateRef();
  }

  #hubGone(): void {
    if (this.#state === 'closed') return;
    this.#state = 'gone';
    this.#log.warn({ subscriptions: this.#handlers.size }, 'the bus hub went away; the thread bus is closed');
    this.#handlers.clear();
    this.#failWaiters(() => new BusError(BusCodes.CLOSED, 'the bus hub went away'));
  }

  #failWaiters(err: () => BusError): void {
    for (const [corr, w] of [...this.#waiters]) {
      this.#waiters.delete(corr);
      if (w.timer !== null) this.#clock.clearTimeout(w.timer);
      w.reject(err());
    }
    this.#updateRef();
  }

  /** Keeps the event loop alive while a subscription listens or an answer is awaited. */
  #updateRef(): void {
    const want = (this.#handlers.size > 0 || this.#waiters.size > 0) && (this.#state === 'open' || this.#state === 'closing');
    if (want === this.#refed) return;
    this.#refed = want;
    if (want) this.#port.ref();
    else this.#port.unref();
  }
}
