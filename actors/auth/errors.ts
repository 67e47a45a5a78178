/**
 * Errors of bearer-token authentication, with stable codes the bearer hook turns into RFC 6750
 * answers: ERR_INVALID_TOKEN is 401 error="invalid_token"; ERR_AUTH_UNAVAILABLE is 503 (a
 * dependency that decides, such as the Tenant Manager or an issuer's JWKS, cannot be reached:
 * the request is refused, never let through).
 */
import { FleetgateError } from '../../runtime/index.js';

export class AuthError extends FleetgateError {}

export const AuthCodes = {
  /** The token must be refused: malformed, badly signed, expired, revoked, wrong issuer,
   *  audience or tenant. Its message is safe to show the caller. */
  INVALID_TOKEN: 'ERR_INVALID_TOKEN',
  /** Cannot decide now; retry later (503). */
  UNAVAILABLE: 'ERR_AUTH_UNAVAILABLE',
} as const;

export function invalidToken(why: string, cause?: unknown): AuthError {
  return new AuthError(AuthCodes.INVALID_TOKEN, why, cause === undefined ? undefined : { cause });
}

export function unavailable(why: string, cause?: unknown): AuthError {
  return new AuthError(AuthCodes.UNAVAILABLE, why, cause === undefined ? undefined : { cause });
}
