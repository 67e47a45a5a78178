/**
 * The Postgres-dialect side of the SqlExecutor seam (storage/sql/executor.ts): `pg` (a server)
 * and PGlite (embedded) each implement it through `pgQueryable`, which turns every driver
 * error into a StorageError, so repositories never see one.
 */
import { FleetgateError } from '../../runtime/errors.js';
import { duplicate, unavailable } from '../errors.js';
import type { Row } from '../rows.js';
import type { SqlQueryable } from '../sql/executor.js';

/** SQLSTATE 23505 unique_violation: both pg and PGlite expose it as `code`. */
const UNIQUE_VIOLATION = '23505';

export function mapPgError(err: unknown): FleetgateError {
  if (err instanceof FleetgateError) return err;
  if (typeof err !== 'object' || err === null) return unavailable(err);
  if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) return duplicate();
  // The driver error becomes the `cause`, which may be logged: drop the fields that carry
  // values. PGlite attaches the bound `params`; a constraint error's `detail` quotes the
  // failing row ("Failing row contains (...)"), hashes included.
  const scrubbed = err as { params?: unknown; detail?: unknown };
  delete scrubbed.params;
  delete scrubbed.detail;
  return unavailable(err);
}

/**
 * A driver's answer to one statement: its rows, and the row count of its command tag for
 * INSERT, UPDATE and DELETE (pg's `rowCount`, PGlite's `affectedRows`).
 */
export interface PgAnswer {
  rows: Row[];
  affected: number | null | undefined;
}

/** `SqlQueryable` over one driver's query function; `$n` placeholders. */
export function pgQueryable(query: (sql: string, params?: unknown[]) => Promise<PgAnswer>): SqlQueryable {
  const run = async (sql: string, params?: unknown[]): Promise<PgAnswer> => {
    try {
      return await query(sql, params);
    } catch (err) {
      throw mapPgError(err);
    }
  };
  return {
    rows: async (sql, params) => (await run(sql, params)).rows,
    // A statement without a count (DDL, BEGIN) affected no rows.
    exec: async (sql, params) => ({ affectedRows: (await run(sql, params)).affected ?? 0 }),
  };
}
