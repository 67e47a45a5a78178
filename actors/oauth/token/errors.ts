/**
 * Errors of the token service. Two kinds:
 *  - `OAuthError`: an answer on the wire, with an RFC 6749 5.2 error code, its HTTP status, a
 *    public description and a private `detail` that goes to the audit line only (it may say
 *    "bad secret" where the caller is only told "invalid_client");
 *  - coded `TokenError`s (ERR_INVALID_TOKEN, ...) thrown by the verifier and the key store, that
 *    callers match on by code.
 */
import { FleetgateError } from '../../../runtime/index.js';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'slow_down'
  | 'temporarily_unavailable';

export class OAuthError extends FleetgateError {
  readonly error: OAuthErrorCode;
  readonly status: number;
  readonly description: string;
  /** Said in the audit line, never to the caller. */
  readonly detail: string;
  /** Extra response headers (WWW-Authenticate, Retry-After). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(error: OAuthErrorCode, status: number, description: string, opts: { detail?: string; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(`ERR_OAUTH_${error.toUpperCase()}`, description, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.error = error;
    this.status = status;
    this.description = description;
    this.detail = opts.detail ?? description;
    this.headers = opts.headers ?? {};
  }
}

export const invalidRequest = (description: string, detail?: string): OAuthError => new OAuthError('invalid_request', 400, description, detail === undefined ? {} : { detail });

export const TokenCodes = {
  /** An access token that must be refused: bad signature, unknown key, wrong issuer or audience,
   *  expired, not yet valid, revoked, malformed. `data.reason` says which. */
  INVALID_TOKEN: 'ERR_INVALID_TOKEN',
  /** The signing keys could not be loaded or decrypted (wrong key-encryption key). */
  KEYS_UNAVAILABLE: 'ERR_SIGNING_KEYS_UNAVAILABLE',
} as const;

export class TokenError extends FleetgateError {}

export function invalidToken(reason: string, cause?: unknown): TokenError {
  return new TokenError(TokenCodes.INVALID_TOKEN, 'the access token is not valid', { data: { reason }, ...(cause === undefined ? {} : { cause }) });
}
