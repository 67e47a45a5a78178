/**
 * `SqlExecutor` over PGlite: PostgreSQL compiled to WASM, in this thread, on a data directory.
 * PGlite runs one statement at a time on one backend session, so a transaction must not
 * interleave with any other statement: every call goes through one FIFO queue here (PGlite
 * also has internal mutexes; the queue states the requirement rather than relying on them).
 */
import { PGlite, type Results } from '@electric-sql/pglite';
import type { Row } from '../rows.js';
import type { SqlExecutor } from '../sql/executor.js';
import { mapPgError, pgQueryable, type PgAnswer } from '../postgres/sql.js';

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

  const answer = (r: Results): PgAnswer => ({ rows: r.rows as Row[], affected: r.affectedRows });
  const direct = pgQueryable(async (sql, params) => answer(await db.query(sql, params)));
  let closing: Promise<void> | undefined;

  return {
    rows: (sql, params) => serial(() => direct.rows(sql, params)),
    exec: (sql, params) => serial(() => direct.exec(sql, params)),

    transaction: (fn) =>
      serial(async () => {
        try {
          return await db.transaction(async (t) => fn(pgQueryable(async (sql, params) => answer(await t.query(sql, params)))));
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
