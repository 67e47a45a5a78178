/**
 * Tokens of issuers other than fleetgate's own: a tenant's identity provider, named in
 * `auth.tenants` or by the Tenant Manager. Such a token is accepted only when its issuer is the
 * issuer OF THE TENANT IT NAMES (the claim `tenantClaim`, default `tenant`): an issuer trusted
 * for tenant A can never speak for tenant B. Its signature is checked against the issuer's JWKS
 * (jose createRemoteJWKSet, one per JWKS URL, kept in a bounded LRU; jose caches the key set
 * and refetches on an unknown kid, with a cooldown), then audience, expiry and not-before.
 *
 * `verify` answers null when the token's issuer is not an external issuer of the tenant it names
 * by the Tenant Manager: the caller then tries the built-in issuer, whose verifier refuses every
 * signature but fleetgate's own, so nothing is let through by that fallback.
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../credentials/routes.js';
import { AuthError, invalidToken, unavailable } from './errors.js';
import { principalOf } from './principal.js';
import type { TenantManager } from './tenant-manager.js';

export interface TenantIssuerConfig {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly audience: string | null;
  readonly tenantClaim: string;
}

export interface ExternalIssuersOptions {
  /** `auth.tenants`: tenantId -> its issuer. */
  tenants: Readonly<Record<string, TenantIssuerConfig>>;
  tenantManager: TenantManager | null;
  /** The claim naming the tenant in tokens of Tenant Manager issuers. */
  tenantManagerClaim: string;
  /** Audience for Tenant Manager issuers and for `auth.tenants` entries without one. */
  defaultAudience: string;
  tenantManagerAudience: string | null;
  /** Allowed clock skew, seconds (default 30). */
  clockToleranceSec?: number;
  /** Deadline of a JWKS request, ms (default 5000). */
  jwksTimeoutMs?: number;
}

/** Asymmetric algorithms only: an external issuer never shares a secret with fleetgate. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** jose codes that mean "this token is bad" rather than "the issuer cannot be reached". */
const REFUSALS = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
]);

export class ExternalIssuers {
  readonly #o: ExternalIssuersOptions;
  readonly #byIssuer = new Map<string, Array<[tenantId: string, cfg: TenantIssuerConfig]>>();
  readonly #jwks: LRUCache<string, JWTVerifyGetKey>;

  constructor(o: ExternalIssuersOptions) {
    this.#o = o;
    for (const [tenantId, cfg] of Object.entries(o.tenants)) {
      const list = this.#byIssuer.get(cfg.issuer) ?? [];
      list.push([tenantId, cfg]);
      this.#byIssuer.set(cfg.issuer, list);
    }
    this.#jwks = new LRUCache({ max: 1000 });
  }

  /** True when there is nothing to consult (no tenants configured, no Tenant Manager). */
  get empty(): boolean {
    return this.#byIssuer.size === 0 && this.#o.tenantManager === null;
  }

  /** True when `iss` is an issuer named in `auth.tenants`. */
  isConfigured(iss: string): boolean {
    return this.#byIssuer.has(iss);
  }

  /**
   * Verifies `token` (whose unverified claims are `claims`) as a token of an external issuer.
   * `askTenantManager` is false when the issuer is the built-in one. Resolves the principal, or
   * null when the issuer is not external for the tenant named; rejects with ERR_INVALID_TOKEN or
   * ERR_AUTH_UNAVAILABLE.
   */
  async verify(token: string, claims: JWTPayload, askTenantManager: boolean): Promise<Principal | null> {
    const iss = claims.iss;
    if (typeof iss !== 'string') return null;
    const configured = this.#byIssuer.get(iss);
    if (configured !== undefined) {
      const match = configured.find(([tenantId, cfg]) => claims[cfg.tenantClaim] === tenantId);
      if (match === undefined) throw invalidToken('the token\'s issuer is not the issuer of the tenant it names');
      const [tenantId, cfg] = match;
      const payload = await this.#check(token, iss, cfg.jwksUrl, cfg.audience ?? this.#o.defaultAudience);
      return principalOf(payload, payload[cfg.tenantClaim] === tenantId ? tenantId : undefined);
    }
    const tm = this.#o.tenantManager;
    if (tm === null || !askTenantManager) return null;
    const claim = this.#o.tenantManagerClaim;
    const named = claims[claim];
    if (typeof named !== 'string') return null;
    const tenant = await tm.lookup(named);
    if (tenant === null || tenant.issuer !== iss) return null;
    const payload = await this.#check(token, iss, tenant.jwksUrl, this.#o.tenantManagerAudience ?? this.#o.defaultAudience);
    return principalOf(payload, payload[claim] === named ? named : undefined);
  }

  async #check(token: string, issuer: string, jwksUrl: string, audience: string): Promise<JWTPayload> {
    let keys = this.#jwks.get(jwksUrl);
    if (keys === undefined) {
      keys = createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: this.#o.jwksTimeoutMs ?? 5000 });
      this.#jwks.set(jwksUrl, keys);
    }
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer,
        audience,
        algorithms: ALGORITHMS,
        clockTolerance: this.#o.clockToleranceSec ?? 30,
        requiredClaims: ['exp'],
      });
      return payload;
    } catch (err) {
      if (err instanceof AuthError) throw err;
      const code = err instanceof joseErrors.JOSEError ? err.code : undefined;
      if (code !== undefined && REFUSALS.has(code)) throw invalidToken(refusalText(code), err);
      // Timeouts, an unreachable issuer, a JWKS that is not a key set: cannot decide.
      throw unavailable('the token issuer\'s keys cannot be fetched', err);
    }
  }
}

function refusalText(code: string): string {
  if (code === 'ERR_JWT_EXPIRED') return 'the token has expired';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return 'the token\'s claims are not acceptable (issuer, audience, time)';
  return 'the token\'s signature is not valid';
}
