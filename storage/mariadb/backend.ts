/** A StorageBackend over a MariaDB server. */
import type { StorageBackend } from '../repositories.js';
import { MariaClientCredentialRepository } from './client-credentials.js';
import { MariaEndpointTokenRepository } from './endpoint-tokens.js';
import { migrateMaria } from './migrate.js';
import { MariaOAuthClientRepository } from './oauth-clients.js';
import { MariaServiceAccountRepository } from './service-accounts.js';
import { MariaRevokedTokenRepository, MariaSigningKeyRepository } from './tokens-keys.js';
import { mariaExecutor, type MariadbOptions } from './sql.js';

export function mariadbBackend(opts: MariadbOptions): StorageBackend {
  const db = mariaExecutor(opts);
  return {
    kind: 'mariadb',
    clientCredentials: new MariaClientCredentialRepository(db),
    endpointTokens: new MariaEndpointTokenRepository(db),
    oauthClients: new MariaOAuthClientRepository(db),
    serviceAccounts: new MariaServiceAccountRepository(db),
    revokedTokens: new MariaRevokedTokenRepository(db),
    signingKeys: new MariaSigningKeyRepository(db),
    async migrate() {
      await migrateMaria(db);
    },
    async health() {
      await db.rows('SELECT 1 AS ok');
    },
    close: () => db.close(),
  };
}
