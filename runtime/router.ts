/**
 * Routing between threads. Every thread that talks to actors (each shard worker, and the main
 * thread as a client) has one Router: it finds the shard of (kind, key), delivers locally or
 * appends to the batch of the link towards that shard, and keeps the asks it sent until their
 * reply, deadline or the death of the target shard, whichever comes first.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ActorRef } from './actor.js';
import type { Clock, TimerHandle } from './clock.js';
import { fromWireError, RuntimeCodes, RuntimeError, toWireError, type WireError } from './errors.js';
import { Op, type Batch } from './messages.js';
import type { ReplySink, Shard } from './shard.js';

/** FNV-1a over kind and key: cheap, stable across threads and restarts, well spread. */
export function shardOf(kind: string, key: string, shardCount: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < kind.length; i++) h = Math.imul(h ^ kind.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0x2f, 0x01000193);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % shardCount;
}

/**
 * One key per shard for `kind`, such that key i hashes to shard i: `<prefix>-<n>` for the first
 * n that lands there. For actors that must exist once on every shard (a shard's view of
 * something, a socket's port), addressed like any other actor.
 */
export function keysPerShard(kind: string, prefix: string, shardCount: number): string[] {
  const keys: string[] = new Array<string>(shardCount);
  let missing = shardCount;
  for (let n = 0; missing > 0; n++) {
    const key = `${prefix}-${n}`;
    const s = shardOf(kind, key, shardCount);
    if (keys[s] === undefined) {
      keys[s] = key;
      missing--;
    }
  }
  return keys;
}

interface PendingAsk {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: TimerHandle;
  shard: number;
}

/** The batched, ordered channel from this thread to one other thread. */
class Link {
  out: Batch = [];
  /** Entries in `out`. */
  count = 0;
  /** Target of the last TELL/ASK in `out`, for the *_SAME forms. */
  lastKind: string | null = null;
  lastKey: string | null = null;
  scheduled = false;
  sent = 0;
  received = 0;
  constructor(
    readonly peer: number,
    readonly port: MessagePort,
  ) {}
}

/** Reply to an ask that came over a link: goes back on the same link. */
class RemoteReply implements ReplySink {
  constructor(
    readonly router: Router,
    readonly link: Link,
    readonly corr: number,
  ) {}
  ok(value: unknown): void {
    this.link.out.push(Op.REPLY_OK, this.corr, value);
    this.router.appended(this.link);
  }
  err(error: WireError): void {
    this.link.out.push(Op.REPLY_ERR, this.corr, error);
    this.router.appended(this.link);
  }
}

export interface RouterCounters {
  batchesSent: number;
  entriesSent: number;
  uncloneable: number;
}

/** Data-plane entries exchanged with each peer over its current link (index = shard; the
 *  last index is the main thread). Reset when a link is rewired, so that what was lost with a
 *  dead worker does not unbalance the shutdown's sent == received check. */
export interface LinkCounts {
  sentTo: number[];
  receivedFrom: number[];
}

export class Router implements ActorRef {
  readonly counters: RouterCounters = { batchesSent: 0, entriesSent: 0, uncloneable: 0 };
  #links: (Link | null)[];
  /** Links from threads that host no actors (the main thread): we only answer on them. */
  #clients = new Set<Link>();
  #pending = new Map<number, PendingAsk>();
  #seq = 0;

  /**
   * @param shardId this thread's shard, or -1 for a thread that hosts no actors (main)
   * @param local the shard hosted here, if any
   */
  constructor(
    readonly shardId: number,
    readonly shardCount: number,
    readonly local: Shard | null,
    readonly clock: Clock,
    readonly askTimeoutMs: number,
    readonly maxBatch: number,
  ) {
    this.#links = new Array<Link | null>(shardCount).fill(null);
    if (local) local.ref = this;
  }

  /** Connects (or reconnects, after a restart) the link towards `peer`. */
  connect(peer: number, port: MessagePort): void {
    this.#links[peer]?.port.close();
    const link = new Link(peer, port);
    this.#links[peer] = link;
    port.on('message', (batch: Batch) => this.#receive(link, batch));
    // A port closes when the thread at its other end dies: fail what waits on it at once.
    port.on('close', () => {
      if (this.#links[peer] === link) this.peerDown(peer);
    });
  }

  /** Accepts asks and tells from a thread that hosts no actors; replies go back on `port`. */
  attachClient(port: MessagePort): void {
    const link = new Link(-1, port);
    this.#clients.add(link);
    port.on('message', (batch: Batch) => this.#receive(link, batch));
    port.on('close', () => this.#clients.delete(link));
  }

  /** The shard `peer` is gone: fail the asks waiting on it, refuse traffic until reconnected. */
  peerDown(peer: number): void {
    const link = this.#links[peer];
    this.#links[peer] = null;
    link?.port.close();
    for (const [corr, p] of this.#pending) {
      if (p.shard !== peer) continue;
      this.#pending.delete(corr);
      this.clock.clearTimeout(p.timer);
      p.reject(unavailable(peer));
    }
  }

  isConnected(peer: number): boolean {
    return peer === this.shardId ? this.local !== null : this.#links[peer] !== null;
  }

  /** See LinkCounts. A client link (from the main thread) reports at index shardCount. */
  linkCounts(): LinkCounts {
    const n = this.shardCount + 1;
    const c: LinkCounts = { sentTo: new Array<number>(n).fill(0), receivedFrom: new Array<number>(n).fill(0) };
    this.#links.forEach((l, i) => {
      if (l) {
        c.sentTo[i] = l.sent;
        c.receivedFrom[i] = l.received;
      }
    });
    for (const l of this.#clients) {
      c.sentTo[this.shardCount]! += l.sent;
      c.receivedFrom[this.shardCount]! += l.received;
    }
    return c;
  }

  get pendingAsks(): number {
    return this.#pending.size;
  }

  tell(kind: string, key: string, message: unknown): void {
    const s = shardOf(kind, key, this.shardCount);
    if (s === this.shardId) {
      this.local!.deliver(kind, key, message, null);
      return;
    }
    const link = this.#links[s];
    if (link == null) throw unavailable(s);
    if (link.lastKey === key && link.lastKind === kind) link.out.push(Op.TELL_SAME, message);
    else {
      link.out.push(Op.TELL, kind, key, message);
      link.lastKind = kind;
      link.lastKey = key;
    }
    this.appended(link);
  }

  ask<R = unknown>(kind: string, key: string, message: unknown, timeoutMs = this.askTimeoutMs): Promise<R> {
    const s = shardOf(kind, key, this.shardCount);
    if (s !== this.shardId && this.#links[s] == null) return Promise.reject(unavailable(s));
    return new Promise<R>((resolve, reject) => {
      const corr = ++this.#seq;
      const pending: PendingAsk = {
        resolve: resolve as (v: unknown) => void,
        reject,
        shard: s,
        timer: this.clock.setTimeout(() => {
          if (this.#pending.delete(corr)) {
            reject(new RuntimeError(RuntimeCodes.ASK_TIMEOUT, `no reply from ${kind} within ${timeoutMs} ms`, { data: { kind, timeoutMs } }));
          }
        }, timeoutMs),
      };
      this.#pending.set(corr, pending);
      if (s === this.shardId) {
        try {
          this.local!.deliver(kind, key, message, this.#localReply(corr));
        } catch (err) {
          this.#settle(corr, Op.REPLY_ERR, toWireError(err));
        }
        return;
      }
      const link = this.#links[s]!;
      if (link.lastKey === key && link.lastKind === kind) link.out.push(Op.ASK_SAME, message, corr);
      else {
        link.out.push(Op.ASK, kind, key, message, corr);
        link.lastKind = kind;
        link.lastKey = key;
      }
      this.appended(link);
    });
  }

  #localReply(corr: number): ReplySink {
    return {
      ok: (v) => this.#settle(corr, Op.REPLY_OK, v),
      err: (e) => this.#settle(corr, Op.REPLY_ERR, e),
    };
  }

  #settle(corr: number, op: number, value: unknown): void {
    const p = this.#pending.get(corr);
    if (p === undefined) return; // timed out already, or its shard died: a late reply is dropped
    this.#pending.delete(corr);
    this.clock.clearTimeout(p.timer);
    if (op === Op.REPLY_OK) p.resolve(value);
    else p.reject(fromWireError(value as WireError));
  }

  /** @internal One entry was appended to the link's batch: flush at the end of the turn, or
   *  now when the batch is full. */
  appended(link: Link): void {
    if (++link.count >= this.maxBatch) this.#flush(link);
    else if (!link.scheduled) {
      link.scheduled = true;
      queueMicrotask(() => this.#flush(link));
    }
  }

  #flush(link: Link): void {
    link.scheduled = false;
    const out = link.out;
    const count = link.count;
    if (count === 0) return;
    link.out = [];
    link.count = 0;
    link.lastKind = link.lastKey = null;
    const alive = link.peer < 0 ? this.#clients.has(link) : this.#links[link.peer] === link;
    if (!alive) {
      this.#failBatch(out, unavailable(link.peer).toWire());
      return;
    }
    try {
      link.port.postMessage(out);
      this.counters.batchesSent++;
      this.counters.entriesSent += count;
      link.sent += count;
    } catch {
      // One entry could not be cloned (a function, a socket...). Send the entries one by one so
      // that only the guilty one is refused, and its ask (if any) learns why.
      this.#sendOneByOne(link, out);
    }
  }

  /** Splits a batch into single entries, each carrying its target in full. */
  #entries(out: Batch): Batch[] {
    const entries: Batch[] = [];
    let kind: unknown = null;
    let key: unknown = null;
    for (let i = 0; i < out.length; ) {
      const op = out[i];
      if (op === Op.TELL) {
        kind = out[i + 1];
        key = out[i + 2];
        entries.push([Op.TELL, kind, key, out[i + 3]]);
        i += 4;
      } else if (op === Op.ASK) {
        kind = out[i + 1];
        key = out[i + 2];
        entries.push([Op.ASK, kind, key, out[i + 3], out[i + 4]]);
        i += 5;
      } else if (op === Op.TELL_SAME) {
        entries.push([Op.TELL, kind, key, out[i + 1]]);
        i += 2;
      } else if (op === Op.ASK_SAME) {
        entries.push([Op.ASK, kind, key, out[i + 1], out[i + 2]]);
        i += 3;
      } else {
        entries.push([op, out[i + 1], out[i + 2]]);
        i += 3;
      }
    }
    return entries;
  }

  #sendOneByOne(link: Link, out: Batch): void {
    for (const entry of this.#entries(out)) {
      try {
        link.port.postMessage(entry);
        this.counters.entriesSent++;
        link.sent++;
      } catch {
        this.counters.uncloneable++;
        this.#failBatch(entry, { code: RuntimeCodes.NOT_CLONEABLE, message: 'the message cannot be sent to another thread' });
      }
    }
  }

  /** Entries that will never be delivered: local asks among them fail, replies are dropped.
   *  They were never posted, so they are not counted as sent (shutdown balances the counts). */
  #failBatch(out: Batch, err: WireError): void {
    for (const e of this.#entries(out)) if (e[0] === Op.ASK) this.#settle(e[4] as number, Op.REPLY_ERR, err);
  }

  #receive(link: Link, batch: Batch): void {
    const local = this.local;
    let kind = '';
    let key = '';
    let entries = 0;
    for (let i = 0; i < batch.length; ) {
      const op = batch[i];
      entries++;
      if (op === Op.TELL || op === Op.TELL_SAME) {
        let message: unknown;
        if (op === Op.TELL) {
          kind = batch[i + 1] as string;
          key = batch[i + 2] as string;
          message = batch[i + 3];
          i += 4;
        } else {
          message = batch[i + 1];
          i += 2;
        }
        try {
          local!.deliver(kind, key, message, null);
        } catch {
          // A tell has no one to answer to; the shard has counted why it refused it.
          if (local) local.counters.droppedTells++;
        }
      } else if (op === Op.ASK || op === Op.ASK_SAME) {
        let message: unknown;
        let corr: number;
        if (op === Op.ASK) {
          kind = batch[i + 1] as string;
          key = batch[i + 2] as string;
          message = batch[i + 3];
          corr = batch[i + 4] as number;
          i += 5;
        } else {
          message = batch[i + 1];
          corr = batch[i + 2] as number;
          i += 3;
        }
        const reply = new RemoteReply(this, link, corr);
        if (local === null) {
          reply.err({ code: RuntimeCodes.SHARD_UNAVAILABLE, message: 'this thread hosts no actors' });
          continue;
        }
        try {
          local.deliver(kind, key, message, reply);
        } catch (err) {
          reply.err(toWireError(err));
        }
      } else {
        this.#settle(batch[i + 1] as number, op as number, batch[i + 2]);
        i += 3;
      }
    }
    link.received += entries;
  }

  /** Fails every pending ask (the runtime is going away). */
  failAll(code: string, message: string): void {
    for (const [corr, p] of this.#pending) {
      this.#pending.delete(corr);
      this.clock.clearTimeout(p.timer);
      p.reject(new RuntimeError(code, message));
    }
  }

  close(): void {
    for (const l of this.#links) l?.port.close();
    for (const l of this.#clients) l.port.close();
    this.#links.fill(null);
    this.#clients.clear();
  }
}

function unavailable(shard: number): RuntimeError {
  return new RuntimeError(RuntimeCodes.SHARD_UNAVAILABLE, `shard ${shard} is unavailable`, { data: { shard } });
}
