/** Service accounts (the identity of a client's tokens) on the Postgres dialect. */
import { StorageCodes, StorageError, duplicate, notFound, versionConflict } from '../errors.js';
import type { ServiceAccountRepository } from '../repositories.js';
import {
  SERVICE_ACCOUNT_COLUMNS,
  serviceAccountContent,
  serviceAccountContentColumns,
  serviceAccountValues,
  toServiceAccount,
} from '../rows-oauth.js';
import type { ListOptions, Page, ServiceAccount } from '../types.js';
import { checkEpoch, checkKey, checkOptionalVersion } from '../validate.js';
import { checkClientId, checkPageOptions, checkServiceAccount } from '../validate-oauth.js';
import type { SqlExecutor, SqlQueryable } from './sql.js';
import { PgTable } from './table.js';

const table = new PgTable<ServiceAccount>({
  table: 'service_accounts',
  key: 'id',
  columns: SERVICE_ACCOUNT_COLUMNS,
  what: 'service account',
  toRecord: toServiceAccount,
});

const COLS = SERVICE_ACCOUNT_COLUMNS.join(', ');

async function lockRow(tx: SqlQueryable, id: string): Promise<ServiceAccount | null> {
  const { rows } = await tx.query(`SELECT ${COLS} FROM service_accounts WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] === undefined ? null : toServiceAccount(rows[0]);
}

async function write(tx: SqlQueryable, id: string, set: Array<[string, unknown]>): Promise<ServiceAccount> {
  const assignments = set.map(([column], i) => `${column} = $${i + 2}`);
  const { rows } = await tx.query(
    `UPDATE service_accounts SET ${assignments.join(', ')}, version = version + 1 WHERE id = $1 RETURNING ${COLS}`,
    [id, ...set.map(([, v]) => v)],
  );
  if (rows[0] === undefined) throw notFound('service account');
  return toServiceAccount(rows[0]);
}

export class PgServiceAccountRepository implements ServiceAccountRepository {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async upsert(a: ServiceAccount): Promise<ServiceAccount> {
    checkServiceAccount(a);
    const updated = await this.#updateIfPresent(a);
    if (updated !== null) return updated;
    // The INSERT runs outside any transaction: a locking read of a missing row takes a gap
    // lock on MariaDB, and two first upserts each holding one would deadlock on their INSERTs.
    try {
      await table.insert(this.#db, [serviceAccountValues(a)]);
      return structuredClone(a);
    } catch (err) {
      if (!(err instanceof StorageError) || err.code !== StorageCodes.DUPLICATE) throw err;
      // A concurrent first upsert of this id won the INSERT: update what it wrote. No row
      // with this id means the duplicate was the clientId, linked to another account.
      const again = await this.#updateIfPresent(a);
      if (again === null) throw err;
      return again;
    }
  }

  /** Null when no account has this id; the stored account, updated when its content differs. */
  #updateIfPresent(a: ServiceAccount): Promise<ServiceAccount | null> {
    return this.#db.transaction(async (tx) => {
      const stored = await lockRow(tx, a.id);
      if (stored === null) return null;
      // Ids are global: another tenant's account is never overwritten (tenant isolation).
      if (stored.tenantId !== a.tenantId) throw duplicate();
      if (serviceAccountContent(stored) === serviceAccountContent(a)) return stored;
      return write(tx, a.id, serviceAccountContentColumns(a));
    });
  }

  async get(id: string): Promise<ServiceAccount | null> {
    checkKey('id', id);
    return table.findOne(this.#db, 'id = $1', [id]);
  }

  async getByClient(clientId: string): Promise<ServiceAccount | null> {
    checkClientId(clientId);
    return table.findOne(this.#db, 'client_id = $1', [clientId]);
  }

  async list(tenantId: string, opts: ListOptions<never>): Promise<Page<ServiceAccount>> {
    checkKey('tenantId', tenantId);
    checkPageOptions(opts);
    return table.page(this.#db, 'tenant_id = $1', [tenantId], null, opts);
  }

  async linkClient(id: string, clientId: string, updatedAt: number, expectedVersion?: number): Promise<ServiceAccount> {
    checkKey('id', id);
    checkClientId(clientId);
    checkEpoch('updatedAt', updatedAt);
    checkOptionalVersion(expectedVersion);
    return this.#db.transaction(async (tx) => {
      const stored = await lockRow(tx, id);
      if (stored === null) throw notFound('service account');
      if (expectedVersion !== undefined && stored.version !== expectedVersion) throw versionConflict('service account', stored.version);
      if (stored.clientId === clientId) return stored;
      // A client linked to another account is ERR_DUPLICATE (UNIQUE client_id).
      return write(tx, id, [['client_id', clientId], ['updated_at', updatedAt]]);
    });
  }

  async unlinkClient(id: string, clientId: string, updatedAt: number): Promise<ServiceAccount> {
    checkKey('id', id);
    checkClientId(clientId);
    checkEpoch('updatedAt', updatedAt);
    return this.#db.transaction(async (tx) => {
      const stored = await lockRow(tx, id);
      if (stored === null) throw notFound('service account');
      if (stored.clientId !== clientId) throw notFound('service account link');
      return write(tx, id, [['client_id', null], ['updated_at', updatedAt]]);
    });
  }

  async delete(id: string): Promise<ServiceAccount> {
    checkKey('id', id);
    return table.deleteByKey(this.#db, id);
  }
}
