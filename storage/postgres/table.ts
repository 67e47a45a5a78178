/**
 * The statements every versioned, tenant-scoped table needs, in the Postgres dialect:
 * point reads, pages, multi-row inserts, compare-and-set update and delete. Repositories
 * supply the table description; identifiers come from that fixed description only, values
 * always travel as `$n` parameters.
 */
import type { CredentialState, ListOptions, Page } from '../types.js';
import { notFound } from '../errors.js';
import { int, type Row } from '../rows.js';
import { casMiss } from '../versioning.js';
import type { SqlQueryable } from './sql.js';

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

/** Postgres accepts at most 65535 parameters per statement. */
const MAX_PARAMS = 65_535;

export class PgTable<T> {
  readonly #spec: TableSpec<T>;
  readonly #select: string;

  constructor(spec: TableSpec<T>) {
    this.#spec = spec;
    this.#select = `SELECT ${spec.columns.join(', ')} FROM ${spec.table}`;
  }

  /** Rows per INSERT statement so that a chunk stays under the parameter limit. */
  get maxRowsPerInsert(): number {
    return Math.min(1000, Math.floor(MAX_PARAMS / this.#spec.columns.length));
  }

  async insert(db: SqlQueryable, rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    const width = this.#spec.columns.length;
    const tuples = rows.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`);
    await db.query(`INSERT INTO ${this.#spec.table} (${this.#spec.columns.join(', ')}) VALUES ${tuples.join(', ')}`, rows.flat());
  }

  /** `where` uses $1..$n for `params`. */
  async findOne(db: SqlQueryable, where: string, params: unknown[]): Promise<T | null> {
    const { rows } = await db.query(`${this.#select} WHERE ${where}`, params);
    return rows[0] === undefined ? null : this.#spec.toRecord(rows[0]);
  }

  /**
   * A page ordered by (created_at, key) and the total matching the filter. Two statements,
   * not one snapshot: a total that moves between pages is inherent to offset paging anyway.
   */
  async page(db: SqlQueryable, where: string, params: unknown[], states: CredentialState[] | null, opts: ListOptions<CredentialState>): Promise<Page<T>> {
    const p = [...params];
    let filter = where;
    if (states !== null) {
      p.push(states);
      filter += ` AND state = ANY($${p.length}::text[])`;
    }
    const { rows: countRows } = await db.query(`SELECT count(*) AS total FROM ${this.#spec.table} WHERE ${filter}`, p);
    const total = countRows[0] === undefined ? 0 : int(countRows[0], 'total');
    // `order` is validated to ASC | DESC before it reaches here.
    const { rows } = await db.query(
      `${this.#select} WHERE ${filter} ORDER BY created_at ${opts.order}, ${this.#spec.key} ${opts.order} LIMIT $${p.length + 1} OFFSET $${p.length + 2}`,
      [...p, opts.limit, opts.offset],
    );
    return { items: rows.map((r) => this.#spec.toRecord(r)), total };
  }

  /** One statement: the compare-and-set and the version bump are atomic. */
  async update(db: SqlQueryable, tenantId: string, id: string, expectedVersion: number, set: Array<[string, unknown]>): Promise<T> {
    const assignments = set.map(([column], i) => `${column} = $${i + 4}`);
    const { rows } = await db.query(
      `UPDATE ${this.#spec.table} SET ${assignments.join(', ')}, version = version + 1
        WHERE tenant_id = $1 AND ${this.#spec.key} = $2 AND version = $3
        RETURNING ${this.#spec.columns.join(', ')}`,
      [tenantId, id, expectedVersion, ...set.map(([, v]) => v)],
    );
    if (rows[0] !== undefined) return this.#spec.toRecord(rows[0]);
    return casMiss(this.#spec.what, () => this.#version(db, tenantId, id));
  }

  async delete(db: SqlQueryable, tenantId: string, id: string, expectedVersion?: number): Promise<T> {
    const versioned = expectedVersion !== undefined;
    const { rows } = await db.query(
      `DELETE FROM ${this.#spec.table} WHERE tenant_id = $1 AND ${this.#spec.key} = $2${versioned ? ' AND version = $3' : ''}
        RETURNING ${this.#spec.columns.join(', ')}`,
      versioned ? [tenantId, id, expectedVersion] : [tenantId, id],
    );
    if (rows[0] !== undefined) return this.#spec.toRecord(rows[0]);
    if (!versioned) throw notFound(this.#spec.what);
    return casMiss(this.#spec.what, () => this.#version(db, tenantId, id));
  }

  async deleteWhere(db: SqlQueryable, where: string, params: unknown[]): Promise<T[]> {
    const { rows } = await db.query(`DELETE FROM ${this.#spec.table} WHERE ${where} RETURNING ${this.#spec.columns.join(', ')}`, params);
    return rows.map((r) => this.#spec.toRecord(r));
  }

  /** Compare-and-set by the key alone (globally unique keys): the new row, or null on a miss. */
  async casByKey(db: SqlQueryable, id: string, expectedVersion: number, set: Array<[string, unknown]>): Promise<T | null> {
    const assignments = set.map(([column], i) => `${column} = $${i + 3}`);
    const { rows } = await db.query(
      `UPDATE ${this.#spec.table} SET ${assignments.join(', ')}, version = version + 1
        WHERE ${this.#spec.key} = $1 AND version = $2 RETURNING ${this.#spec.columns.join(', ')}`,
      [id, expectedVersion, ...set.map(([, v]) => v)],
    );
    return rows[0] === undefined ? null : this.#spec.toRecord(rows[0]);
  }

  async versionByKey(db: SqlQueryable, id: string): Promise<number | null> {
    const { rows } = await db.query(`SELECT version FROM ${this.#spec.table} WHERE ${this.#spec.key} = $1`, [id]);
    return rows[0] === undefined ? null : int(rows[0], 'version');
  }

  async deleteByKey(db: SqlQueryable, id: string, expectedVersion?: number): Promise<T> {
    const versioned = expectedVersion !== undefined;
    const { rows } = await db.query(
      `DELETE FROM ${this.#spec.table} WHERE ${this.#spec.key} = $1${versioned ? ' AND version = $2' : ''}
        RETURNING ${this.#spec.columns.join(', ')}`,
      versioned ? [id, expectedVersion] : [id],
    );
    if (rows[0] !== undefined) return this.#spec.toRecord(rows[0]);
    if (!versioned) throw notFound(this.#spec.what);
    return casMiss(this.#spec.what, () => this.versionByKey(db, id));
  }

  async #version(db: SqlQueryable, tenantId: string, id: string): Promise<number | null> {
    const { rows } = await db.query(`SELECT version FROM ${this.#spec.table} WHERE tenant_id = $1 AND ${this.#spec.key} = $2`, [tenantId, id]);
    return rows[0] === undefined ? null : int(rows[0], 'version');
  }
}
