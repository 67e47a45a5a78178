/**
 * The public surface of storage/: open a backend, the repository contracts, the domain types
 * and the coded errors. Nothing else under storage/ is imported from outside this folder.
 */
import { checkKeys, checkPoolSize, checkPostgresUrl, mariadbOptions, type BackendConfig } from './config.js';
import { mariadbBackend } from './mariadb/backend.js';
import { pgliteExecutor } from './pglite/executor.js';
import { pgDialectBackend } from './postgres/backend.js';
import { pgExecutor } from './postgres/pg-executor.js';
import type { StorageBackend } from './repositories.js';

export type { BackendConfig } from './config.js';
export type {
  BackendKind,
  ClientCredentialRepository,
  EndpointTokenRepository,
  OAuthClientRepository,
  RevokedTokenRepository,
  ServiceAccountRepository,
  SigningKeyRepository,
  StorageBackend,
} from './repositories.js';
export type {
  ClientCredential,
  ClientCredentialPatch,
  CredentialState,
  EndpointToken,
  EndpointTokenPatch,
  ClientSecret,
  ListOptions,
  NewClientSecret,
  OAuthAuthMethod,
  OAuthClient,
  OAuthClientPatch,
  Page,
  SecretRotation,
  SecretSlot,
  ServiceAccount,
  SigningKey,
} from './types.js';
export { CREDENTIAL_STATES, OAUTH_AUTH_METHODS, SECRET_SLOTS } from './types.js';
export { StorageCodes, StorageError, type StorageCode } from './errors.js';
export { Limits } from './validate.js';
export { OAuthLimits } from './validate-oauth.js';
export { remoteBackend, serveStorage, type RemoteBackendOptions } from './remote.js';

/**
 * Opens a backend. PGlite opens (and if needed initialises) its data directory now; server
 * backends connect lazily, so call `health()` to check reachability and `migrate()` before use.
 * A malformed configuration is a TypeError. One data directory takes ONE open PGlite backend
 * at a time (PGlite is an in-process server): close it before opening it again.
 */
export async function openBackend(cfg: BackendConfig): Promise<StorageBackend> {
  if (cfg.kind === 'pglite' || cfg.kind === 'postgres' || cfg.kind === 'mariadb') checkKeys(cfg);
  switch (cfg.kind) {
    case 'pglite': {
      if (typeof cfg.dataDir !== 'string' || cfg.dataDir === '') {
        throw new TypeError('storage pglite: dataDir must be a non-empty path');
      }
      return pgDialectBackend('pglite', await pgliteExecutor(cfg.dataDir));
    }
    case 'postgres':
      return pgDialectBackend(
        'postgres',
        pgExecutor({ connectionString: checkPostgresUrl(cfg.url), max: checkPoolSize('postgres', cfg.poolSize) }),
      );
    case 'mariadb':
      return mariadbBackend(mariadbOptions(cfg.url, cfg.poolSize));
    default: {
      const kind: unknown = (cfg as { kind?: unknown }).kind;
      throw new TypeError(`storage: kind must be pglite, postgres or mariadb (got ${String(kind)})`);
    }
  }
}
