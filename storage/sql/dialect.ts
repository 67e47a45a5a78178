/**
 * What differs between the SQL dialects in the statements the repositories run; everything
 * else is written once, under storage/sql/. Implemented by storage/postgres/dialect.ts (a
 * PostgreSQL server and PGlite) and storage/mariadb/dialect.ts. Migrations are not here: their
 * DDL really differs, so each backend keeps its own.
 */
import type { Row } from '../rows.js';
import type { SqlExecutor, SqlQueryable } from './executor.js';

/** Equality on each column, ANDed: `[['tenant_id', t], ['id', id]]`. */
export type Match = ReadonlyArray<readonly [column: string, value: unknown]>;

/** An UPDATE of one row, named by its key, for SqlDialect.updateRow. */
export interface RowUpdate {
  table: string;
  /** The columns to give back. */
  columns: readonly string[];
  set: ReadonlyArray<readonly [column: string, value: unknown]>;
  /** Also sets `version = version + 1`. */
  bumpVersion: boolean;
  /** Names the row. A read-back reads by these columns alone. */
  key: Match;
  /** Compare-and-set: the UPDATE matches only a row at this version. */
  expectedVersion?: number;
}

export interface SqlDialect {
  /** The placeholder of the `n`th parameter of a statement, counted from 1 in text order. */
  mark(n: number): string;
  /** Rows per multi-row INSERT of `width` columns. */
  maxRowsPerInsert(width: number): number;
  /**
   * Runs `u`: the row as written, or null when the UPDATE matched no row. Where the answer is
   * read back by a second statement (no UPDATE ... RETURNING), the caller makes it atomic:
   * inside a transaction, under a row lock it holds, or through `atomicUpdate`.
   */
  updateRow(q: SqlQueryable, u: RowUpdate): Promise<Row | null>;
  /** Runs `fn`, one `updateRow` and nothing else, as one atomic unit on `db`. */
  atomicUpdate<T>(db: SqlExecutor, fn: (q: SqlQueryable) => Promise<T>): Promise<T>;
  /**
   * The clause that turns `INSERT INTO table (key, column, ...)` into an upsert that keeps the
   * greater `column` when a row with this `key` exists already.
   */
  keepGreatestOnConflict(table: string, key: string, column: string): string;
}

/**
 * One statement's parameters, collected as its text is written: each `add` appends a value and
 * answers its placeholder, so the numbering follows the text and cannot drift from the values.
 */
export class Params {
  readonly values: unknown[] = [];
  readonly #mark: (n: number) => string;

  constructor(dialect: Pick<SqlDialect, 'mark'>) {
    this.#mark = (n) => dialect.mark(n);
  }

  add(value: unknown): string {
    this.values.push(value);
    return this.#mark(this.values.length);
  }

  /** `column = <mark>` for each pair, ANDed. */
  equal(match: Match): string {
    return match.map(([column, value]) => `${column} = ${this.add(value)}`).join(' AND ');
  }
}

/** The UPDATE text of `u` (no RETURNING), and the SELECT that reads the row back by its key. */
export function updateStatements(
  dialect: Pick<SqlDialect, 'mark'>,
  u: RowUpdate,
): { update: string; updateParams: unknown[]; reread: string; rereadParams: unknown[] } {
  // A dialect that reads the row back tells a compare-and-set miss by the count of rows the
  // bump changed; without a bump it could not, and would answer the current row instead.
  if (u.expectedVersion !== undefined && !u.bumpVersion) throw new TypeError(`updateRow on ${u.table}: expectedVersion needs bumpVersion`);
  const p = new Params(dialect);
  const assignments = u.set.map(([column, value]) => `${column} = ${p.add(value)}`);
  if (u.bumpVersion) assignments.push('version = version + 1');
  let where = p.equal(u.key);
  if (u.expectedVersion !== undefined) where += ` AND version = ${p.add(u.expectedVersion)}`;
  const r = new Params(dialect);
  return {
    update: `UPDATE ${u.table} SET ${assignments.join(', ')} WHERE ${where}`,
    updateParams: p.values,
    reread: `SELECT ${u.columns.join(', ')} FROM ${u.table} WHERE ${r.equal(u.key)}`,
    rereadParams: r.values,
  };
}
