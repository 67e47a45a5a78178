/** Client credentials (CCM: username/password clients), once for every SQL dialect. */
import type { ClientCredentialRepository } from '../repositories.js';
import {
  CLIENT_CREDENTIAL_COLUMNS,
  clientCredentialValues,
  patchColumns,
  toClientCredential,
} from '../rows.js';
import type { ClientCredential, ClientCredentialPatch, CredentialState, ListOptions, Page } from '../types.js';
import {
  Limits,
  checkClientCredential,
  checkClientCredentialPatch,
  checkKey,
  checkListOptions,
  checkOptionalVersion,
  checkVersion,
} from '../validate.js';
import type { SqlDialect } from './dialect.js';
import type { SqlExecutor } from './executor.js';
import { SqlTable, type TableSpec } from './table.js';

const TABLE: TableSpec<ClientCredential> = {
  table: 'client_credentials',
  key: 'id',
  columns: CLIENT_CREDENTIAL_COLUMNS,
  what: 'client credential',
  toRecord: toClientCredential,
};

export class SqlClientCredentialRepository implements ClientCredentialRepository {
  readonly #db: SqlExecutor;
  readonly #table: SqlTable<ClientCredential>;

  constructor(db: SqlExecutor, dialect: SqlDialect) {
    this.#db = db;
    this.#table = new SqlTable(dialect, TABLE);
  }

  async create(c: ClientCredential): Promise<ClientCredential> {
    checkClientCredential(c);
    await this.#table.insert(this.#db, [clientCredentialValues(c)]);
    return { ...c };
  }

  async getById(tenantId: string, id: string): Promise<ClientCredential | null> {
    checkKey('tenantId', tenantId);
    checkKey('id', id);
    return this.#table.findOne(this.#db, [['tenant_id', tenantId], ['id', id]]);
  }

  async getByUsername(tenantId: string, username: string): Promise<ClientCredential | null> {
    checkKey('tenantId', tenantId);
    checkKey('username', username, Limits.username);
    return this.#table.findOne(this.#db, [['tenant_id', tenantId], ['username', username]]);
  }

  async list(tenantId: string, opts: ListOptions<CredentialState>): Promise<Page<ClientCredential>> {
    checkKey('tenantId', tenantId);
    const states = checkListOptions(opts);
    return this.#table.page(this.#db, [['tenant_id', tenantId]], states, opts);
  }

  async update(tenantId: string, id: string, expectedVersion: number, patch: ClientCredentialPatch): Promise<ClientCredential> {
    checkKey('tenantId', tenantId);
    checkKey('id', id);
    checkVersion('expectedVersion', expectedVersion);
    checkClientCredentialPatch(patch);
    return this.#table.update(this.#db, tenantId, id, expectedVersion, patchColumns(patch));
  }

  async delete(tenantId: string, id: string, expectedVersion?: number): Promise<ClientCredential> {
    checkKey('tenantId', tenantId);
    checkKey('id', id);
    checkOptionalVersion(expectedVersion);
    return this.#table.delete(this.#db, tenantId, id, expectedVersion);
  }
}
