/**
 * What the token service needs from the client registry, and what the registry provides under the
 * shard dependency name OAUTH_CLIENTS. The registry (one OAuthClientActor per client, secrets
 * verified on the hashing pool and remembered in the verified-secret cache) implements it; the
 * token endpoint, the bearer hook and the admin API only call it.
 */
import type { OAuthAuthMethod } from '../../storage/index.js';

export const OAUTH_CLIENTS = 'oauth.clients';

/** The identity a token is issued for: the client and, when linked, its service account. */
export interface ClientIdentity {
  clientId: string;
  tenantId: string;
  name: string;
  authMethod: OAuthAuthMethod;
  accessTokenTtlMinutes: number;
  /** Scopes the client may request; none requested = all of them. */
  scopes: string[];
  /** Public keys for private_key_jwt (RFC 7517 JWK Set), or null. */
  jwks: Record<string, unknown> | null;
  /** The linked, active service account, or null when none is linked. */
  serviceAccount: {
    id: string;
    roles: string[];
    permissions: string[];
    groups: string[];
    attributes: Record<string, unknown>;
  } | null;
}

/** Why a client could not be authenticated. Callers answer all of them with `invalid_client`
 *  (the detail goes to the audit line only, never to the caller). */
export type ClientRefusal = 'unknown_client' | 'bad_secret' | 'secret_expired' | 'no_secret' | 'method_not_allowed';

export type ClientAuthOutcome =
  | { ok: true; client: ClientIdentity; /** which slot matched */ slot: 'current' | 'previous' }
  | { ok: false; refusal: ClientRefusal };

export interface OAuthClients {
  /** Verifies a client secret presented with `method` (client_secret_basic or client_secret_post).
   *  Unknown clients cost a dummy verification (no timing oracle). Rejects with a coded error only
   *  when it cannot decide (storage down, hashing busy): callers answer 503, never success. */
  authenticateSecret(clientId: string, secret: string, method: 'client_secret_basic' | 'client_secret_post'): Promise<ClientAuthOutcome>;
  /** The client's identity without a secret check (for private_key_jwt, after the assertion's
   *  signature is verified against `jwks`, and for introspection). Null when unknown. */
  identity(clientId: string): Promise<ClientIdentity | null>;
}

export const OAUTH_VERIFIER = 'oauth.verifier';

/** The claims of a fleetgate access token (RFC 9068 profile, plus the tenant and the linked
 *  service account's roles, permissions and groups). */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf?: number;
  jti: string;
  client_id: string;
  /** Space-separated granted scopes. */
  scope: string;
  tenant: string;
  roles: string[];
  permissions: string[];
  groups: string[];
}

/** Verifies built-in access tokens: signature against the published keys, issuer (when
 *  configured), audience, time, revocation. Rejects with a coded error (ERR_INVALID_TOKEN for
 *  any token that must be refused; a storage/bus code when it cannot decide: callers fail
 *  closed). Provided on every shard under OAUTH_VERIFIER by the token module. */
export interface AccessTokenVerifier {
  verify(jwt: string): Promise<AccessTokenClaims>;
}
