/**
 * The Postgres-dialect seam. The repositories and migrations under storage/postgres/ are
 * written once against `SqlExecutor`; `pg` (a server) and PGlite (embedded) each implement it.
 * Executors turn every driver error into a StorageError, so repositories never see one.
 */
import { FleetgateError } from '../../runtime/errors.js';
import { duplicate, unavailable } from '../errors.js';
import type { Row } from '../rows.js';

export interface SqlResult {
  rows: Row[];
}

export interface SqlQueryable {
  /** `$n` placeholders; values are sent as parameters, never spliced into the text. */
  query(sql: string, params?: unknown[]): Promise<SqlResult>;
}

export interface SqlExecutor extends SqlQueryable {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Idempotent. */
  close(): Promise<void>;
}

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
