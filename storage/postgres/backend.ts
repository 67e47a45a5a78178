/** A StorageBackend over any Postgres-dialect executor (a `pg` pool or PGlite). */
import type { StorageBackend } from '../repositories.js';
import { sqlBackend } from '../sql/backend.js';
import type { SqlExecutor } from '../sql/executor.js';
import { postgresDialect } from './dialect.js';
import { migratePg } from './migrate.js';

export function pgDialectBackend(kind: 'postgres' | 'pglite', db: SqlExecutor): StorageBackend {
  return sqlBackend(kind, db, postgresDialect, () => migratePg(db, kind));
}
