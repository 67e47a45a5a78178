/**
 * The statements every versioned, tenant-scoped table needs, in the MariaDB dialect.
 * Identifiers come from the fixed table description only; values travel as `?` parameters.
 * MariaDB has DELETE ... RETURNING but no UPDATE ... RETURNING, so a versioned update is
 * UPDATE then SELECT inside one transaction: the UPDATE's row lock makes the SELECT read
 * exactly the version this update wrote.
 */
import { notFound } from '../errors.js';
import { int, type Row } from '../rows.js';
import type { CredentialState, ListOptions, Page } from '../types.js';
import { casMiss } from '../versioning.js';
import type { MariaExecutor, MariaQueryable } from './sql.js';

export interface TableSpec<T> {
  table: string;
  key: string;
  columns: readonly string[];
  what: string;
  toRecord(row: Row): T;
}

/** Rows per INSERT: ~1000 rows stay far below the default 16 MiB max_allowed_packet. */
export const MAX_ROWS_PER_INSERT = 1000;

const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

export class MariaTable<T> {
  readonly #spec: TableSpec<T>;
  readonly #cols: string;

  constructor(spec: TableSpec<T>) {
    this.#spec = spec;
    this.#cols = spec.columns.join(', ');
  }

  async insert(db: MariaQueryable, rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    const tuple = `(${marks(this.#spec.columns.length)})`;
    await db.exec(
      `INSERT INTO ${this.#spec.table} (${this.#cols}) VALUES ${Array.from({ length: rows.length }, () => tuple).join(', ')}`,
      rows.flat(),
    );
  }

  async findOne(db: MariaQueryable, where: string, params: unknown[]): Promise<T | null> {
    const rows = await db.rows(`SELECT ${this.#cols} FROM ${this.#spec.table} WHERE ${where}`, params);
    return rows[0] === undefined ? null : this.#spec.toRecord(rows[0]);
  }

  /** A page ordered by (created_at, key) and the total matching the filter (two statements). */
  async page(db: MariaQueryable, where: string, params: unknown[], states: CredentialState[] | null, opts: ListOptions<CredentialState>): Promise<Page<T>> {
    const filter = states === null ? where : `${where} AND state IN (${marks(states.length)})`;
    const p = states === null ? params : [...params, ...states];
    const [count] = await db.rows(`SELECT COUNT(*) AS total FROM ${this.#spec.table} WHERE ${filter}`, p);
    const total = count === undefined ? 0 : int(count, 'total');
    // `order` is validated to ASC | DESC before it reaches here.
    const rows = await db.rows(
      `SELECT ${this.#cols} FROM ${this.#spec.table} WHERE ${filter}
        ORDER BY created_at ${opts.order}, ${this.#spec.key} ${opts.order} LIMIT ? OFFSET ?`,
      [...p, opts.limit, opts.offset],
    );
    return { items: rows.map((r) => this.#spec.toRecord(r)), total };
  }

  async update(db: MariaExecutor, tenantId: string, id: string, expectedVersion: number, set: Array<[string, unknown]>): Promise<T> {
    const assignments = set.map(([column]) => `${column} = ?`);
    const written = await db.transaction(async (tx) => {
      const { affectedRows } = await tx.exec(
        `UPDATE ${this.#spec.table} SET ${assignments.join(', ')}, version = version + 1
          WHERE tenant_id = ? AND ${this.#spec.key} = ? AND version = ?`,
        [...set.map(([, v]) => v), tenantId, id, expectedVersion],
      );
      if (affectedRows !== 1) return null;
      return this.findOne(tx, `tenant_id = ? AND ${this.#spec.key} = ?`, [tenantId, id]);
    });
    if (written !== null) return written;
    return casMiss(this.#spec.what, () => this.#version(db, tenantId, id));
  }

  async delete(db: MariaQueryable, tenantId: string, id: string, expectedVersion?: number): Promise<T> {
    const versioned = expectedVersion !== undefined;
    const rows = await db.rows(
      `DELETE FROM ${this.#spec.table} WHERE tenant_id = ? AND ${this.#spec.key} = ?${versioned ? ' AND version = ?' : ''}
        RETURNING ${this.#cols}`,
      versioned ? [tenantId, id, expectedVersion] : [tenantId, id],
    );
    if (rows[0] !== undefined) return this.#spec.toRecord(rows[0]);
    if (!versioned) throw notFound(this.#spec.what);
    return casMiss(this.#spec.what, () => this.#version(db, tenantId, id));
  }

  async deleteWhere(db: MariaQueryable, where: string, params: unknown[]): Promise<T[]> {
    const rows = await db.rows(`DELETE FROM ${this.#spec.table} WHERE ${where} RETURNING ${this.#cols}`, params);
    return rows.map((r) => this.#spec.toRecord(r));
  }

  /**
   * Compare-and-set by the key alone (globally unique keys): the new row, or null on a miss.
   * Run it inside a transaction: the UPDATE's row lock makes the SELECT read this write.
   */
  async casByKey(tx: MariaQueryable, id: string, expectedVersion: number, set: Array<[string, unknown]>): Promise<T | null> {
    const assignments = set.map(([column]) => `${column} = ?`);
    const { affectedRows } = await tx.exec(
      `UPDATE ${this.#spec.table} SET ${assignments.join(', ')}, version = version + 1 WHERE ${this.#spec.key} = ? AND version = ?`,
      [...set.map(([, v]) => v), id, expectedVersion],
    );
    if (affectedRows !== 1) return null;
    return this.findOne(tx, `${this.#spec.key} = ?`, [id]);
  }

  async versionByKey(db: MariaQueryable, id: string): Promise<number | null> {
    const [row] = await db.rows(`SELECT version FROM ${this.#spec.table} WHERE ${this.#spec.key} = ?`, [id]);
    return row === undefined ? null : int(row, 'version');
  }

  async deleteByKey(db: MariaQueryable, id: string, expectedVersion?: number): Promise<T> {
    const versioned = expectedVersion !== undefined;
    const rows = await db.rows(
      `DELETE FROM ${this.#spec.table} WHERE ${this.#spec.key} = ?${versioned ? ' AND version = ?' : ''} RETURNING ${this.#cols}`,
      versioned ? [id, expectedVersion] : [id],
    );
    if (rows[0] !== undefined) return this.#spec.toRecord(rows[0]);
    if (!versioned) throw notFound(this.#spec.what);
    return casMiss(this.#spec.what, () => this.versionByKey(db, id));
  }

  async #version(db: MariaQueryable, tenantId: string, id: string): Promise<number | null> {
    const [row] = await db.rows(`SELECT version FROM ${this.#spec.table} WHERE tenant_id = ? AND ${this.#spec.key} = ?`, [tenantId, id]);
    return row === undefined ? null : int(row, 'version');
  }
}
