/**
 * The MariaDB seam: a `mariadb` pool behind a small interface. Every driver error leaves as
 * a StorageError. BIGINT columns hold epoch milliseconds, so the pool is told to return them
 * as JS numbers (`bigIntAsNumber`) and to fail instead of rounding past 2^53
 * (`checkNumberRange`); storage/rows.ts checks the type again on every row.
 */
import { createPool, type Connection, type PoolConnection } from 'mariadb';
import { FleetgateError } from '../../runtime/errors.js';
import { duplicate, unavailable } from '../errors.js';
import type { Row } from '../rows.js';
import type { SqlExecutor, SqlQueryable } from '../sql/executor.js';

/** The SqlExecutor seam (storage/sql/executor.ts) with `?` placeholders, and sessions. */
export interface MariaExecutor extends SqlExecutor {
  /** Runs `fn` on one connection, for session state such as GET_LOCK. No transaction. */
  session<T>(fn: (conn: SqlQueryable) => Promise<T>): Promise<T>;
}

export interface MariadbOptions {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  connectionLimit: number;
}

/** ER_DUP_ENTRY and ER_DUP_ENTRY_WITH_KEY_NAME. */
const DUPLICATE_ERRNOS = new Set([1062, 1586]);

export function mapMariaError(err: unknown): FleetgateError {
  if (err instanceof FleetgateError) return err;
  if (typeof err === 'object' && err !== null && DUPLICATE_ERRNOS.has((err as { errno?: unknown }).errno as number)) {
    return duplicate();
  }
  return unavailable(err);
}

type Conn = Pick<Connection, 'query'>;

function queryable(conn: Conn): SqlQueryable {
  return {
    async rows(sql, params) {
      try {
        const r: unknown = await conn.query(sql, params);
        if (!Array.isArray(r)) throw new TypeError('statement returned no result set');
        return r as Row[];
      } catch (err) {
        throw mapMariaError(err);
      }
    },
    async exec(sql, params) {
      try {
        const r: unknown = await conn.query(sql, params);
        const affected = (r as { affectedRows?: unknown } | null)?.affectedRows;
        if (typeof affected !== 'number') throw new TypeError('statement returned no update count');
        return { affectedRows: affected };
      } catch (err) {
        throw mapMariaError(err);
      }
    },
  };
}

export function mariaExecutor(opts: MariadbOptions): MariaExecutor {
  const pool = createPool({
    ...opts,
    bigIntAsNumber: true,
    insertIdAsNumber: true,
    checkNumberRange: true,
    decimalAsNumber: false,
    // Parameters may be hashes or tenant data: keep them out of driver error messages.
    logParam: false,
    // The pool retries a failed connect until acquireTimeout: this bounds how long a query
    // (or health()) waits before ERR_STORAGE_UNAVAILABLE, as pg's connectionTimeoutMillis does.
    connectTimeout: 5_000,
    acquireTimeout: 5_000,
    // Connections are opened on demand, so opening a backend never races its own close().
    minimumIdle: 0,
  });

  async function withConnection<T>(fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
    let conn: PoolConnection;
    try {
      conn = await pool.getConnection();
    } catch (err) {
      throw mapMariaError(err);
    }
    try {
      return await fn(conn);
    } finally {
      await conn.release().catch(() => undefined);
    }
  }

  let closing: Promise<void> | undefined;
  return {
    ...queryable(pool),

    transaction: (fn) =>
      withConnection(async (conn) => {
        const tx = queryable(conn);
        try {
          await conn.beginTransaction();
          const result = await fn(tx);
          await conn.commit();
          return result;
        } catch (err) {
          // A failed ROLLBACK leaves the connection in an unknown state: drop it from the pool.
          await conn.rollback().catch(() => conn.destroy());
          throw mapMariaError(err);
        }
      }),

    session: (fn) => withConnection((conn) => fn(queryable(conn))),

    close() {
      closing ??= pool.end().catch((err: unknown) => {
        throw mapMariaError(err);
      });
      return closing;
    },
  };
}
