/**
 * The signing keys of the access tokens, as one shard sees them: a cache of storage's
 * `signing_keys` (shared by every replica), re-read every `refreshMs`, and the rotation. A copy
 * older than `refreshMs` keeps serving while it is re-read in the background (a token request
 * never waits for storage on a busy shard); only a copy twice that old is waited for.
 *
 * Rules, applied by whoever loads the keys (any shard of any replica, racing freely):
 *  - the head is the newest key of the configured alg that is not retired (retiresAt null);
 *  - no head, or a head older than `rotationMs`: a new key is added. Its kid follows the head's
 *    (`es256-<t>-3` after `es256-<t>-2`), so racing creators add the SAME kid and all but one get
 *    ERR_DUPLICATE and use the stored one;
 *  - every other key not retired yet is retired at `newest.activatesAt + overlapMs`: racers that
 *    still made two heads (a crash between add and retire, two first keys) agree on the newest;
 *  - a new key is published at once but signs only from `activatesAt` (now + 2 x refreshMs, or
 *    now for the very first key), so every replica has re-read the set before a token shows its
 *    kid (a copy is used for at most two refresh periods);
 *  - tokens are signed by the newest published key that is active; verifiers accept every key
 *    with retiresAt null or in the future, and GET /oauth2/jwks publishes exactly those.
 * Signing uses node:crypto KeyObjects made once per key (synchronous, several times faster than
 * WebCrypto for one small JWS); jose generates, exports and verifies.
 * A token signed just before a rotation expires within its TTL; the service caps TTLs at the
 * overlap, so its key is still published until then.
 */
import { createPrivateKey, sign as cryptoSign, type JsonWebKey as NodeJsonWebKey, type KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Clock, Logger } from '../../../runtime/index.js';
import { hasCode } from '../../../runtime/index.js';
import type { SigningKey, SigningKeyRepository } from '../../../storage/index.js';
import { derToJose } from './ecdsa.js';
import { TokenCodes, TokenError } from './errors.js';
import type { KeyEncryptionKey } from './kek.js';

export type SigningAlg = 'ES256' | 'RS256' | 'EdDSA';
export const SIGNING_ALGS: readonly SigningAlg[] = ['ES256', 'RS256', 'EdDSA'];

export interface SigningKeysOptions {
  readonly repo: SigningKeyRepository;
  readonly kek: KeyEncryptionKey;
  readonly alg: SigningAlg;
  readonly rotationMs: number;
  readonly overlapMs: number;
  readonly refreshMs: number;
  readonly clock: Clock;
  /** The audit logger: one line per key created or retired here. */
  readonly audit: Logger;
}

export interface ActiveKey {
  readonly kid: string;
  readonly alg: string;
  /** base64url of the protected header {alg, kid, typ: 'at+jwt'} and the dot after it. */
  readonly headerPrefix: string;
  /** The JWS signature (RFC 7515 5.1, RFC 7518 3.1) of the signing input, raw bytes. */
  sign(signingInput: string): Buffer;
}

/** The signer of one key: node:crypto, in the JWS forms (ES256: r||s, not DER; RS256: PKCS#1
 *  v1.5 with SHA-256; EdDSA: Ed25519, no pre-hash). */
export function signerOf(kid: string, alg: string, privateJwk: JWK): ActiveKey {
  const key: KeyObject = createPrivateKey({ key: privateJwk as NodeJsonWebKey, format: 'jwk' });
  let sign: (input: string) => Buffer;
  if (alg === 'ES256') {
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new TokenError(TokenCodes.KEYS_UNAVAILABLE, `signing key ${kid} is not a P-256 key`);
    // DER and our own conversion: cheaper than node's ieee-p1363 encoding (ecdsa.ts).
    sign = (input) => derToJose(cryptoSign('sha256', Buffer.from(input, 'latin1'), key), 32);
  } else if (alg === 'RS256') {
    if (key.asymmetricKeyType !== 'rsa') throw new TokenError(TokenCodes.KEYS_UNAVAILABLE, `signing key ${kid} is not an RSA key`);
    sign = (input) => cryptoSign('sha256', Buffer.from(input, 'latin1'), key);
  } else if (alg === 'EdDSA') {
    if (key.asymmetricKeyType !== 'ed25519') throw new TokenError(TokenCodes.KEYS_UNAVAILABLE, `signing key ${kid} is not an Ed25519 key`);
    sign = (input) => cryptoSign(null, Buffer.from(input, 'latin1'), key);
  } else {
    throw new TokenError(TokenCodes.KEYS_UNAVAILABLE, `signing key ${kid} has an unsupported alg`);
  }
  const headerPrefix = `${Buffer.from(JSON.stringify({ alg, kid, typ: 'at+jwt' }), 'utf8').toString('base64url')}.`;
  return { kid, alg, headerPrefix, sign };
}

interface Loaded {
  readonly at: number;
  /** Published keys (retiresAt null or in the future), newest first. */
  readonly live: readonly SigningKey[];
}

/** An unknown kid reloads the set at most this often (random kids must not hammer storage). */
const UNKNOWN_KID_RELOAD_MS = 1000;

export class SigningKeys {
  readonly #o: SigningKeysOptions;
  #loaded: Loaded | undefined;
  #loading: Promise<Loaded> | undefined;
  #lastForced = Number.NEGATIVE_INFINITY;
  readonly #public = new Map<string, Promise<CryptoKey>>();
  readonly #private = new Map<string, ActiveKey>();

  constructor(o: SigningKeysOptions) {
    if (!SIGNING_ALGS.includes(o.alg)) throw new TypeError(`signing alg must be one of ${SIGNING_ALGS.join(', ')}`);
    for (const k of ['rotationMs', 'overlapMs', 'refreshMs'] as const) {
      if (!Number.isSafeInteger(o[k]) || o[k] <= 0) throw new TypeError(`${k} must be a positive integer`);
    }
    this.#o = o;
  }

  /** The key new tokens are signed with. */
  async current(): Promise<ActiveKey> {
    const now = this.#o.clock.now();
    const { live } = await this.#fresh();
    const k = live.find((x) => x.activatesAt <= now && (x.retiresAt === null || x.retiresAt > now));
    if (k === undefined) throw new TokenError(TokenCodes.KEYS_UNAVAILABLE, 'no active signing key');
    return this.#signer(k);
  }

  /** The public key of `kid` if it is published, reloading once (rate-limited) when unknown. */
  async verificationKey(kid: string): Promise<{ alg: string; key: CryptoKey } | undefined> {
    let { live } = await this.#fresh();
    let k = live.find((x) => x.kid === kid);
    const now = this.#o.clock.now();
    if (k === undefined && now - this.#lastForced >= UNKNOWN_KID_RELOAD_MS) {
      this.#lastForced = now;
      ({ live } = await this.#reload());
      k = live.find((x) => x.kid === kid);
    }
    if (k === undefined || (k.retiresAt !== null && k.retiresAt <= now)) return undefined;
    return { alg: k.alg, key: await this.#publicKey(k) };
  }

  /** The published keys as an RFC 7517 JWK Set. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const { live } = await this.#fresh();
    const now = this.#o.clock.now();
    return { keys: live.filter((k) => k.retiresAt === null || k.retiresAt > now).map((k) => ({ ...(k.publicJwk as JWK), kid: k.kid, alg: k.alg, use: 'sig' })) };
  }

  /** Re-reads storage now (and rotates if due). */
  async refresh(): Promise<void> {
    await this.#reload();
  }

  /** The copy, re-read in the background once older than refreshMs, waited for once older
   *  than twice that (or when there is none). A failed background read is left to the next. */
  #fresh(): Promise<Loaded> {
    const l = this.#loaded;
    if (l === undefined) return this.#reload();
    const age = this.#o.clock.now() - l.at;
    if (age < this.#o.refreshMs) return Promise.resolve(l);
    if (age < 2 * this.#o.refreshMs) {
      this.#reload().catch(() => undefined);
      return Promise.resolve(l);
    }
    return this.#reload();
  }

  #reload(): Promise<Loaded> {
    // One load at a time per shard: concurrent callers share it.
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #load(): Promise<Loaded> {
    const o = this.#o;
    const now = o.clock.now();
    let all = await o.repo.list();
    const head = newestUnretired(all, o.alg);
    let changed = false;
    if (head === undefined || head.createdAt + o.rotationMs <= now) {
      // The very first key signs at once; a successor waits until every replica has seen it.
      const anyLive = all.some((k) => k.retiresAt === null || k.retiresAt > now);
      const created = await this.#create(head === undefined ? firstKid(o.alg, now) : nextKid(head.kid, o.alg, now), now, anyLive ? now + 2 * o.refreshMs : now);
      if (created) {
        o.audit.info({ event: 'signing-key.created', kid: created, alg: o.alg, replaces: head?.kid ?? null }, 'signing key created');
        await o.repo.deleteRetiredBefore(now);
      }
      changed = true;
    }
    if (changed) all = await o.repo.list();
    const newest = newestUnretired(all, o.alg);
    if (newest !== undefined) {
      for (const k of all) {
        if (k.retiresAt !== null || k.kid === newest.kid) continue;
        const retiresAt = Math.max(now, newest.activatesAt) + o.overlapMs;
        await o.repo.retire(k.kid, retiresAt);
        o.audit.info({ event: 'signing-key.retired', kid: k.kid, successor: newest.kid, retiresAt: new Date(retiresAt).toISOString() }, 'signing key retired');
        changed = true;
      }
    }
    if (changed) all = await o.repo.list();
    const live = all.filter((k) => k.retiresAt === null || k.retiresAt > now).sort(newestFirst);
    const loaded = { at: now, live };
    this.#loaded = loaded;
    for (const cache of [this.#public, this.#private]) for (const kid of cache.keys()) if (!live.some((k) => k.kid === kid)) cache.delete(kid);
    return loaded;
  }

  /** Adds a new key; returns its kid, or undefined when another creator added that kid first. */
  async #create(kid: string, now: number, activatesAt: number): Promise<string | undefined> {
    const o = this.#o;
    const pair = await generateKeyPair(o.alg, { extractable: true, ...(o.alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    const publicJwk = await exportJWK(pair.publicKey);
    const privateJwk = await exportJWK(pair.privateKey);
    try {
      await o.repo.add({
        kid,
        alg: o.alg,
        publicJwk: { ...publicJwk } as Record<string, unknown>,
        privateJwkEncrypted: o.kek.seal(kid, JSON.stringify(privateJwk)),
        createdAt: now,
        activatesAt,
        retiresAt: null,
      });
      return kid;
    } catch (err) {
      if (hasCode(err, 'ERR_DUPLICATE')) return undefined;
      throw err;
    }
  }

  #publicKey(k: SigningKey): Promise<CryptoKey> {
    let p = this.#public.get(k.kid);
    if (p === undefined) {
      p = importJWK({ ...(k.publicJwk as JWK), alg: k.alg }, k.alg) as Promise<CryptoKey>;
      this.#public.set(k.kid, p);
      p.catch(() => this.#public.delete(k.kid));
    }
    return p;
  }

  /** Decrypted and made into a KeyObject once per key; a failure is not cached (thrown again). */
  #signer(k: SigningKey): ActiveKey {
    let s = this.#private.get(k.kid);
    if (s === undefined) {
      let jwk: JWK;
      try {
        jwk = JSON.parse(this.#o.kek.open(k.kid, k.privateJwkEncrypted)) as JWK;
      } catch (err) {
        if (err instanceof TokenError) throw err;
        throw new TokenError(TokenCodes.KEYS_UNAVAILABLE, `signing key ${k.kid} is unreadable`, { cause: err });
      }
      try {
        s = signerOf(k.kid, k.alg, jwk);
      } catch (err) {
        if (err instanceof TokenError) throw err;
        throw new TokenError(TokenCodes.KEYS_UNAVAILABLE, `signing key ${k.kid} is unusable`, { cause: err });
      }
      this.#private.set(k.kid, s);
    }
    return s;
  }
}

function newestFirst(a: SigningKey, b: SigningKey): number {
  return b.createdAt - a.createdAt || (a.kid < b.kid ? 1 : a.kid > b.kid ? -1 : 0);
}

function newestUnretired(all: readonly SigningKey[], alg: string): SigningKey | undefined {
  return all.filter((k) => k.retiresAt === null && k.alg === alg).sort(newestFirst)[0];
}

const KID = /^([a-z0-9]+-[a-z0-9]+)-(\d{1,9})$/;

/** The first key of an alg: the minute it was made keeps it apart from a key of an older era. */
function firstKid(alg: string, now: number): string {
  return `${alg.toLowerCase()}-${Math.floor(now / 60_000).toString(36)}-1`;
}

/** The successor of `kid`: what every replica rotating the same head computes. */
function nextKid(kid: string, alg: string, now: number): string {
  const m = KID.exec(kid);
  if (m === null || !m[1]!.startsWith(`${alg.toLowerCase()}-`)) return firstKid(alg, now);
  return `${m[1]}-${Number(m[2]) + 1}`;
}
