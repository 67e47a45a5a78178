/**
 * The limit on failed client authentications, per client id and per source address (brute
 * force of a client secret, or of many clients from one address).
 *
 * The count must hold across shards and replicas, so it lives in one actor per key and instance
 * (`client:<id>`, `addr:<ip>`; runtime actors are unique per instance), and every failure is
 * also broadcast on the bus so that the other replicas' actors count it too (a replica ignores
 * its own broadcasts). Each actor keeps the times of the last `maxFailures` failures: the key is
 * refused while that many fell within the window, until the oldest of them leaves it.
 *
 * The check asks nothing across threads: every shard keeps a `BlockedView` (key -> blocked
 * until), and a counting actor that finds its key blocked after a failure pushes the end of the
 * block to the view actor of every shard of its instance (`viewKeys`) before it acknowledges
 * the failure. A failed request waits for that acknowledgement before it is answered, so once
 * a client has its 401, every shard of that instance refuses the blocked key; another replica
 * learns it when the bus notice reaches its own counting actor, as before.
 */
import type { ActorContext, ActorRef, Clock, Logger, Service } from '../../../runtime/index.js';
import { keysPerShard } from '../../../runtime/index.js';
import type { Bus, Subscription } from '../../../transports/bus/index.js';

export interface LimitOptions {
  readonly maxFailures: number;
  readonly windowMs: number;
}

/** The sliding window of one key; pure, time given by the caller. */
export class FailureWindow {
  /** Failure times, oldest first, at most maxFailures of them. */
  readonly #times: number[] = [];
  readonly #o: LimitOptions;

  constructor(o: LimitOptions) {
    this.#o = o;
  }

  record(at: number): void {
    this.#times.push(at);
    this.#times.sort((a, b) => a - b);
    while (this.#times.length > this.#o.maxFailures) this.#times.shift();
  }

  /** 0 when the key may try; else the milliseconds until it may. */
  retryAfterMs(now: number): number {
    const until = this.blockedUntil(now);
    return until === 0 ? 0 : until - now;
  }

  /** 0 when the key may try; else the time at which it may again (only ever moves later). */
  blockedUntil(now: number): number {
    if (this.#times.length < this.#o.maxFailures) return 0;
    const until = (this.#times[0] as number) + this.#o.windowMs;
    return until > now ? until : 0;
  }

  /** Nothing within the window any more: the actor may go. */
  idle(now: number): boolean {
    const last = this.#times[this.#times.length - 1];
    return last === undefined || last + this.#o.windowMs <= now;
  }
}

/** What the token service asks of the limit. Keys: `client:<id>`, `addr:<ip>`. */
export interface AuthFailureLimiter {
  /** 0, or the longest wait over the keys, from what this shard knows (no cross-thread ask). */
  retryAfterMs(keys: readonly string[]): number;
  /** Counts a failure against every key (here and, through the bus, on the other replicas).
   *  Resolves once a block it causes is visible to every shard of this instance. Never rejects:
   *  a limiter fault is logged, the refusal it accompanies stands anyway. */
  recordFailure(keys: readonly string[]): Promise<void>;
}

export const AUTH_LIMIT_ACTOR = 'oauth.auth-limit';
export const AUTH_BLOCK_VIEW_ACTOR = 'oauth.auth-block-view';
export const AUTH_FAILURE_SUBJECT = 'fleetgate.v1.events.oauth.auth-failure';

/** To a counting actor: a failure at `at`; the reply is the key's blockedUntil (0: not blocked). */
export type LimitMsg = { t: 'fail'; at: number };
/** To a shard's view actor: `key` is blocked until `until`. */
export type BlockMsg = { t: 'block'; key: string; until: number };

/** Keys the view holds at most: beyond, expired blocks go first, then the oldest. The counting
 *  actors still hold every count, and push a block again on the next failure of its key. */
const MAX_VIEW_KEYS = 100_000;

/** One shard's knowledge of the blocked keys: key -> blocked until (clock ms). */
export class BlockedView {
  readonly #until = new Map<string, number>();
  readonly #max: number;

  constructor(max = MAX_VIEW_KEYS) {
    this.#max = max;
  }

  block(key: string, until: number, now: number): void {
    const cur = this.#until.get(key);
    if (cur !== undefined && cur >= until) return;
    if (until <= now) {
      this.#until.delete(key);
      return;
    }
    // Re-inserted at the end: the insertion order is the eviction order.
    this.#until.delete(key);
    if (this.#until.size >= this.#max) this.#evict(now);
    this.#until.set(key, until);
  }

  /** 0, or the longest wait over the keys. */
  retryAfterMs(keys: readonly string[], now: number): number {
    let worst = 0;
    for (const key of keys) {
      const until = this.#until.get(key);
      if (until === undefined) continue;
      if (until <= now) this.#until.delete(key);
      else if (until - now > worst) worst = until - now;
    }
    return worst;
  }

  get size(): number {
    return this.#until.size;
  }

  #evict(now: number): void {
    for (const [k, u] of this.#until) if (u <= now) this.#until.delete(k);
    for (const k of this.#until.keys()) {
      if (this.#until.size < this.#max) break;
      this.#until.delete(k);
    }
  }
}

/** The key of the view actor that lives on each shard: the first `view-<n>` that hashes there. */
export function viewKeys(shardCount: number): string[] {
  return keysPerShard(AUTH_BLOCK_VIEW_ACTOR, 'view', shardCount);
}

function isBlockMsg(v: unknown): v is BlockMsg {
  const m = v as Partial<BlockMsg> | null;
  return typeof m === 'object' && m !== null && m.t === 'block' && typeof m.key === 'string' && Number.isSafeInteger(m.until);
}

/** The view actor of one shard: writes what the counting actors push into that shard's view. */
export function blockViewActorKind(view: BlockedView): { name: string; create(ctx: ActorContext): { receive(m: unknown): unknown } } {
  return {
    name: AUTH_BLOCK_VIEW_ACTOR,
    create(ctx) {
      return {
        receive(m: unknown): unknown {
          if (isBlockMsg(m)) view.block(m.key, m.until, ctx.clock.now());
          return undefined;
        },
      };
    },
  };
}

export function limitActorKind(o: LimitOptions, views: readonly string[]): { name: string; idlePassivationMs: number; create(ctx: ActorContext): { receive(m: unknown): unknown } } {
  return {
    name: AUTH_LIMIT_ACTOR,
    // Kept at least as long as its window, so that passivation never forgets a live count.
    idlePassivationMs: Math.max(o.windowMs * 2, 10_000),
    create(ctx) {
      const w = new FailureWindow(o);
      return {
        async receive(m: unknown): Promise<number> {
          const msg = m as LimitMsg;
          if (msg.t !== 'fail') return 0;
          const now = ctx.clock.now();
          w.record(Math.min(msg.at, now));
          const until = w.blockedUntil(now);
          if (until === 0) return 0;
          // Every shard learns the block before the failure is acknowledged. A shard that does
          // not answer is logged; it learns on the next failure of this key.
          const block: BlockMsg = { t: 'block', key: ctx.key, until };
          const pushed = await Promise.allSettled(views.map((v) => ctx.ask(AUTH_BLOCK_VIEW_ACTOR, v, block)));
          if (pushed.some((r) => r.status === 'rejected')) ctx.log.warn({ kind: AUTH_LIMIT_ACTOR }, 'a shard did not take an auth failure block');
          return until;
        },
      };
    },
  };
}

/** The production limiter: the shard's view for the check; failures counted by the actors of
 *  this instance (awaited) and broadcast to the other replicas. */
export class ActorLimiter implements AuthFailureLimiter {
  readonly #actors: ActorRef;
  readonly #view: BlockedView;
  readonly #publish: (keys: readonly string[], at: number) => void;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(actors: ActorRef, view: BlockedView, clock: Clock, log: Logger, publish: (keys: readonly string[], at: number) => void) {
    this.#actors = actors;
    this.#view = view;
    this.#clock = clock;
    this.#log = log;
    this.#publish = publish;
  }

  retryAfterMs(keys: readonly string[]): number {
    return this.#view.retryAfterMs(keys, this.#clock.now());
  }

  async recordFailure(keys: readonly string[]): Promise<void> {
    const at = this.#clock.now();
    this.#publish(keys, at);
    await Promise.all(
      keys.map(async (key) => {
        try {
          const until = await this.#actors.ask<number>(AUTH_LIMIT_ACTOR, key, { t: 'fail', at } satisfies LimitMsg);
          // Already there when the actor pushed it; set here too in case this shard's push failed.
          if (until > 0) this.#view.block(key, until, this.#clock.now());
        } catch (err) {
          this.#log.warn({ err: String(err) }, 'auth failure not counted');
        }
      }),
    );
  }
}

function countLocally(actors: ActorRef, keys: readonly string[], at: number, log: Logger): void {
  for (const key of keys) {
    try {
      actors.tell(AUTH_LIMIT_ACTOR, key, { t: 'fail', at } satisfies LimitMsg);
    } catch (err) {
      log.warn({ err: String(err) }, 'auth failure not counted');
    }
  }
}

interface FailureNotice {
  replica: string;
  keys: string[];
  at: number;
}

const MAX_KEY = 512;

function isNotice(v: unknown): v is FailureNotice {
  if (typeof v !== 'object' || v === null) return false;
  const n = v as Partial<FailureNotice>;
  return (
    typeof n.replica === 'string' &&
    Number.isSafeInteger(n.at) &&
    Array.isArray(n.keys) &&
    n.keys.length <= 4 &&
    n.keys.every((k) => typeof k === 'string' && k.length <= MAX_KEY && (k.startsWith('client:') || k.startsWith('addr:')))
  );
}

/**
 * The bus side: publishes this replica's failures, and counts the other replicas' ones. Every
 * shard subscribes in one queue group per replica, so each notice is counted once per replica.
 */
export function failureBroadcast(bus: Bus, replicaId: string, actors: ActorRef, log: Logger): { publish(keys: readonly string[], at: number): void; service: Service } {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  let sub: Subscription | undefined;
  return {
    publish(keys, at) {
      try {
        bus.publish(AUTH_FAILURE_SUBJECT, enc.encode(JSON.stringify({ replica: replicaId, keys: [...keys], at } satisfies FailureNotice)));
      } catch (err) {
        log.warn({ err: String(err) }, 'auth failure not broadcast');
      }
    },
    service: {
      name: 'oauth-auth-failures',
      start() {
        sub = bus.subscribe(
          AUTH_FAILURE_SUBJECT,
          (m) => {
            let n: unknown;
            try {
              n = JSON.parse(dec.decode(m.data));
            } catch {
              return;
            }
            if (!isNotice(n) || n.replica === replicaId) return;
            countLocally(actors, n.keys, n.at, log);
          },
          { queue: `oauth-limit-${replicaId}` },
        );
      },
      stop() {
        sub?.unsubscribe();
        sub = undefined;
      },
    },
  };
}

/** A limiter without actors or bus, for one process: the same windows in a bounded map. */
export class LocalLimiter implements AuthFailureLimiter {
  readonly #o: LimitOptions;
  readonly #clock: Clock;
  readonly #windows = new Map<string, FailureWindow>();
  readonly #maxKeys: number;

  constructor(o: LimitOptions, clock: Clock, maxKeys = 100_000) {
    this.#o = o;
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  retryAfterMs(keys: readonly string[]): number {
    const now = this.#clock.now();
    return Math.max(0, ...keys.map((k) => this.#windows.get(k)?.retryAfterMs(now) ?? 0));
  }

  recordFailure(keys: readonly string[]): Promise<void> {
    const now = this.#clock.now();
    for (const k of keys) {
      let w = this.#windows.get(k);
      if (w === undefined) {
        if (this.#windows.size >= this.#maxKeys) this.#evict(now);
        w = new FailureWindow(this.#o);
        this.#windows.set(k, w);
      }
      w.record(now);
    }
    return Promise.resolve();
  }

  #evict(now: number): void {
    for (const [k, w] of this.#windows) if (w.idle(now)) this.#windows.delete(k);
    // Still full: drop the oldest entries (insertion order) rather than grow.
    for (const k of this.#windows.keys()) {
      if (this.#windows.size < this.#maxKeys) break;
      this.#windows.delete(k);
    }
  }
}
