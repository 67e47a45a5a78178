/**
 * Errors of the calling-service SDK. Callers match on `code`; a refusal by the authorization
 * server is a TokenRequestError carrying the RFC 6749 5.2 `error` and `error_description` and the
 * HTTP status. No message built here ever contains the client secret or a token: the SDK only
 * puts in them what the server said and what the caller can already see (URL, client id).
 */
import { FleetgateError } from '../../runtime/errors.js';

export class OAuthSdkError extends FleetgateError {}

export const OAuthSdkCodes = {
  /** The token endpoint answered with an OAuth error (RFC 6749 5.2) or a non-200 status. */
  TOKEN_REQUEST: 'ERR_TOKEN_REQUEST',
  /** A 200 answer that is not a usable token response (no access_token, not Bearer, bad JSON). */
  TOKEN_RESPONSE: 'ERR_TOKEN_RESPONSE',
  /** The token endpoint or discovery could not be reached, or did not answer in time. */
  NETWORK: 'ERR_TOKEN_NETWORK',
  /** RFC 8414 metadata could not be fetched or does not fit (issuer mismatch, no token_endpoint). */
  DISCOVERY: 'ERR_TOKEN_DISCOVERY',
  /** The token source was closed. */
  CLOSED: 'ERR_TOKEN_SOURCE_CLOSED',
} as const;

export type OAuthSdkCode = (typeof OAuthSdkCodes)[keyof typeof OAuthSdkCodes];

/**
 * The token endpoint refused: `error` is the RFC 6749 5.2 code (`invalid_client`,
 * `invalid_scope`, ...) or, when the body carried none, `http_<status>`.
 */
export class TokenRequestError extends OAuthSdkError {
  readonly error: string;
  readonly errorDescription: string | undefined;
  readonly status: number;
  /** From Retry-After (429, 503): when the server asked to be left alone, in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(init: { error: string; errorDescription?: string | undefined; status: number; retryAfterMs?: number | undefined }) {
    const desc = init.errorDescription === undefined ? '' : `: ${init.errorDescription}`;
    super(OAuthSdkCodes.TOKEN_REQUEST, `token request refused with HTTP ${init.status} ${init.error}${desc}`, {
      data: { error: init.error, status: init.status, ...(init.errorDescription === undefined ? {} : { errorDescription: init.errorDescription }) },
    });
    this.error = init.error;
    this.errorDescription = init.errorDescription;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
  }
}
