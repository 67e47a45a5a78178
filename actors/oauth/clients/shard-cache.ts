/**
 * The shard-local answer cache of client-secret authentication: a token request whose client and
 * secret were verified moments ago is answered on the shard that received it, without a
 * cross-thread ask to the client's actor. On a busy token endpoint that ask, and the actor's
 * one-at-a-time mailbox every request of a client goes through, cost more than the rest of the
 * authentication.
 *
 * What it may answer, and for how long:
 *  - only successes, each as the client's actor gave it (identity, slot), keyed by a digest of
 *    (client id, method, secret) under a random per-process key: no secret sits in memory;
 *  - until the matched secret expires, and never past the actor's own copy's age limit
 *    (credentials.stateTtlMs): the cache is never staler than the actor it stands for;
 *  - not after a change: every change the actor makes or hears of (secret issued, rotated or
 *    deleted, keys set, service-account link, another replica's notice) is pushed to every
 *    shard's cache, and the actor answers the change only once every shard has dropped the
 *    client. An answer computed before a change and arriving after its drop is not stored (the
 *    cache's drop counter moved while it was in flight).
 *
 * Renewal: past the middle of an answer's life, one request (at most one a second per answer)
 * asks the actor again in the background while the cached answer keeps being given. Without it
 * every answer of a busy client ran out at once, all of the shard's requests queued behind
 * the actor's storage reload, and the token endpoint stalled for 100 ms or more every
 * credentials.stateTtlMs.
 */
import { LRUCache } from 'lru-cache';
import type { ActorContext, Clock } from '../../../runtime/index.js';
import { digestKey, keyedDigest } from '../../credentials/secret-cache.js';
import type { ClientIdentity } from '../contract.js';

export const OAUTH_AUTH_CACHE = 'oauth-auth-cache';
export const AUTH_CACHE_KEY_PREFIX = 'auth-cache';

export interface CachedAuth {
  readonly client: ClientIdentity;
  readonly slot: 'current' | 'previous';
}

interface Entry extends CachedAuth {
  readonly clientId: string;
  readonly validUntil: number;
  /** When a request should ask the actor again (in the background); moved on by each claim. */
  renewAt: number;
}

/** Between two background asks for one answer. */
export const RENEW_RETRY_MS = 1_000;

export class ShardAuthCache {
  readonly #key = digestKey();
  readonly #lru: LRUCache<string, Entry>;
  /** Digests per client, to drop them all on a change. */
  readonly #byClient = new Map<string, Set<string>>();
  readonly #clock: Clock;
  /** Drops so far; an answer asked for before a drop is not stored after it. */
  #drops = 0;
  hits = 0;

  constructor(maxEntries: number, clock: Clock) {
    if (!(maxEntries >= 1)) throw new TypeError('auth cache: maxEntries must be >= 1');
    this.#clock = clock;
    this.#lru = new LRUCache<string, Entry>({
      max: maxEntries,
      dispose: (e, digest) => {
        const set = this.#byClient.get(e.clientId);
        set?.delete(digest);
        if (set?.size === 0) this.#byClient.delete(e.clientId);
      },
    });
  }

  /** The key of a presented secret (keyedDigest). */
  digest(clientId: string, method: string, secret: string): string {
    return keyedDigest(this.#key, [clientId, method, secret]);
  }

  get(digest: string): Entry | undefined {
    const e = this.#lru.get(digest);
    if (e === undefined) return undefined;
    if (this.#clock.now() >= e.validUntil) {
      this.#lru.delete(digest);
      return undefined;
    }
    this.hits++;
    return e;
  }

  /** True when the caller should ask the actor again in the background for this answer: once
   *  it is past the middle of its life, and then at most once every RENEW_RETRY_MS until an
   *  answer replaces it (`set`). */
  claimRenewal(e: Entry): boolean {
    const now = this.#clock.now();
    if (now < e.renewAt) return false;
    e.renewAt = now + RENEW_RETRY_MS;
    return true;
  }

  /** Forgets one answer: the actor refused the secret when asked again. Counts as a drop, so
   *  that no success asked for before the refusal is stored after it. */
  forget(digest: string): void {
    this.#drops++;
    this.#lru.delete(digest);
  }

  /** Taken before asking the actor; `set` stores the answer only if no drop happened since. */
  ticket(): number {
    return this.#drops;
  }

  set(digest: string, clientId: string, answer: CachedAuth, validUntil: number, ticket: number): void {
    const now = this.#clock.now();
    if (ticket !== this.#drops || !(validUntil > now)) return;
    // An answer that ends no later than the one it replaces (the actor answered from the copy
    // it is still re-reading) is asked for again after the retry time, not at a new middle.
    const prev = this.#lru.peek(digest);
    const renewAt = prev !== undefined && validUntil <= prev.validUntil ? now + RENEW_RETRY_MS : now + (validUntil - now) / 2;
    this.#lru.set(digest, { clientId, client: answer.client, slot: answer.slot, validUntil, renewAt });
    let set = this.#byClient.get(clientId);
    if (set === undefined) this.#byClient.set(clientId, (set = new Set()));
    set.add(digest);
  }

  drop(clientId: string): void {
    this.#drops++;
    const set = this.#byClient.get(clientId);
    if (set === undefined) return;
    for (const digest of [...set]) this.#lru.delete(digest);
    this.#byClient.delete(clientId);
  }

  get size(): number {
    return this.#lru.size;
  }
}

export interface DropMsg {
  readonly t: 'drop';
  readonly clientId: string;
}

/** One actor per shard (keysPerShard) holding nothing but the way to that shard's cache. */
export function authCacheActorKind(cache: ShardAuthCache): { name: string; create(ctx: ActorContext): { receive(m: unknown): unknown } } {
  return {
    name: OAUTH_AUTH_CACHE,
    create() {
      return {
        receive(m: unknown): unknown {
          const msg = m as Partial<DropMsg> | null;
          if (msg?.t === 'drop' && typeof msg.clientId === 'string') cache.drop(msg.clientId);
          return undefined;
        },
      };
    },
  };
}
