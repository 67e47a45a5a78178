/**
 * The statements every versioned table needs, written once for every dialect: point reads,
 * pages, multi-row inserts, compare-and-set update and delete. Repositories supply the table
 * description; identifiers come from that fixed description only, values always travel as
 * parameters in the dialect's placeholders.
 */
import { notFound } from '../errors.js';
import { int, type Row } from '../rows.js';
import type { CredentialState, ListOptions, Page } from '../types.js';
import { casMiss } from '../versioning.js';
import { Params, type Match, type SqlDialect } from './dialect.js';
import type { SqlExecutor, SqlQueryable } from './executor.js';

export interface TableSpec<T> {
  table: string;
  /** Primary key column (globally unique, caller-generated ids). */
  key: string;
  /** Every column, in INSERT order. */
  columns: readonly string[];
  /** Human name for error messages. */
  what: string;
  toRecord(row: Row): T;
}

export class SqlTable<T> {
  readonly #dialect: SqlDialect;
  readonly #spec: TableSpec<T>;
  readonly #cols: string;

  constructor(dialect: SqlDialect, spec: TableSpec<T>) {
    this.#dialect = dialect;
    this.#spec = spec;
    this.#cols = spec.columns.join(', ');
  }

  /** Rows per INSERT statement, within the dialect's statement limits. */
  get maxRowsPerInsert(): number {
    return this.#dialect.maxRowsPerInsert(this.#spec.columns.length);
  }

  async insert(db: SqlQueryable, rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    const p = new Params(this.#dialect);
    const tuples = rows.map((row) => `(${row.map((v) => p.add(v)).join(', ')})`);
    await db.exec(`INSERT INTO ${this.#spec.table} (${this.#cols}) VALUES ${tuples.join(', ')}`, p.values);
  }

  async findOne(db: SqlQueryable, match: Match): Promise<T | null> {
    const p = new Params(this.#dialect);
    const [row] = await db.rows(`SELECT ${this.#cols} FROM ${this.#spec.table} WHERE ${p.equal(match)}`, p.values);
    return row === undefined ? null : this.#spec.toRecord(row);
  }

  /** findOne with FOR UPDATE: the row stays locked until `tx` ends. */
  async lockOne(tx: SqlQueryable, match: Match): Promise<T | null> {
    const p = new Params(this.#dialect);
    const [row] = await tx.rows(`SELECT ${this.#cols} FROM ${this.#spec.table} WHERE ${p.equal(match)} FOR UPDATE`, p.values);
    return row === undefined ? null : this.#spec.toRecord(row);
  }

  /**
   * A page ordered by (created_at, key) and the total matching the filter. Two statements,
   * not one snapshot: a total that moves between pages is inherent to offset paging anyway.
   */
  async page(db: SqlQueryable, match: Match, states: CredentialState[] | null, opts: ListOptions<CredentialState>): Promise<Page<T>> {
    const p = new Params(this.#dialect);
    let filter = p.equal(match);
    if (states !== null) filter += ` AND state IN (${states.map((s) => p.add(s)).join(', ')})`;
    // A copy: the page's LIMIT and OFFSET are added to `p` below, and a driver may read the
    // array it was given later than the call (PGlite queues statements).
    const [count] = await db.rows(`SELECT COUNT(*) AS total FROM ${this.#spec.table} WHERE ${filter}`, [...p.values]);
    const total = count === undefined ? 0 : int(count, 'total');
    // `order` is validated to ASC | DESC before it reaches here.
    const order = `ORDER BY created_at ${opts.order}, ${this.#spec.key} ${opts.order}`;
    const rows = await db.rows(
      `SELECT ${this.#cols} FROM ${this.#spec.table} WHERE ${filter} ${order} LIMIT ${p.add(opts.limit)} OFFSET ${p.add(opts.offset)}`,
      p.values,
    );
    return { items: rows.map((r) => this.#spec.toRecord(r)), total };
  }

  /** Compare-and-set of a tenant's row: the version check and the bump are one atomic unit. */
  async update(db: SqlExecutor, tenantId: string, id: string, expectedVersion: number, set: Array<[string, unknown]>): Promise<T> {
    const key: Match = [['tenant_id', tenantId], [this.#spec.key, id]];
    const row = await this.#dialect.atomicUpdate(db, (q) =>
      this.#dialect.updateRow(q, { table: this.#spec.table, columns: this.#spec.columns, set, bumpVersion: true, key, expectedVersion }),
    );
    if (row !== null) return this.#spec.toRecord(row);
    return casMiss(this.#spec.what, () => this.#version(db, key));
  }

  async delete(db: SqlQueryable, tenantId: string, id: string, expectedVersion?: number): Promise<T> {
    return this.#deleteOne(db, [['tenant_id', tenantId], [this.#spec.key, id]], expectedVersion);
  }

  async deleteWhere(db: SqlQueryable, match: Match): Promise<T[]> {
    const p = new Params(this.#dialect);
    const rows = await db.rows(`DELETE FROM ${this.#spec.table} WHERE ${p.equal(match)} RETURNING ${this.#cols}`, p.values);
    return rows.map((r) => this.#spec.toRecord(r));
  }

  /**
   * Update by the key alone (globally unique keys), bumping the version: the new row, or null
   * when no row has this key (or, given `expectedVersion`, none at that version). Without
   * UPDATE ... RETURNING the row is read back, so run it in a transaction or under a row lock.
   */
  async updateByKey(q: SqlQueryable, id: string, set: Array<[string, unknown]>, expectedVersion?: number): Promise<T | null> {
    const row = await this.#dialect.updateRow(q, {
      table: this.#spec.table,
      columns: this.#spec.columns,
      set,
      bumpVersion: true,
      key: [[this.#spec.key, id]],
      expectedVersion,
    });
    return row === null ? null : this.#spec.toRecord(row);
  }

  async versionByKey(db: SqlQueryable, id: string): Promise<number | null> {
    return this.#version(db, [[this.#spec.key, id]]);
  }

  async deleteByKey(db: SqlQueryable, id: string, expectedVersion?: number): Promise<T> {
    return this.#deleteOne(db, [[this.#spec.key, id]], expectedVersion);
  }

  async #deleteOne(db: SqlQueryable, key: Match, expectedVersion?: number): Promise<T> {
    const versioned = expectedVersion !== undefined;
    const p = new Params(this.#dialect);
    let where = p.equal(key);
    if (versioned) where += ` AND version = ${p.add(expectedVersion)}`;
    const [row] = await db.rows(`DELETE FROM ${this.#spec.table} WHERE ${where} RETURNING ${this.#cols}`, p.values);
    if (row !== undefined) return this.#spec.toRecord(row);
    if (!versioned) throw notFound(this.#spec.what);
    return casMiss(this.#spec.what, () => this.#version(db, key));
  }

  async #version(db: SqlQueryable, key: Match): Promise<number | null> {
    const p = new Params(this.#dialect);
    const [row] = await db.rows(`SELECT version FROM ${this.#spec.table} WHERE ${p.equal(key)}`, p.values);
    return row === undefined ? null : int(row, 'version');
  }
}
