/** Service accounts (the identity of a client's tokens), once for every SQL dialect. */
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
import type { SqlDialect } from './dialect.js';
import type { SqlExecutor, SqlQueryable } from './executor.js';
import { SqlTable, type TableSpec } from './table.js';

const TABLE: TableSpec<ServiceAccount> = {
  table: 'service_accounts',
  key: 'id',
  columns: SERVICE_ACCOUNT_COLUMNS,
  what: 'service account',
  toRecord: toServiceAccount,
};

export class SqlServiceAccountRepository implements ServiceAccountRepository {
  readonly #db: SqlExecutor;
  readonly #table: SqlTable<ServiceAccount>;

  constructor(db: SqlExecutor, dialect: SqlDialect) {
    this.#db = db;
    this.#table = new SqlTable(dialect, TABLE);
  }

  async upsert(a: ServiceAccount): Promise<ServiceAccount> {
    checkServiceAccount(a);
    const updated = await this.#updateIfPresent(a);
    if (updated !== null) return updated;
    // The INSERT runs outside any transaction: a locking read of a missing row takes a gap
    // lock on MariaDB, and two first upserts each holding one would deadlock on their INSERTs.
    try {
      await this.#table.insert(this.#db, [serviceAccountValues(a)]);
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
      const stored = await this.#table.lockOne(tx, [['id', a.id]]);
      if (stored === null) return null;
      // Ids are global: another tenant's account is never overwritten (tenant isolation).
      if (stored.tenantId !== a.tenantId) throw duplicate();
      if (serviceAccountContent(stored) === serviceAccountContent(a)) return stored;
      return this.#write(tx, a.id, serviceAccountContentColumns(a));
    });
  }

  async get(id: string): Promise<ServiceAccount | null> {
    checkKey('id', id);
    return this.#table.findOne(this.#db, [['id', id]]);
  }

  async getByClient(clientId: string): Promise<ServiceAccount | null> {
    checkClientId(clientId);
    return this.#table.findOne(this.#db, [['client_id', clientId]]);
  }

  async list(tenantId: string, opts: ListOptions<never>): Promise<Page<ServiceAccount>> {
    checkKey('tenantId', tenantId);
    checkPageOptions(opts);
    return this.#table.page(this.#db, [['tenant_id', tenantId]], null, opts);
  }

  async linkClient(id: string, clientId: string, updatedAt: number, expectedVersion?: number): Promise<ServiceAccount> {
    checkKey('id', id);
    checkClientId(clientId);
    checkEpoch('updatedAt', updatedAt);
    checkOptionalVersion(expectedVersion);
    return this.#db.transaction(async (tx) => {
      const stored = await this.#table.lockOne(tx, [['id', id]]);
      if (stored === null) throw notFound('service account');
      if (expectedVersion !== undefined && stored.version !== expectedVersion) throw versionConflict('service account', stored.version);
      if (stored.clientId === clientId) return stored;
      // A client linked to another account is ERR_DUPLICATE (UNIQUE client_id).
      return this.#write(tx, id, [['client_id', clientId], ['updated_at', updatedAt]]);
    });
  }

  async unlinkClient(id: string, clientId: string, updatedAt: number): Promise<ServiceAccount> {
    checkKey('id', id);
    checkClientId(clientId);
    checkEpoch('updatedAt', updatedAt);
    return this.#db.transaction(async (tx) => {
      const stored = await this.#table.lockOne(tx, [['id', id]]);
      if (stored === null) throw notFound('service account');
      if (stored.clientId !== clientId) throw notFound('service account link');
      return this.#write(tx, id, [['client_id', null], ['updated_at', updatedAt]]);
    });
  }

  async delete(id: string): Promise<ServiceAccount> {
    checkKey('id', id);
    return this.#table.deleteByKey(this.#db, id);
  }

  /** Under the lock taken by lockOne: the UPDATE cannot miss, and a read-back reads this write. */
  async #write(tx: SqlQueryable, id: string, set: Array<[string, unknown]>): Promise<ServiceAccount> {
    const stored = await this.#table.updateByKey(tx, id, set);
    if (stored === null) throw notFound('service account');
    return stored;
  }
}
