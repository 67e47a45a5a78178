/** `SqlExecutor` over a `pg` connection pool (a PostgreSQL server). */
import pg from 'pg';
import { logger } from '../../runtime/log.js';
import { mapPgError, type SqlExecutor, type SqlQueryable, type SqlResult } from './sql.js';

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

  const run = async (q: SqlQueryable['query'], sql: string, params?: unknown[]): Promise<SqlResult> => {
    try {
      return await q(sql, params);
    } catch (err) {
      throw mapPgError(err);
    }
  };
  const poolQuery: SqlQueryable['query'] = async (sql, params) => pool.query(sql, params);

  return {
    query: (sql, params) => run(poolQuery, sql, params),

    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw mapPgError(err);
      }
      const tx: SqlQueryable = { query: (sql, params) => run(async (s, p) => client.query(s, p), sql, params) };
      let broken: Error | undefined;
      try {
        await tx.query('BEGIN');
        const result = await fn(tx);
        await tx.query('COMMIT');
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
