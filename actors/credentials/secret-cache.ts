/**
 * The verified-secret cache: spares an argon2 verification (tens of ms of a core) when the same
 * secret is presented again for the same credential, e.g. on every reconnect of a device.
 *
 * Keyed by a keyed SHA-256 of (scope, id, secret) under a random per-process key (`keyedDigest`),
 * so that neither the secret nor anything an attacker could test offline without the key sits in
 * memory. (An HMAC object per attempt cost several times more, on every reconnect and token.) The value is the credential
 * *version* that was verified: every state change or new secret bumps the version in storage and
 * in the actor, and a cached entry for another version does not count. Bounded in entries and
 * in age (lru-cache).
 */
import { hash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface SecretCacheOptions {
  maxEntries: number;
  ttlMs: number;
}

/** A random key for `keyedDigest`, made once per cache. */
export function digestKey(): string {
  return randomBytes(32).toString('hex');
}

/**
 * SHA-256 of the key and the parts, NUL-separated, base64. A lookup key only: nobody is ever
 * handed a digest to check, so the prefix construction's length extension is of no use to an
 * attacker, and one call costs a fraction of an HMAC object.
 */
export function keyedDigest(key: string, parts: readonly string[]): string {
  return hash('sha256', `${key}\0${parts.join('\0')}`, 'base64');
}

export class SecretCache {
  readonly #key = digestKey();
  readonly #lru: LRUCache<string, number>;
  hits = 0;
  misses = 0;

  constructor(opts: SecretCacheOptions) {
    if (!(opts.maxEntries >= 1) || !(opts.ttlMs >= 1)) throw new TypeError('secret cache: maxEntries and ttlMs must be >= 1');
    this.#lru = new LRUCache({ max: opts.maxEntries, ttl: opts.ttlMs, ttlAutopurge: false, updateAgeOnGet: false });
  }

  /** The cache key of a presented secret. Compute it once per attempt. */
  digest(scope: string, id: string, secret: string): string {
    return keyedDigest(this.#key, [scope, id, secret]);
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
