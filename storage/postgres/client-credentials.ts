/** Client credentials (CCM: username/password clients) on the Postgres dialect. */
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
import type { SqlExecutor } from './sql.js';
import { PgTable } from './table.js';

const table = new PgTable<ClientCredential>({
  table: 'client_credentials',
  key: 'id',
  columns: CLIENT_CREDENTIAL_COLUMNS,
  what: 'client credential',
  toRecord: toClientCredential,
});

export class PgClientCredentialRepository implements ClientCredentialRepository {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async create(c: ClientCredential): Promise<ClientCredential> {
    checkClientCredential(c);
    await table.insert(this.#db, [clientCredentialValues(c)]);
    return { ...c };
  }

  async getById(tenantId: string, id: string): Promise<ClientCredential | null> {
    checkKey('tenantId', tenantId);
    checkKey('id', id);
    return table.findOne(this.#db, 'tenant_id = $1 AND id = $2', [tenantId, id]);
  }

  async getByUsername(tenantId: string, username: string): Promise<ClientCredential | null> {
    checkKey('tenantId', tenantId);
    checkKey('username', username, Limits.username);
    return table.findOne(this.#db, 'tenant_id = $1 AND username = $2', [tenantId, username]);
  }

  async list(tenantId: string, opts: ListOptions<CredentialState>): Promise<Page<ClientCredential>> {
    checkKey('tenantId', tenantId);
    const states = checkListOptions(opts);
    return table.page(this.#db, 'tenant_id = $1', [tenantId], states, opts);
  }

  async update(tenantId: string, id: string, expectedVersion: number, patch: ClientCredentialPatch): Promise<ClientCredential> {
    checkKey('tenantId', tenantId);
    checkKey('id', id);
    checkVersion('expectedVersion', expectedVersion);
    checkClientCredentialPatch(patch);
    return table.update(this.#db, tenantId, id, expectedVersion, patchColumns(patch));
  }

  async delete(tenantId: string, id: string, expectedVersion?: number): Promise<ClientCredential> {
    checkKey('tenantId', tenantId);
    checkKey('id', id);
    checkOptionalVersion(expectedVersion);
    return table.delete(this.#db, tenantId, id, expectedVersion);
  }
}
