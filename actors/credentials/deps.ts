/**
 * What the credential actors need, provided per shard under the name 'credentials'.
 */
import type { Hasher } from '../../runtime/index.js';
import type { ClientCredentialRepository, EndpointTokenRepository } from '../../storage/index.js';
import type { CredentialEvents } from './events.js';
import type { SecretCache } from './secret-cache.js';

export interface CredentialDeps {
  clientCredentials: ClientCredentialRepository;
  endpointTokens: EndpointTokenRepository;
  hasher: Hasher;
  cache: SecretCache;
  events: CredentialEvents;
  /** Loaded state older than this is reloaded before it decides anything (another instance may
   *  have changed it and its invalidation event may have been lost). */
  stateTtlMs: number;
  /** lastUsedAt is written at most this often per credential: a write per authentication would
   *  make storage the bottleneck of reconnect storms. */
  lastUseGranularityMs: number;
  /** An argon2id hash of a random secret, verified against when the username is unknown so that
   *  an unknown user costs the same time as a wrong password. */
  dummyHash: string;
}

export const CREDENTIAL_DEPS = 'credentials';

export function credentialDeps(deps: Readonly<Record<string, unknown>>): CredentialDeps {
  return deps[CREDENTIAL_DEPS] as CredentialDeps;
}
