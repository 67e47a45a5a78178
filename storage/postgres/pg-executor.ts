/** `SqlExecutor` over a `pg` connection pool (a PostgreSQL server). */
import pg from 'pg';
import { logger } from '../../runtime/log.js';
import type { Row } from '../rows.js';
import type { SqlExecutor, SqlQueryable } from '../sql/executor.js';
import { mapPgError, pgQueryable, type PgAnswer } from './sql.js';

export interface PostgresOptions {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** Pool size. */
  max?: number;
  /** How long a query waits for a connection before failing as ERR_STORAGE_UNAVAILABLE. */
  connectionTimeoutMillis?: number;
}

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export function pgExecutor(opts: PostgresOptions): SqlExecutor {
  const log = logger('storage', { backend: 'postgres' });
  const pool = new pg.Pool({
    ...opts,
    max: opts.max ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? DEFAULT_CONNECT_TIMEOUT_MS,
  });
  let closing: Promise<void> | undefined;
  // An idle client that loses its server emits 'error' on the pool; without a listener
  // Node would crash the process. The next query gets a fresh connection.
  pool.on('error', (err: Error & { code?: string }) => {
    // pool.end() resolves before the last sockets finish closing; a server going away
    // after close() is expected, not worth a warning.
    if (closing !== undefined) return;
    log.warn({ code: err.code, reason: err.message }, 'idle postgres connection failed');
  });

  const answer = (r: pg.QueryResult): PgAnswer => ({ rows: r.rows as Row[], affected: r.rowCount });

  return {
    ...pgQueryable(async (sql, params) => answer(await pool.query(sql, params))),

    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw mapPgError(err);
      }
      const tx: SqlQueryable = pgQueryable(async (sql, params) => answer(await client.query(sql, params)));
      let broken: Error | undefined;
      try {
        await tx.exec('BEGIN');
        const result = await fn(tx);
        await tx.exec('COMMIT');
        return result;
      } catch (err) {
        // A failed ROLLBACK means the connection is unusable: destroy it, do not pool it.
        await client.query('ROLLBACK').catch((e: unknown) => {
          broken = e instanceof Error ? e : new Error('rollback failed');
        });
        throw mapPgError(err);
      } finally {
        client.release(broken);
      }
    },

    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}
