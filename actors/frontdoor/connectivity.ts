/**
 * The 9/ELCE connected and disconnected events of one shard, published in the order its
 * sessions announce them, but after the work that announced them and a few hundred at a time.
 *
 * A revocation that ends thousands of sessions used to encode and publish one disconnected event
 * per session in the same pass that closed their sockets: on the token revoke-storm (10,000
 * sessions, each carrying an endpoint) the events took the p99 from socket end from ~400 to
 * ~470 ms, and kept the shard serving the REST call busy for 250-300 ms. Deferred, the sockets
 * close first (what the devices wait for) and the listeners hear of it just after.
 *
 * Order: one FIFO per shard, so a session's connected event always precedes its disconnected
 * one, as when they were published at once; across shards there was no order before either.
 * Bounded: beyond `maxQueued` waiting events, an announcement is dropped and counted.
 */
export interface ConnectivityEvent {
  readonly connected: boolean;
  /** endpoint id -> application version */
  readonly endpoints: Record<string, string>;
  /** When the session connected or disconnected, ms since the epoch. */
  readonly at: number;
}

export interface ConnectivityOptions {
  /** Encodes and publishes one event, logging its own failures (it is not retried; a throw is
   *  swallowed here so that the events after it still go). */
  readonly publish: (e: ConnectivityEvent) => void;
  /** Events published per pass of the event loop (default 256). */
  readonly perPass?: number;
  /** Events that may wait (default 200,000). */
  readonly maxQueued?: number;
  /** Called once per dropped event. */
  readonly onDrop?: () => void;
}

export class ConnectivityEvents {
  readonly #o: Required<ConnectivityOptions>;
  #queue: ConnectivityEvent[] = [];
  #head = 0;
  #scheduled = false;

  constructor(o: ConnectivityOptions) {
    const perPass = o.perPass ?? 256;
    const maxQueued = o.maxQueued ?? 200_000;
    if (!Number.isInteger(perPass) || perPass < 1) throw new TypeError('perPass must be a positive integer');
    if (!Number.isInteger(maxQueued) || maxQueued < 1) throw new TypeError('maxQueued must be a positive integer');
    this.#o = { publish: o.publish, perPass, maxQueued, onDrop: o.onDrop ?? (() => undefined) };
  }

  /** Events waiting to be published. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  announce(e: ConnectivityEvent): void {
    if (this.queued >= this.#o.maxQueued) {
      this.#o.onDrop();
      return;
    }
    this.#queue.push(e);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#pass);
    }
  }

  /** Publishes everything waiting, now (on shutdown). */
  flush(): void {
    while (this.queued > 0) this.#publishSome(Number.MAX_SAFE_INTEGER);
  }

  readonly #pass = (): void => {
    this.#scheduled = false;
    this.#publishSome(this.#o.perPass);
    if (this.queued > 0) {
      this.#scheduled = true;
      setImmediate(this.#pass);
    }
  };

  #publishSome(n: number): void {
    const end = Math.min(this.#queue.length, this.#head + n);
    while (this.#head < end) {
      const e = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as ConnectivityEvent;
      try {
        this.#o.publish(e);
      } catch {
        // publish logs its own failures; the order of the rest is kept.
      }
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
