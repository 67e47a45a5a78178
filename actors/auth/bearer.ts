/**
 * The bearer-token authorize hook of the admin APIs (`api.auth: bearer`, RFC 6750).
 *
 *   no credentials, or another scheme   401  WWW-Authenticate: Bearer realm="fleetgate"
 *   malformed Authorization header      400  error="invalid_request"            (RFC 6750 3.1)
 *   bad, expired, revoked, foreign      401  error="invalid_token"
 *   permission not granted              403  error="insufficient_scope" scope="<permission>"
 *   cannot decide now                   503  Retry-After                        (fail closed)
 *
 * Bodies are RFC 9457 problem+json like the rest of the admin API. A token of the built-in
 * issuer is checked by the token service's verifier (dep 'oauth.verifier': keys, issuer,
 * audience, time, revocation); one of a tenant's own issuer by ExternalIssuers. The tenant of
 * the principal is the token's, never the request's: tenant isolation rests on that.
 */
import { decodeJwt, type JWTPayload } from 'jose';
import { hasCode, type Logger } from '../../runtime/index.js';
import { problem, type AuthorizeHook, type HttpRequest, type HttpResponse } from '../../transports/http/index.js';
import type { Principal } from '../credentials/routes.js';
import type { AccessTokenVerifier } from '../oauth/contract.js';
import { AuthCodes } from './errors.js';
import type { ExternalIssuers } from './external.js';
import { principalOf } from './principal.js';

export interface BearerOptions {
  /** The built-in issuer's verifier (dep 'oauth.verifier'). */
  builtin: AccessTokenVerifier;
  /** Tenants' own issuers; null when none are configured. */
  external: ExternalIssuers | null;
  /** The built-in issuer as seen by this request (configured, or derived from its Host). */
  builtinIssuer(req: HttpRequest): string;
  log: Logger;
  /** Seconds a client should wait after a 503 (default 1). */
  retryAfterSec?: number;
}

/** The dep under which the auth module provides the hook for actors/api.ts. */
export const AUTHORIZE_HOOK = 'auth.authorize';

const REALM = 'fleetgate';
/** RFC 6750 2.1: credentials = "Bearer" 1*SP b64token. The scheme is case-insensitive (RFC 9110 11.1). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?: |$)/;
/** No token of ours comes near it; a larger one is refused before any parsing. */
const MAX_TOKEN_CHARS = 8192;

/** A refusal the hook answers with; `why` is safe to show the caller. */
class Refusal {
  constructor(
    readonly status: 400 | 401 | 503,
    readonly error: 'invalid_request' | 'invalid_token' | null,
    readonly why: string,
  ) {}
}

export function bearerAuth(o: BearerOptions): AuthorizeHook {
  if (typeof o.builtin?.verify !== 'function') throw new TypeError('bearerAuth: builtin must be an AccessTokenVerifier');
  const retryAfter = String(o.retryAfterSec ?? 1);

  const authenticate = async (req: HttpRequest, token: string): Promise<Principal> => {
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      throw new Refusal(401, 'invalid_token', 'the token is not a JWT');
    }
    if (typeof claims.iss !== 'string') throw new Refusal(401, 'invalid_token', 'the token names no issuer');
    if (o.external !== null && !o.external.empty) {
      const isBuiltin = claims.iss === o.builtinIssuer(req);
      if (!isBuiltin || o.external.isConfigured(claims.iss)) {
        const p = await o.external.verify(token, claims, !isBuiltin);
        if (p !== null) return p;
      }
    }
    const verified = await o.builtin.verify(token);
    return principalOf(verified as unknown as Record<string, unknown>, verified.tenant);
  };

  return async (req, route): Promise<void | HttpResponse> => {
    try {
      const token = credentials(req.headers.authorization);
      const principal = await authenticate(req, token);
      if (route.permission !== undefined && !principal.scopes.includes(route.permission)) {
        return problem(403, 'ERR_FORBIDDEN', 'Forbidden', `this operation needs the permission ${route.permission}`, { permission: route.permission }, {
          'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${route.permission}"`,
        });
      }
      req.auth = principal;
      return undefined;
    } catch (err) {
      const r = refusalOf(err, o.log);
      if (r.status === 503) {
        return problem(503, AuthCodes.UNAVAILABLE, 'Service Unavailable', r.why, undefined, { 'retry-after': retryAfter });
      }
      const challenge = r.error === null ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="${r.error}", error_description="${r.why}"`;
      const code = r.status === 400 ? 'ERR_INVALID_REQUEST' : r.error === null ? 'ERR_UNAUTHENTICATED' : AuthCodes.INVALID_TOKEN;
      return problem(r.status, code, r.status === 400 ? 'Bad Request' : 'Unauthorized', r.why, undefined, { 'www-authenticate': challenge });
    }
  };
}

/** The token of the Authorization header, or a Refusal. */
function credentials(header: string | undefined): string {
  if (header === undefined || header.trim() === '') throw new Refusal(401, null, 'a bearer token is required (Authorization: Bearer <token>)');
  const m = BEARER.exec(header);
  if (m === null) {
    const scheme = SCHEME.exec(header)?.[1];
    // RFC 6750 3.1: a request without bearer credentials gets the bare challenge.
    if (scheme !== undefined && scheme.toLowerCase() !== 'bearer') throw new Refusal(401, null, 'a bearer token is required (Authorization: Bearer <token>)');
    throw new Refusal(400, 'invalid_request', 'the Authorization header must be the scheme Bearer and one token');
  }
  const token = m[1]!;
  if (token.length > MAX_TOKEN_CHARS) throw new Refusal(401, 'invalid_token', 'the token is too long');
  return token;
}

function refusalOf(err: unknown, log: Logger): Refusal {
  if (err instanceof Refusal) return err;
  if (hasCode(err, AuthCodes.INVALID_TOKEN)) {
    // The text goes into a quoted-string of WWW-Authenticate (RFC 9110 5.6.4): no quote, no backslash.
    const msg = (err as { message?: unknown }).message;
    const reason = (err as { data?: { reason?: unknown } }).data?.reason;
    const text = typeof msg === 'string' && /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,200}$/.test(msg) ? msg : 'the token is not valid';
    return new Refusal(401, 'invalid_token', typeof reason === 'string' && /^[a-z ]{1,40}$/.test(reason) ? `${text} (${reason})` : text);
  }
  // Anything else (storage, bus, Tenant Manager, an issuer's JWKS): the request is refused.
  log.warn({ code: (err as { code?: unknown })?.code ?? 'unknown', err: err instanceof Error ? err.message : String(err) }, 'bearer token could not be checked');
  return new Refusal(503, null, 'the token cannot be checked now; retry later');
}
