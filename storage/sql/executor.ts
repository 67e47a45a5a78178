/**
 * The seam every SQL backend implements: `pg` and PGlite (the Postgres dialect) and `mariadb`.
 * The repositories under storage/sql/ are written once against it, and a SqlDialect
 * (storage/sql/dialect.ts) supplies the statement text that differs. Executors turn every
 * driver error into a StorageError (a unique violation into ERR_DUPLICATE), so repositories
 * never see a driver error.
 */
import type { Row } from '../rows.js';

export interface SqlQueryable {
  /**
   * A statement that returns rows (SELECT, DELETE ... RETURNING). Values travel as parameters
   * in the dialect's placeholders, never spliced into the text.
   */
  rows(sql: string, params?: unknown[]): Promise<Row[]>;
  /** A statement run for its effect (INSERT, UPDATE, DELETE, DDL): how many rows it affected. */
  exec(sql: string, params?: unknown[]): Promise<{ affectedRows: number }>;
}

export interface SqlExecutor extends SqlQueryable {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Idempotent. */
  close(): Promise<void>;
}
