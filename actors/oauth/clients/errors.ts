/**
 * Errors of the OAuth client registry (clients, secrets, service accounts, seed file), with
 * stable codes that the admin API maps to statuses (actors/api.ts) and that survive a thread hop.
 */
import { FleetgateError } from '../../../runtime/index.js';

export class OAuthClientError extends FleetgateError {}

export const OAuthClientCodes = {
  /** No such client or service account in the caller's tenant (404): another tenant's object
   *  is answered exactly like an unknown one. */
  NOT_FOUND: 'ERR_NOT_FOUND',
  /** The request is well-formed JSON but not acceptable (400). */
  INVALID: 'ERR_INVALID_ARGUMENT',
  /** POST .../secret on a client that already has a current secret: rotate instead (409). */
  SECRET_EXISTS: 'ERR_SECRET_EXISTS',
  /** POST .../secret/rotate on a client without a current secret: issue one first (409). */
  NO_CURRENT_SECRET: 'ERR_NO_CURRENT_SECRET',
  /** Secret operations on a private_key_jwt client, or JWKS on a secret client (409). */
  WRONG_AUTH_METHOD: 'ERR_WRONG_AUTH_METHOD',
  /** The client is linked to another service account already (409). */
  CLIENT_LINKED: 'ERR_CLIENT_LINKED',
  /** The seed file is unreadable or invalid; start-up stops (never an HTTP answer). */
  SEED_INVALID: 'ERR_SEED_INVALID',
} as const;

/** Statuses of the codes above that the HTTP layer does not know already. */
export const OAUTH_CLIENT_STATUS: Readonly<Record<string, number>> = {
  ERR_SECRET_EXISTS: 409,
  ERR_NO_CURRENT_SECRET: 409,
  ERR_WRONG_AUTH_METHOD: 409,
  ERR_CLIENT_LINKED: 409,
};

export function notFound(what: string, data: Record<string, unknown>): OAuthClientError {
  return new OAuthClientError(OAuthClientCodes.NOT_FOUND, `no ${what} in this tenant`, { data });
}
