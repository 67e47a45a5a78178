/** A StorageBackend over a MariaDB server. */
import type { StorageBackend } from '../repositories.js';
import { sqlBackend } from '../sql/backend.js';
import { mariadbDialect } from './dialect.js';
import { migrateMaria } from './migrate.js';
import { mariaExecutor, type MariadbOptions } from './sql.js';

export function mariadbBackend(opts: MariadbOptions): StorageBackend {
  const db = mariaExecutor(opts);
  return sqlBackend('mariadb', db, mariadbDialect, () => migrateMaria(db));
}
