/** A StorageBackend over any SqlExecutor: the repositories of storage/sql/ in one dialect. */
import type { BackendKind, StorageBackend } from '../repositories.js';
import { SqlClientCredentialRepository } from './client-credentials.js';
import type { SqlDialect } from './dialect.js';
import { SqlEndpointTokenRepository } from './endpoint-tokens.js';
import type { SqlExecutor } from './executor.js';
import { SqlOAuthClientRepository } from './oauth-clients.js';
import { SqlServiceAccountRepository } from './service-accounts.js';
import { SqlRevokedTokenRepository, SqlSigningKeyRepository } from './tokens-keys.js';

/** `migrate` applies the backend's own migrations: their DDL differs by dialect. */
export function sqlBackend(kind: BackendKind, db: SqlExecutor, dialect: SqlDialect, migrate: () => Promise<unknown>): StorageBackend {
  return {
    kind,
    clientCredentials: new SqlClientCredentialRepository(db, dialect),
    endpointTokens: new SqlEndpointTokenRepository(db, dialect),
    oauthClients: new SqlOAuthClientRepository(db, dialect),
    serviceAccounts: new SqlServiceAccountRepository(db, dialect),
    revokedTokens: new SqlRevokedTokenRepository(db, dialect),
    signingKeys: new SqlSigningKeyRepository(db, dialect),
    async migrate() {
      await migrate();
    },
    async health() {
      await db.rows('SELECT 1 AS ok');
    },
    close: () => db.close(),
  };
}
