/** A StorageBackend over any Postgres-dialect executor (a `pg` pool or PGlite). */
import type { StorageBackend } from '../repositories.js';
import { PgClientCredentialRepository } from './client-credentials.js';
import { PgEndpointTokenRepository } from './endpoint-tokens.js';
import { migratePg } from './migrate.js';
import type { SqlExecutor } from './sql.js';

export function pgDialectBackend(kind: 'postgres' | 'pglite', db: SqlExecutor): StorageBackend {
  return {
    kind,
    clientCredentials: new PgClientCredentialRepository(db),
    endpointTokens: new PgEndpointTokenRepository(db),
    async migrate() {
      await migratePg(db, kind);
    },
    async health() {
      await db.query('SELECT 1');
    },
    close: () => db.close(),
  };
}
