/**
 * Verification of the built-in access tokens (AccessTokenVerifier of the OAuth contract), used by
 * the bearer hook of every admin API, by introspection and by revocation.
 *
 * A token passes when: it is a compact JWS of at most MAX_TOKEN characters, typ at+jwt (RFC
 * 9068 2.1), signed by a published key whose alg is the header's; aud holds the configured
 * audience; iss is the configured issuer when there is one; exp/nbf hold on the injected clock
 * within the skew; the claims have the fleetgate shapes; and its jti is not revoked. Anything
 * else is ERR_INVALID_TOKEN with `data.reason`; a storage fault keeps its own code (callers
 * fail closed).
 */
import { errors as joseErrors, jwtVerify, type CryptoKey, type JWTHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../../../runtime/index.js';
import { hasCode } from '../../../runtime/index.js';
import type { RevokedTokenRepository } from '../../../storage/index.js';
import type { AccessTokenClaims, AccessTokenVerifier } from '../contract.js';
import { invalidToken, TokenCodes } from './errors.js';
import { SIGNING_ALGS, type SigningKeys } from './keys.js';

export interface VerifierOptions {
  readonly keys: SigningKeys;
  readonly revoked: RevokedTokenRepository;
  readonly audience: string;
  /** Checked when set (oauth.issuer); a derived issuer varies with the Host and is not. */
  readonly issuer: string | null;
  readonly clock: Clock;
  readonly skewMs: number;
}

/** Far above any token we issue (a few hundred bytes of claims), far below a header limit. */
export const MAX_TOKEN = 8192;

const JOSE_REASONS: Record<string, string> = {
  ERR_JWT_EXPIRED: 'expired',
  ERR_JWT_CLAIM_VALIDATION_FAILED: 'claim',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature',
  ERR_JWS_INVALID: 'malformed',
  ERR_JWT_INVALID: 'malformed',
  ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm',
  ERR_JOSE_NOT_SUPPORTED: 'algorithm',
};

export class BuiltInVerifier implements AccessTokenVerifier {
  readonly #o: VerifierOptions;
  /** jtis known revoked (positive answers only: a negative one is asked of storage every time). */
  readonly #revoked = new LRUCache<string, true>({ max: 10_000 });

  constructor(o: VerifierOptions) {
    this.#o = o;
  }

  verify(jwt: string): Promise<AccessTokenClaims> {
    return this.claims(jwt, true);
  }

  /** The verified claims; `checkRevoked: false` for revocation itself. */
  async claims(jwt: string, checkRevoked: boolean): Promise<AccessTokenClaims> {
    const o = this.#o;
    if (typeof jwt !== 'string' || jwt.length === 0 || jwt.length > MAX_TOKEN) throw invalidToken('malformed');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(jwt, (header: JWTHeaderParameters) => this.#key(header), {
        algorithms: [...SIGNING_ALGS],
        typ: 'at+jwt',
        audience: o.audience,
        ...(o.issuer === null ? {} : { issuer: o.issuer }),
        currentDate: new Date(o.clock.now()),
        clockTolerance: Math.floor(o.skewMs / 1000),
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
      }));
    } catch (err) {
      if (hasCode(err, TokenCodes.INVALID_TOKEN) || !(err instanceof joseErrors.JOSEError)) throw err;
      throw invalidToken(JOSE_REASONS[err.code] ?? 'malformed', err);
    }
    const claims = shape(payload);
    if (checkRevoked) {
      if (this.#revoked.has(claims.jti)) throw invalidToken('revoked');
      if (await o.revoked.isRevoked(claims.jti)) {
        this.#revoked.set(claims.jti, true);
        throw invalidToken('revoked');
      }
    }
    return claims;
  }

  /** Forgets nothing on its own; called when this shard revokes a token, to answer at once. */
  noteRevoked(jti: string): void {
    this.#revoked.set(jti, true);
  }

  async #key(header: JWTHeaderParameters): Promise<CryptoKey> {
    if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 255) throw invalidToken('no key id');
    const k = await this.#o.keys.verificationKey(header.kid);
    if (k === undefined) throw invalidToken('unknown key');
    // The header's alg must be the key's own: a key is used with one algorithm only.
    if (header.alg !== k.alg) throw invalidToken('algorithm');
    return k.key;
  }
}

function strings(v: unknown): v is string[] {
  return Array.isArray(v) && v.length <= 1000 && v.every((s) => typeof s === 'string');
}

function shape(p: Record<string, unknown>): AccessTokenClaims {
  const ok =
    typeof p.iss === 'string' &&
    typeof p.sub === 'string' &&
    (typeof p.aud === 'string' || strings(p.aud)) &&
    typeof p.jti === 'string' &&
    p.jti.length > 0 &&
    p.jti.length <= 255 &&
    typeof p.client_id === 'string' &&
    typeof p.scope === 'string' &&
    typeof p.tenant === 'string' &&
    Number.isSafeInteger(p.exp) &&
    Number.isSafeInteger(p.iat) &&
    (p.nbf === undefined || Number.isSafeInteger(p.nbf)) &&
    strings(p.roles) &&
    strings(p.permissions) &&
    strings(p.groups);
  if (!ok) throw invalidToken('claims');
  const c: AccessTokenClaims = {
    iss: p.iss as string,
    sub: p.sub as string,
    aud: p.aud as string | string[],
    exp: p.exp as number,
    iat: p.iat as number,
    jti: p.jti as string,
    client_id: p.client_id as string,
    scope: p.scope as string,
    tenant: p.tenant as string,
    roles: p.roles as string[],
    permissions: p.permissions as string[],
    groups: p.groups as string[],
  };
  if (p.nbf !== undefined) c.nbf = p.nbf as number;
  return c;
}
