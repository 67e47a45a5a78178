/**
 * The embedded bus: NATS core semantics inside one process (one thread).
 *
 * Ordering: one FIFO queue for the whole bus, so messages from one publisher reach every handler
 * in publication order, as NATS guarantees per connection. Delivery is never re-entrant: publish
 * only enqueues, and a drain scheduled with queueMicrotask dispatches; a drain stops after
 * `batchSize` messages and continues on setImmediate so that a handler chain that keeps
 * publishing cannot starve I/O. A subscription sees only messages published after it was made
 * (nats-server routes at publication), and none after it is unsubscribed.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import { logger, type Logger } from '../../runtime/log.js';
import { BusCodes, BusError } from './errors.js';
import { assertLiteralSubject, assertPattern, assertQueueName, assertTimeout } from './subject.js';
import { Sublist, type SubEntry } from './sublist.js';
import type { Bus, BusHandler, BusMessage, Subscription } from './types.js';
import { invokeHandler } from './handler.js';

export interface InProcessBusOptions {
  /** Most messages waiting for dispatch (default 65,536). */
  maxPending?: number;
  /** Most messages dispatched in one go before yielding to the event loop (default 8,192). */
  batchSize?: number;
  /** Drives request timeouts; tests pass a ManualClock. */
  clock?: Clock;
  logger?: Logger;
}

const DEFAULT_MAX_PENDING = 65_536;
const DEFAULT_BATCH = 8_192;
const COMPACT_AFTER = 16_384;

/** Request timers keep the process alive (unlike `systemClock`'s): a caller awaits the reply. */
const refClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    return { id: 0, t: setTimeout(fn, ms) } as TimerHandle;
  },
  clearTimeout(h) {
    clearTimeout((h as unknown as { t: NodeJS.Timeout }).t);
  },
};

interface PendingRequest {
  resolve(data: Uint8Array): void;
  reject(err: BusError): void;
  timer: TimerHandle;
}

class Delivered implements BusMessage {
  constructor(
    readonly subject: string,
    readonly data: Uint8Array,
    readonly replyTo: string | undefined,
    private readonly bus: InProcessBus,
  ) {}

  respond(data: Uint8Array): void {
    if (this.replyTo !== undefined) this.bus.publish(this.replyTo, data);
  }
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v <= 0) throw new TypeError(`${name} must be a positive integer, got ${String(v)}`);
  return v;
}

export class InProcessBus implements Bus {
  readonly kind = 'inprocess' as const;
  readonly #subs = new Sublist();
  readonly #maxPending: number;
  readonly #batch: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  // The queue, as parallel arrays (no object per message); [#head, length) is pending.
  #qSubject: string[] = [];
  #qData: Uint8Array[] = [];
  #qReply: (string | undefined)[] = [];
  #qMaxSub: number[] = [];
  #head = 0;
  #scheduled = false;
  #nextSubId = 1;
  #rr = 0;
  #published = 0;
  #dispatched = 0;
  #flushWaiters: { target: number; resolve: () => void }[] = [];
  readonly #pending = new Map<string, PendingRequest>();
  readonly #inboxPrefix = `_INBOX.${randomBytes(8).toString('hex')}`;
  #inboxSeq = 0;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #closed: Promise<void> | undefined;

  constructor(opts: InProcessBusOptions = {}) {
    this.#maxPending = positiveInt('maxPending', opts.maxPending, DEFAULT_MAX_PENDING);
    this.#batch = positiveInt('batchSize', opts.batchSize, DEFAULT_BATCH);
    this.#clock = opts.clock ?? refClock;
    this.#log = opts.logger ?? logger('bus', { kind: 'inprocess' });
  }

  /** Messages waiting for dispatch. */
  get pending(): number {
    return this.#qSubject.length - this.#head;
  }

  publish(subject: string, data: Uint8Array, opts?: { replyTo?: string }): void {
    assertLiteralSubject(subject);
    const replyTo = opts?.replyTo;
    if (replyTo !== undefined) assertLiteralSubject(replyTo, 'replyTo');
    if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
    // Publishing stays allowed while closing: the drain runs handlers that may still respond.
    if (this.#state === 'closed') throw new BusError(BusCodes.CLOSED, 'the bus is closed');
    if (this.pending >= this.#maxPending) {
      throw new BusError(BusCodes.OVERLOADED, `the in-process bus has ${this.#maxPending} messages pending`, {
        data: { maxPending: this.#maxPending },
      });
    }
    this.#qSubject.push(subject);
    this.#qData.push(data);
    this.#qReply.push(replyTo);
    this.#qMaxSub.push(this.#nextSubId - 1);
    this.#published++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#drain);
    }
  }

  subscribe(subject: string, handler: BusHandler, opts?: { queue?: string }): Subscription {
    assertPattern(subject);
    const queue = opts?.queue;
    if (queue !== undefined) assertQueueName(queue);
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    if (this.#state !== 'open') throw new BusError(BusCodes.CLOSED, 'the bus is closed');
    const entry: SubEntry = { id: this.#nextSubId++, pattern: subject, queue, handler, closed: false };
    this.#subs.insert(entry);
    return {
      subject,
      unsubscribe: () => {
        if (entry.closed) return;
        entry.closed = true;
        this.#subs.remove(entry);
      },
    };
  }

  request(subject: string, data: Uint8Array, opts: { timeoutMs: number }): Promise<Uint8Array> {
    // Misuse throws at the call; failures of the exchange reject.
    assertTimeout(opts?.timeoutMs);
    assertLiteralSubject(subject);
    if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
    if (this.#state !== 'open') return Promise.reject(new BusError(BusCodes.CLOSED, 'the bus is closed'));
    const inbox = `${this.#inboxPrefix}${(this.#inboxSeq++).toString(36)}`;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        if (this.#pending.delete(inbox)) {
          reject(new BusError(BusCodes.TIMEOUT, `no reply on ${subject} within ${opts.timeoutMs} ms`, {
            data: { subject, timeoutMs: opts.timeoutMs },
          }));
        }
      }, opts.timeoutMs);
      this.#pending.set(inbox, { resolve, reject, timer });
      try {
        this.publish(subject, data, { replyTo: inbox });
      } catch (err) {
        this.#settle(inbox);
        reject(err);
      }
    });
  }

  flush(): Promise<void> {
    if (this.#dispatched >= this.#published) return Promise.resolve();
    return new Promise((resolve) => this.#flushWaiters.push({ target: this.#published, resolve }));
  }

  async health(): Promise<void> {
    if (this.#state !== 'open') throw new BusError(BusCodes.UNAVAILABLE, 'the bus is closed', { data: { state: this.#state } });
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#state = 'closing';
      // Handlers run during the drain may publish more; flush until nothing is left.
      while (this.#dispatched < this.#published) await this.flush();
      this.#state = 'closed';
      for (const [inbox, p] of [...this.#pending]) {
        this.#settle(inbox);
        p.reject(new BusError(BusCodes.CLOSED, 'the bus closed before the reply came'));
      }
    })();
    return this.#closed;
  }

  #settle(inbox: string): PendingRequest | undefined {
    const p = this.#pending.get(inbox);
    if (p !== undefined) {
      this.#pending.delete(inbox);
      this.#clock.clearTimeout(p.timer);
    }
    return p;
  }

  readonly #drain = (): void => {
    // Handlers' own publications join this drain until the batch is spent, which keeps
    // request/reply chains at microtask latency; the rest waits for the next loop turn.
    let budget = this.#batch;
    while (budget-- > 0 && this.#head < this.#qSubject.length) this.#dispatchOne();
    this.#afterBatch();
  };

  #afterBatch(): void {
    if (this.#head === this.#qSubject.length) {
      this.#qSubject.length = 0;
      this.#qData.length = 0;
      this.#qReply.length = 0;
      this.#qMaxSub.length = 0;
      this.#head = 0;
      this.#scheduled = false;
    } else {
      // Under sustained load the queue may never run empty: drop the consumed prefix now and
      // then, or the arrays would grow for ever behind #head.
      if (this.#head >= COMPACT_AFTER) {
        this.#qSubject = this.#qSubject.slice(this.#head);
        this.#qData = this.#qData.slice(this.#head);
        this.#qReply = this.#qReply.slice(this.#head);
        this.#qMaxSub = this.#qMaxSub.slice(this.#head);
        this.#head = 0;
      }
      setImmediate(this.#drain);
    }
    if (this.#flushWaiters.length > 0) {
      let i = 0;
      while (i < this.#flushWaiters.length && (this.#flushWaiters[i] as { target: number }).target <= this.#dispatched) i++;
      const done = this.#flushWaiters.splice(0, i);
      for (const w of done) w.resolve();
    }
  }

  #dispatchOne(): void {
    const h = this.#head++;
    const subject = this.#qSubject[h] as string;
    const data = this.#qData[h] as Uint8Array;
    const replyTo = this.#qReply[h];
    const maxSub = this.#qMaxSub[h] as number;
    // Release the payload early; the slot is reset when the queue empties.
    (this.#qData as (Uint8Array | undefined)[])[h] = undefined;
    this.#dispatched++;
    let delivered = 0;
    if (subject.startsWith(this.#inboxPrefix)) {
      const p = this.#settle(subject);
      if (p !== undefined) {
        p.resolve(data);
        delivered++;
      }
    }
    const m = this.#subs.match(subject);
    let msg: Delivered | undefined;
    for (const s of m.plain) {
      if (s.closed || s.id > maxSub) continue;
      msg ??= new Delivered(subject, data, replyTo, this);
      invokeHandler(s.handler, msg, this.#log);
      delivered++;
    }
    for (const g of m.groups) {
      const n = g.length;
      const start = this.#rr++ % n;
      for (let k = 0; k < n; k++) {
        const s = g[(start + k) % n] as SubEntry;
        if (s.closed || s.id > maxSub) continue;
        msg ??= new Delivered(subject, data, replyTo, this);
        invokeHandler(s.handler, msg, this.#log);
        delivered++;
        break;
      }
    }
    // nats-server answers a request nobody listens to with a 503 status at once; do the same.
    if (delivered === 0 && replyTo !== undefined && replyTo.startsWith(this.#inboxPrefix)) {
      this.#settle(replyTo)?.reject(new BusError(BusCodes.NO_RESPONDERS, `no responders on ${subject}`, { data: { subject } }));
    }
  }
}
