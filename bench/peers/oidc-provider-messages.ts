/**
 * IPC between the oidc-provider launcher (bench process) and its server child. The client
 * credentials go over IPC rather than argv or env, where `ps` and /proc/<pid>/environ would
 * show them.
 *
 * Order: the child sends nothing until it gets `config`; it answers `listening` once bound
 * (port 0, so no port race) or `failed`; `stop` closes the server and the child exits.
 */
import type { Credential } from './peer.js';

/** What the token endpoint of the peer is configured to look like: the same as fleetgate's. */
export interface OidcTokenProfile {
  /** Scopes every client may be granted (none requested: all of them). */
  readonly scopes: readonly string[];
  /** `aud` of the access tokens. */
  readonly audience: string;
  readonly accessTokenTtlSeconds: number;
  /** Claims fleetgate adds (tenant, roles, permissions, groups), so the payloads weigh the same. */
  readonly extraClaims: Readonly<Record<string, string | readonly string[]>>;
}

export interface OidcConfigMessage {
  readonly type: 'config';
  /** username = client_id, password = client_secret (client_secret_basic). */
  readonly credentials: readonly Credential[];
  readonly profile: OidcTokenProfile;
}

export interface OidcStopMessage {
  readonly type: 'stop';
}

export type ToOidcChild = OidcConfigMessage | OidcStopMessage;

export interface OidcListeningMessage {
  readonly type: 'listening';
  readonly port: number;
  /** Path of the token endpoint. */
  readonly tokenPath: string;
}

export interface OidcFailedMessage {
  readonly type: 'failed';
  readonly message: string;
}

export type FromOidcChild = OidcListeningMessage | OidcFailedMessage;
