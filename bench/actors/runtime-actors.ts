/**
 * Actor kinds for the `runtime` bench, loaded into every shard as a module. Kinds are classes
 * with prototype methods so that an idle activation costs one small object (the memory figure).
 *
 * Flow control: a source sends in windows and closes each with an ask to the sink. An ask
 * travels on the same link behind the tells, so its reply means the whole window was handled.
 * Two windows are kept in flight, which keeps both threads busy without letting the sink's
 * mailbox exceed two windows: that is the bound a real sender honours too.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString, getHeapStatistics } from 'node:v8';
import { shardOf, type Actor, type ActorContext, type ActorKind, type ShardHost } from '../../runtime/index.js';

export const WINDOW = 32_768;

type Msg = { op: string; [k: string]: unknown };

class Sink implements Actor {
  n = 0;
  receive(m: unknown): unknown {
    if (m === 1) {
      this.n++;
      return undefined;
    }
    return this.n;
  }
}

class Source implements Actor {
  constructor(readonly ctx: ActorContext) {}
  async receive(m: unknown): Promise<unknown> {
    const msg = m as Msg;
    if (msg.op === 'blast') return this.blast(String(msg['to']), Number(msg['count']));
    if (msg.op === 'blast-many') return this.blastMany(msg['to'] as string[], Number(msg['count']));
    if (msg.op === 'pingpong') return this.pingpong(String(msg['to']), Number(msg['count']));
    if (msg.op === 'spawn') return this.spawn(Number(msg['count']));
    throw new TypeError(`unknown op ${msg.op}`);
  }

  /** Sends `count` tells to sink `to` in windows; returns messages per second. */
  async blast(to: string, count: number): Promise<number> {
    const ctx = this.ctx;
    const base = await ctx.ask<number>('bench-sink', to, 0);
    const t0 = performance.now();
    let sent = 0;
    let inflight: Promise<number> | null = null;
    while (sent < count) {
      const n = Math.min(WINDOW, count - sent);
      for (let i = 0; i < n; i++) ctx.tell('bench-sink', to, 1);
      sent += n;
      const barrier = ctx.ask<number>('bench-sink', to, 0, 60_000);
      if (inflight) await inflight;
      inflight = barrier;
    }
    const total = await inflight!;
    const seconds = (performance.now() - t0) / 1000;
    if (total - base !== count) throw new Error(`sink counted ${total - base}, expected ${count}`);
    return count / seconds;
  }

  /** Like blast, round-robin over many sinks, so that no two consecutive messages share a
   *  target: the worst case for the batch encoding. */
  async blastMany(to: string[], count: number): Promise<number> {
    const ctx = this.ctx;
    const barrier = (): Promise<number[]> => Promise.all(to.map((k) => ctx.ask<number>('bench-sink', k, 0, 60_000)));
    const base = (await barrier()).reduce((a, b) => a + b, 0);
    const t0 = performance.now();
    let sent = 0;
    let inflight: Promise<number[]> | null = null;
    while (sent < count) {
      const n = Math.min(WINDOW, count - sent);
      for (let i = 0; i < n; i++) ctx.tell('bench-sink', to[(sent + i) % to.length]!, 1);
      sent += n;
      const b = barrier();
      if (inflight) await inflight;
      inflight = b;
    }
    const total = (await inflight!).reduce((a, b) => a + b, 0);
    const seconds = (performance.now() - t0) / 1000;
    if (total - base !== count) throw new Error(`sinks counted ${total - base}, expected ${count}`);
    return count / seconds;
  }

  /** Sequential asks to echo `to`; returns the round-trip times in microseconds. */
  async pingpong(to: string, count: number): Promise<number[]> {
    const rtts = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await this.ctx.ask('bench-echo', to, i);
      rtts[i] = (performance.now() - t0) * 1000;
    }
    return rtts;
  }

  /** Activates `count` idle actors on this shard; returns activations/s and heap bytes each. */
  async spawn(count: number): Promise<{ perSec: number; heapDelta: number }> {
    const gc = exposeGc();
    const { shardId } = this.ctx;
    const shards = this.ctx.deps['shardCount'] as number;
    gc();
    const before = getHeapStatistics().used_heap_size;
    const t0 = performance.now();
    let made = 0;
    let last = '';
    for (let i = 0; made < count; i++) {
      const key = `i${shardId}-${i}`;
      if (shardOf('bench-idle', key, shards) !== shardId) continue;
      this.ctx.tell('bench-idle', key, 1);
      last = key;
      made++;
      if ((made & 16383) === 0) await new Promise((r) => setImmediate(r)); // let activations run
    }
    // The run queue is FIFO: when the last activation answers, every earlier one has run.
    await this.ctx.ask('bench-idle', last, 0, 120_000);
    const perSec = count / ((performance.now() - t0) / 1000);
    await new Promise((r) => setTimeout(r, 50));
    gc();
    return { perSec, heapDelta: getHeapStatistics().used_heap_size - before };
  }
}

class Idle implements Actor {
  receive(): unknown {
    return undefined;
  }
}

class Echo implements Actor {
  receive(m: unknown): unknown {
    return m;
  }
}

let gcFn: (() => void) | undefined;
function exposeGc(): () => void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  return gcFn;
}

const kinds: ActorKind[] = [
  { name: 'bench-sink', mailboxCapacity: 4 * WINDOW, create: () => new Sink() },
  { name: 'bench-source', mailboxCapacity: 16, create: (ctx) => new Source(ctx) },
  { name: 'bench-idle', idlePassivationMs: 3_600_000, create: () => new Idle() },
  { name: 'bench-echo', create: () => new Echo() },
];

export function setup(host: ShardHost): void {
  for (const k of kinds) host.registerActor(k);
  host.provide('shardCount', host.shardCount);
}
