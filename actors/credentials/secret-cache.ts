/**
 * The verified-secret cache: spares an argon2 verification (tens of ms of a core) when the same
 * secret is presented again for the same credential, e.g. on every reconnect of a device.
 *
 * Keyed by an HMAC of (scope, id, secret) under a random per-process key, so that neither the
 * secret nor anything an attacker could test offline sits in memory. The value is the credential
 * *version* that was verified: every state change or new secret bumps the version in storage and
 * in the actor, and a cached entry for another version does not count. Bounded in entries and
 * in age (lru-cache).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface SecretCacheOptions {
  maxEntries: number;
  ttlMs: number;
}

export class SecretCache {
  readonly #key = randomBytes(32);
  readonly #lru: LRUCache<string, number>;
  hits = 0;
  misses = 0;

  constructor(opts: SecretCacheOptions) {
    if (!(opts.maxEntries >= 1) || !(opts.ttlMs >= 1)) throw new TypeError('secret cache: maxEntries and ttlMs must be >= 1');
    this.#lru = new LRUCache({ max: opts.maxEntries, ttl: opts.ttlMs, ttlAutopurge: false, updateAgeOnGet: false });
  }

  /** The cache key of a presented secret. Compute it once per attempt. */
  digest(scope: string, id: string, secret: string): string {
    return createHmac('sha256', this.#key).update(scope).update('\0').update(id).update('\0').update(secret).digest('base64');
  }

  /** True when this digest was verified for exactly this version of the credential. */
  verified(digest: string, version: number): boolean {
    const v = this.#lru.get(digest);
    if (v === version) {
      this.hits++;
      return true;
    }
    this.misses++;
    return false;
  }

  remember(digest: string, version: number): void {
    this.#lru.set(digest, version);
  }

  forget(digest: string): void {
    this.#lru.delete(digest);
  }

  get size(): number {
    return this.#lru.size;
  }
}
