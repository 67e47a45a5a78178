/**
 * `SqlExecutor` over PGlite: PostgreSQL compiled to WASM, in this thread, on a data directory.
 * PGlite runs one statement at a time on one backend session, so a transaction must not
 * interleave with any other statement: every call goes through one FIFO queue here (PGlite
 * also has internal mutexes; the queue states the requirement rather than relying on them).
 */
import { PGlite } from '@electric-sql/pglite';
import { mapPgError, type SqlExecutor, type SqlQueryable, type SqlResult } from '../postgres/sql.js';

export async function pgliteExecutor(dataDir: string): Promise<SqlExecutor> {
  let db: PGlite;
  try {
    db = await PGlite.create(dataDir);
  } catch (err) {
    throw mapPgError(err);
  }

  let tail: Promise<unknown> = Promise.resolve();
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  }

  const toResult = (r: { rows: unknown[] }): SqlResult => ({ rows: r.rows as SqlResult['rows'] });
  let closing: Promise<void> | undefined;

  return {
    query: (sql, params) =>
      serial(async () => {
        try {
          return toResult(await db.query(sql, params));
        } catch (err) {
          throw mapPgError(err);
        }
      }),

    transaction: (fn) =>
      serial(async () => {
        try {
          return await db.transaction(async (t) => {
            const tx: SqlQueryable = {
              query: async (sql, params) => {
                try {
                  return toResult(await t.query(sql, params));
                } catch (err) {
                  throw mapPgError(err);
                }
              },
            };
            return fn(tx);
          });
        } catch (err) {
          throw mapPgError(err);
        }
      }),

    close() {
      closing ??= serial(() => db.close());
      return closing;
    },
  };
}
