/** A StorageBackend over any Postgres-dialect executor (a `pg` pool or PGlite). */
import type { StorageBackend } from '../repositories.js';
import { PgClientCredentialRepository } from './client-credentials.js';
import { PgEndpointTokenRepository } from './endpoint-tokens.js';
import { migratePg } from './migrate.js';
import { PgOAuthClientRepository } from './oauth-clients.js';
import { PgServiceAccountRepository } from './service-accounts.js';
import { PgRevokedTokenRepository, PgSigningKeyRepository } from './tokens-keys.js';
import type { SqlExecutor } from './sql.js';

export function pgDialectBackend(kind: 'postgres' | 'pglite', db: SqlExecutor): StorageBackend {
  return {
    kind,
    clientCredentials: new PgClientCredentialRepository(db),
    endpointTokens: new PgEndpointTokenRepository(db),
    oauthClients: new PgOAuthClientRepository(db),
    serviceAccounts: new PgServiceAccountRepository(db),
    revokedTokens: new PgRevokedTokenRepository(db),
    signingKeys: new PgSigningKeyRepository(db),
    async migrate() {
      await migratePg(db, kind);
    },
    async health() {
      await db.query('SELECT 1');
    },
    close: () => db.close(),
  };
}
