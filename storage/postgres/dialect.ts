/** The Postgres dialect (a PostgreSQL server and PGlite) of the repositories under storage/sql/. */
import { updateStatements, type SqlDialect } from '../sql/dialect.js';

/** Postgres accepts at most 65535 parameters per statement. */
const MAX_PARAMS = 65_535;

export const postgresDialect: SqlDialect = {
  mark: (n) => `$${n}`,

  maxRowsPerInsert: (width) => Math.min(1000, Math.floor(MAX_PARAMS / width)),

  async updateRow(q, u) {
    const { update, updateParams } = updateStatements(postgresDialect, u);
    const [row] = await q.rows(`${update} RETURNING ${u.columns.join(', ')}`, updateParams);
    return row ?? null;
  },

  // UPDATE ... RETURNING is one statement: atomic without a transaction around it.
  atomicUpdate: (db, fn) => fn(db),

  keepGreatestOnConflict: (table, key, column) =>
    `ON CONFLICT (${key}) DO UPDATE SET ${column} = GREATEST(${table}.${column}, EXCLUDED.${column})`,
};
