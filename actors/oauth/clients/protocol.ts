/**
 * Messages to the OAuthClientActor and their replies. Everything here crosses threads, so it is
 * plain data. A plaintext secret travels only in `authenticate` (presented) and in the replies
 * of `issueSecret` / `rotateSecret` (shown once to the operator); never in a log line or error.
 */
import type { ClientAuthOutcome } from '../contract.js';
import type { OAuthAuthMethod, SecretSlot } from '../../../storage/index.js';
import type { SecretStatus } from './secret-rules.js';

export const OAUTH_CLIENT = 'oauth.client';

/** Client ids become actor keys, path segments and audit fields: a conservative alphabet. */
export const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
/** Service account ids and tenant ids: the same alphabet. */
export const OBJECT_ID = CLIENT_ID;

export type OAuthClientMsg =
  | { t: 'authenticate'; secret: string; method: 'client_secret_basic' | 'client_secret_post' }
  | { t: 'identity' }
  /** Admin reads and writes carry the caller's tenant: another tenant's client is "not found". */
  | { t: 'get'; tenantId: string }
  | { t: 'secretStatus'; tenantId: string }
  | { t: 'issueSecret'; tenantId: string }
  | { t: 'rotateSecret'; tenantId: string }
  | { t: 'deleteSecret'; tenantId: string; slot: SecretSlot }
  | { t: 'setJwks'; tenantId: string; jwks: Record<string, unknown> | null }
  /** The client or its service-account link changed elsewhere: reload from storage. */
  | { t: 'invalidate' };

/** The reply to `authenticate`: a success says until when a shard may give it again without
 *  asking (shard-cache.ts). */
export type AuthAnswer =
  | (Extract<ClientAuthOutcome, { ok: true }> & { reusableUntil: number })
  | Extract<ClientAuthOutcome, { ok: false }>;

/** What the admin API shows of a client (never a secret or a hash). */
export interface ClientView {
  clientId: string;
  tenantId: string;
  clientName: string;
  clientAuthenticationMethod: OAuthAuthMethod;
  accessTokenTtlMinutes: number;
  scope: string;
  jwks: Record<string, unknown> | null;
  seeded: boolean;
  serviceAccountId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A secret shown once: the answer of issue and rotate. */
export interface IssuedSecret {
  clientId: string;
  clientSecret: string;
  createdAt: string;
  expiresAt: string | null;
  /** After a rotation: until when the previous secret is still accepted. */
  previousExpiresAt?: string | null;
}

export interface SecretStatusView {
  clientId: string;
  hasSecret: boolean;
  createdAt: string | null;
  expiresAt: string | null;
  previousExpiresAt: string | null;
  rotationRequired: boolean;
  expired: boolean;
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function secretStatusView(clientId: string, s: SecretStatus): SecretStatusView {
  return {
    clientId,
    hasSecret: s.hasSecret,
    createdAt: isoOrNull(s.createdAt),
    expiresAt: isoOrNull(s.expiresAt),
    previousExpiresAt: isoOrNull(s.previousExpiresAt),
    rotationRequired: s.rotationRequired,
    expired: s.expired,
  };
}
