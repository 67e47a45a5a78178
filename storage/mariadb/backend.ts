/** A StorageBackend over a MariaDB server. */
import type { StorageBackend } from '../repositories.js';
import { MariaClientCredentialRepository } from './client-credentials.js';
import { MariaEndpointTokenRepository } from './endpoint-tokens.js';
import { migrateMaria } from './migrate.js';
import { mariaExecutor, type MariadbOptions } from './sql.js';

export function mariadbBackend(opts: MariadbOptions): StorageBackend {
  const db = mariaExecutor(opts);
  return {
    kind: 'mariadb',
    clientCredentials: new MariaClientCredentialRepository(db),
    endpointTokens: new MariaEndpointTokenRepository(db),
    async migrate() {
      await migrateMaria(db);
    },
    async health() {
      await db.rows('SELECT 1 AS ok');
    },
    close: () => db.close(),
  };
}
