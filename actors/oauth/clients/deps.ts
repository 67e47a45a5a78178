/**
 * What the OAuthClientActor needs, provided per shard under OAUTH_CLIENT_DEPS by the module.
 */
import type { Hasher, Logger } from '../../../runtime/index.js';
import type { OAuthClientRepository, ServiceAccountRepository } from '../../../storage/index.js';
import type { SecretCache } from '../../credentials/secret-cache.js';
import type { ClientEvents } from './events.js';
import type { SecretLifecycle } from './secret-rules.js';

export interface OAuthClientDeps {
  clients: OAuthClientRepository;
  serviceAccounts: ServiceAccountRepository;
  hasher: Hasher;
  /** This shard's verified-secret cache for client secrets (its own instance: the credential
   *  services' cache is sized for devices). */
  cache: SecretCache;
  events: ClientEvents;
  lifecycle: SecretLifecycle;
  /** Loaded state older than this is reloaded before it decides (credentials.stateTtlMs). */
  stateTtlMs: number;
  /** argon2id hash of a random secret: unknown clients cost the same as a wrong secret. */
  dummyHash: string;
  /** Structured audit lines: who changed what, never a secret. */
  audit: Logger;
  /** One key of the OAUTH_AUTH_CACHE kind per shard: every change is dropped from each. */
  authCacheKeys: readonly string[];
}

export const OAUTH_CLIENT_DEPS = 'oauth.clients.deps';

export function oauthClientDeps(deps: Readonly<Record<string, unknown>>): OAuthClientDeps {
  return deps[OAUTH_CLIENT_DEPS] as OAuthClientDeps;
}
