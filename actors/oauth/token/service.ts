/**
 * The token service: what the OAuth endpoints do, apart from routing. One instance per shard
 * (module.ts), or built directly by tests with their own clients, limiter and clock.
 *
 * Every endpoint that authenticates a client goes the same way: HTTPS when required, strict form,
 * the presented method, the failure limit (429 before any verification), the client registry
 * (OAuthClients) or the client's registered keys, then the endpoint's own work. Every answer is
 * RFC 6749 5.1/5.2 shaped with Cache-Control: no-store, and leaves one audit line.
 */
import type { Clock, Logger } from '../../../runtime/index.js';
import { hasCode } from '../../../runtime/index.js';
import type { RevokedTokenRepository } from '../../../storage/index.js';
import { forwardedInfo, type ForwardedInfo, type HttpRequest, type HttpResponse } from '../../../transports/http/index.js';
import type { ClientIdentity, OAuthClients } from '../contract.js';
import { checkAssertion } from './assertion.js';
import { invalidClient, presented, type Presented } from './client-auth.js';
import { invalidRequest, OAuthError, TokenCodes } from './errors.js';
import { parseForm } from './form.js';
import { grantedScopes, issueAccessToken } from './grants/client-credentials.js';
import type { SigningKeys } from './keys.js';
import { BatchSigner, type Signer } from './sign-batch.js';
import type { AuthFailureLimiter } from './limiter.js';
import type { BuiltInVerifier } from './verify.js';

export const PATHS = {
  token: '/oauth2/token',
  jwks: '/oauth2/jwks',
  introspect: '/oauth2/introspect',
  revoke: '/oauth2/revoke',
  metadata: '/.well-known/oauth-authorization-server',
} as const;

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export const ASSERTION_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export interface TokenServiceOptions {
  readonly clients: OAuthClients;
  readonly keys: SigningKeys;
  /** Makes the tokens' signatures: a BatchSigner of this shard when not given. */
  readonly signer?: Signer;
  readonly verifier: BuiltInVerifier;
  readonly revoked: RevokedTokenRepository;
  readonly limiter: AuthFailureLimiter;
  readonly clock: Clock;
  /** Structured audit lines: event, clientId, tenant, jti, scope, reason, remote. */
  readonly audit: Logger;
  readonly audience: string;
  /** oauth.issuer, or null to derive it from each request. */
  readonly issuer: string | null;
  readonly requireHttps: boolean;
  readonly skewMs: number;
  /** Longest token lifetime: the signing key overlap. */
  readonly maxTtlMs: number;
}

// Frozen: shared by every answer, its headers are checked once by the HTTP layer.
const NO_STORE = Object.freeze({ 'cache-control': 'no-store', pragma: 'no-cache' } as const);

function oauthReply(err: OAuthError): HttpResponse {
  return { status: err.status, headers: { ...NO_STORE, ...err.headers }, body: { error: err.error, error_description: err.description } };
}

interface Authenticated {
  readonly client: ClientIdentity;
  readonly form: Map<string, string>;
  readonly remote: string;
  readonly issuer: string;
}

export class TokenService {
  readonly #o: TokenServiceOptions;
  /** oauth.issuer without trailing slashes, or null. */
  readonly #configuredIssuer: string | null;
  readonly #signer: Signer;

  constructor(o: TokenServiceOptions) {
    this.#o = o;
    this.#signer = o.signer ?? new BatchSigner();
    this.#configuredIssuer = o.issuer === null ? null : o.issuer.replace(/\/+$/, '');
  }

  /** The issuer of this request: configured, or scheme and host as the client addressed us. */
  issuerOf(req: HttpRequest): string {
    return this.#issuerFrom(this.#configuredIssuer === null ? forwardedInfo(req) : undefined);
  }

  #issuerFrom(f: ForwardedInfo | undefined): string {
    if (this.#configuredIssuer !== null) return this.#configuredIssuer;
    if (f === undefined || f.host === '') throw invalidRequest('the request has no valid Host');
    return `${f.proto}://${f.host}`;
  }

  /** POST /oauth2/token */
  async token(req: HttpRequest): Promise<HttpResponse> {
    return this.#answer(req, 'token', async (form, f) => {
      // RFC 6749 4.4.2: grant_type is REQUIRED; only client_credentials is served.
      const grant = form.get('grant_type');
      if (grant === undefined) throw invalidRequest('grant_type is missing');
      if (grant !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 400, 'only the client_credentials grant is supported');
      const a = await this.#authenticate(req, form, f);
      const o = this.#o;
      let scopes: string[];
      try {
        scopes = grantedScopes(form.get('scope'), a.client);
      } catch (err) {
        if (err instanceof OAuthError) this.#audit('token.refused', a, { reason: err.detail });
        throw err;
      }
      const issued = await issueAccessToken(a.client, scopes, {
        key: await o.keys.current(),
        signer: this.#signer,
        issuer: a.issuer,
        audience: o.audience,
        nowMs: o.clock.now(),
        maxTtlSeconds: Math.floor(o.maxTtlMs / 1000),
      });
      this.#audit('token.issued', a, { jti: issued.jti, scope: issued.scope, exp: issued.exp });
      return {
        status: 200,
        headers: NO_STORE,
        body: { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope },
      };
    });
  }

  /** POST /oauth2/introspect (RFC 7662). Anything not an active token of the caller's tenant is
   *  {active: false}, whatever the reason (2.2: no more is said). */
  async introspect(req: HttpRequest): Promise<HttpResponse> {
    return this.#answer(req, 'introspect', async (form, f) => {
      const a = await this.#authenticate(req, form, f);
      const token = form.get('token');
      if (token === undefined) throw invalidRequest('token is missing');
      const inactive: HttpResponse = { status: 200, headers: NO_STORE, body: { active: false } };
      let c;
      try {
        c = await this.#o.verifier.verify(token);
      } catch (err) {
        if (hasCode(err, TokenCodes.INVALID_TOKEN)) return inactive;
        throw err;
      }
      if (c.tenant !== a.client.tenantId) return inactive;
      return {
        status: 200,
        headers: NO_STORE,
        body: {
          active: true,
          scope: c.scope,
          client_id: c.client_id,
          sub: c.sub,
          aud: c.aud,
          iss: c.iss,
          exp: c.exp,
          iat: c.iat,
          ...(c.nbf === undefined ? {} : { nbf: c.nbf }),
          jti: c.jti,
          token_type: 'Bearer',
          tenant: c.tenant,
          roles: c.roles,
          permissions: c.permissions,
          groups: c.groups,
        },
      };
    });
  }

  /** POST /oauth2/revoke (RFC 7009). 200 for anything that is not the caller's own valid token
   *  (2.2: an invalid token is no error); the caller's own is refused until it expires. */
  async revoke(req: HttpRequest): Promise<HttpResponse> {
    return this.#answer(req, 'revoke', async (form, f) => {
      const a = await this.#authenticate(req, form, f);
      const token = form.get('token');
      if (token === undefined) throw invalidRequest('token is missing');
      const done: HttpResponse = { status: 200, headers: NO_STORE };
      let c;
      try {
        c = await this.#o.verifier.claims(token, false);
      } catch (err) {
        if (hasCode(err, TokenCodes.INVALID_TOKEN)) return done;
        throw err;
      }
      if (c.client_id !== a.client.clientId) {
        this.#audit('token.revoke-ignored', a, { jti: c.jti, reason: 'token of another client' });
        return done;
      }
      await this.#o.revoked.revoke(c.jti, c.exp * 1000);
      this.#o.verifier.noteRevoked(c.jti);
      this.#audit('token.revoked', a, { jti: c.jti, scope: c.scope });
      return done;
    });
  }

  /** GET /oauth2/jwks */
  async jwks(): Promise<HttpResponse> {
    return { status: 200, headers: { 'cache-control': 'public, max-age=60' }, body: await this.#o.keys.jwks() };
  }

  /** GET /.well-known/oauth-authorization-server (RFC 8414 2) */
  metadata(req: HttpRequest): HttpResponse {
    let issuer: string;
    try {
      issuer = this.issuerOf(req);
    } catch (err) {
      if (err instanceof OAuthError) return oauthReply(err);
      throw err;
    }
    return {
      status: 200,
      headers: { 'cache-control': 'public, max-age=300' },
      body: {
        issuer,
        token_endpoint: `${issuer}${PATHS.token}`,
        jwks_uri: `${issuer}${PATHS.jwks}`,
        introspection_endpoint: `${issuer}${PATHS.introspect}`,
        revocation_endpoint: `${issuer}${PATHS.revoke}`,
        grant_types_supported: ['client_credentials'],
        response_types_supported: [],
        token_endpoint_auth_methods_supported: [...AUTH_METHODS],
        token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGS],
        introspection_endpoint_auth_methods_supported: [...AUTH_METHODS],
        introspection_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGS],
        revocation_endpoint_auth_methods_supported: [...AUTH_METHODS],
        revocation_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGS],
      },
    };
  }

  /** The shared frame: HTTPS, form, and the mapping of every failure to an RFC 6749 body. */
  async #answer(req: HttpRequest, endpoint: string, work: (form: Map<string, string>, f: ForwardedInfo) => Promise<HttpResponse>): Promise<HttpResponse> {
    const f = forwardedInfo(req);
    const remote = f.for;
    try {
      if (this.#o.requireHttps && f.proto !== 'https') throw invalidRequest('HTTPS required');
      return await work(parseForm(req.headers['content-type'], req.rawBody), f);
    } catch (err) {
      if (err instanceof OAuthError) {
        if (err.error !== 'invalid_client' && err.error !== 'invalid_scope' && err.error !== 'slow_down') {
          // Refusals before a client is known (those after it are audited where they happen).
          this.#o.audit.info({ event: `${endpoint}.refused`, error: err.error, reason: err.detail, remote }, 'request refused');
        }
        return oauthReply(err);
      }
      // Cannot decide (storage, hashing, keys): never a success, never a 500 with internals.
      this.#o.audit.warn({ event: `${endpoint}.failed`, code: codeOf(err), remote }, 'request failed');
      return oauthReply(new OAuthError('temporarily_unavailable', 503, 'the authorization server cannot answer now; retry later', { headers: { 'retry-after': '1' } }));
    }
  }

  async #authenticate(req: HttpRequest, form: Map<string, string>, f: ForwardedInfo): Promise<Authenticated> {
    const o = this.#o;
    const remote = f.for;
    const issuer = this.#issuerFrom(f);
    let p: Presented;
    try {
      p = presented(req.headers.authorization, form);
    } catch (err) {
      if (err instanceof OAuthError && err.error === 'invalid_client') {
        await o.limiter.recordFailure([`addr:${remote}`]);
        o.audit.info({ event: 'client.refused', reason: err.detail, remote }, 'client authentication refused');
      }
      throw err;
    }
    const basic = p.method === 'client_secret_basic';
    const keys = [`addr:${remote}`, `client:${p.clientId}`];
    // Shard-local: a block is pushed to every shard before the failure that caused it is answered.
    const wait = o.limiter.retryAfterMs(keys);
    if (wait > 0) {
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      o.audit.info({ event: 'client.limited', clientId: p.clientId, remote, retryAfter: seconds }, 'client authentication rate-limited');
      // 429 (RFC 6585 4) with slow_down: of the registered OAuth error codes it is the one defined
      // for token endpoint answers (RFC 8628 3.5, "the client ... should slow down");
      // temporarily_unavailable is registered for the authorization endpoint only.
      throw new OAuthError('slow_down', 429, 'too many failed client authentications; retry later', { headers: { 'retry-after': String(seconds) } });
    }
    let refusal: string | undefined;
    let client: ClientIdentity | null = null;
    if (p.method === 'private_key_jwt') {
      client = await o.clients.identity(p.clientId);
      if (client === null) refusal = 'unknown_client';
      else if (client.authMethod !== 'private_key_jwt') refusal = 'method_not_allowed';
      else {
        const endpoint = `${issuer}${req.path}`;
        refusal = await checkAssertion(p.assertion, p.clientId, client.jwks, {
          audiences: [...new Set([issuer, `${issuer}/`, `${issuer}${PATHS.token}`, endpoint])],
          clock: o.clock,
          skewMs: o.skewMs,
          seen: o.revoked,
        });
      }
    } else {
      const outcome = await o.clients.authenticateSecret(p.clientId, p.secret, p.method);
      if (outcome.ok) client = outcome.client;
      else refusal = outcome.refusal;
    }
    if (refusal !== undefined || client === null) {
      await o.limiter.recordFailure(keys);
      o.audit.info({ event: 'client.refused', clientId: p.clientId, method: p.method, reason: refusal ?? 'unknown_client', remote }, 'client authentication refused');
      throw invalidClient(refusal ?? 'unknown_client', basic);
    }
    return { client, form, remote, issuer };
  }

  #audit(event: string, a: Authenticated, fields: Record<string, unknown>): void {
    this.#o.audit.info({ event, clientId: a.client.clientId, tenant: a.client.tenantId, remote: a.remote, ...fields }, event);
  }
}

function codeOf(err: unknown): string {
  const c = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof c === 'string' ? c : 'unknown';
}
