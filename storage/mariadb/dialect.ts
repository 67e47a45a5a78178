/**
 * The MariaDB dialect of the repositories under storage/sql/. MariaDB has DELETE ... RETURNING
 * but no UPDATE ... RETURNING, so an update that answers the row is UPDATE then SELECT by the
 * key. Inside one transaction the UPDATE's row lock makes the SELECT read exactly the version
 * this update wrote; `atomicUpdate` opens that transaction where the caller has none.
 */
import { updateStatements, type SqlDialect } from '../sql/dialect.js';

/** Rows per INSERT: ~1000 rows stay far below the default 16 MiB max_allowed_packet. */
const MAX_ROWS_PER_INSERT = 1000;

export const mariadbDialect: SqlDialect = {
  mark: () => '?',

  maxRowsPerInsert: () => MAX_ROWS_PER_INSERT,

  async updateRow(q, u) {
    const { update, updateParams, reread, rereadParams } = updateStatements(mariadbDialect, u);
    const { affectedRows } = await q.exec(update, updateParams);
    // A version bump changes every row the UPDATE matches, so the count tells a miss whether
    // the connection counts matched rows (the connector's foundRows, its default) or changed
    // ones. Without a bump the count is not trusted: counting changed rows, a write of the
    // values already stored (a retire to the same instant) changes none. So the existence is
    // read back rather than inferred from the count.
    if (u.bumpVersion && affectedRows !== 1) return null;
    const [row] = await q.rows(reread, rereadParams);
    return row ?? null;
  },

  atomicUpdate: (db, fn) => db.transaction(fn),

  // Not INSERT IGNORE, which would also swallow errors that are not duplicates.
  keepGreatestOnConflict: (_table, _key, column) => `ON DUPLICATE KEY UPDATE ${column} = GREATEST(${column}, VALUES(${column}))`,
};
