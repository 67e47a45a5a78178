/** Endpoint tokens (CM: endpoint identification), once for every SQL dialect. */
import type { EndpointTokenRepository } from '../repositories.js';
import { ENDPOINT_TOKEN_COLUMNS, endpointTokenValues, patchColumns, toEndpointToken } from '../rows.js';
import { byCreatedThenId } from '../order.js';
import type { CredentialState, EndpointToken, EndpointTokenPatch, ListOptions, Page } from '../types.js';
import {
  checkEndpointToken,
  checkEndpointTokenPatch,
  checkKey,
  checkListOptions,
  checkLookupHash,
  checkOptionalVersion,
  checkVersion,
} from '../validate.js';
import type { SqlDialect } from './dialect.js';
import type { SqlExecutor } from './executor.js';
import { SqlTable, type TableSpec } from './table.js';

const TABLE: TableSpec<EndpointToken> = {
  table: 'endpoint_tokens',
  key: 'token_id',
  columns: ENDPOINT_TOKEN_COLUMNS,
  what: 'endpoint token',
  toRecord: toEndpointToken,
};

export class SqlEndpointTokenRepository implements EndpointTokenRepository {
  readonly #db: SqlExecutor;
  readonly #table: SqlTable<EndpointToken>;

  constructor(db: SqlExecutor, dialect: SqlDialect) {
    this.#db = db;
    this.#table = new SqlTable(dialect, TABLE);
  }

  async create(t: EndpointToken): Promise<EndpointToken> {
    checkEndpointToken(t);
    await this.#table.insert(this.#db, [endpointTokenValues(t)]);
    return { ...t };
  }

  async createMany(ts: EndpointToken[]): Promise<void> {
    // Validate everything first: a bad row found mid-way would only cost a rollback, but
    // refusing before the transaction keeps the connection free.
    for (const t of ts) checkEndpointToken(t);
    if (ts.length === 0) return;
    const chunk = this.#table.maxRowsPerInsert;
    await this.#db.transaction(async (tx) => {
      for (let i = 0; i < ts.length; i += chunk) {
        await this.#table.insert(tx, ts.slice(i, i + chunk).map(endpointTokenValues));
      }
    });
  }

  async getByLookup(appName: string, lookupHash: string): Promise<EndpointToken | null> {
    checkKey('appName', appName);
    checkLookupHash(lookupHash);
    return this.#table.findOne(this.#db, [['app_name', appName], ['lookup_hash', lookupHash]]);
  }

  async getById(tenantId: string, tokenId: string): Promise<EndpointToken | null> {
    checkKey('tenantId', tenantId);
    checkKey('tokenId', tokenId);
    return this.#table.findOne(this.#db, [['tenant_id', tenantId], ['token_id', tokenId]]);
  }

  async listByEndpoint(tenantId: string, endpointId: string, opts: ListOptions<CredentialState>): Promise<Page<EndpointToken>> {
    checkKey('tenantId', tenantId);
    checkKey('endpointId', endpointId);
    const states = checkListOptions(opts);
    return this.#table.page(this.#db, [['tenant_id', tenantId], ['endpoint_id', endpointId]], states, opts);
  }

  async update(tenantId: string, tokenId: string, expectedVersion: number, patch: EndpointTokenPatch): Promise<EndpointToken> {
    checkKey('tenantId', tenantId);
    checkKey('tokenId', tokenId);
    checkVersion('expectedVersion', expectedVersion);
    checkEndpointTokenPatch(patch);
    return this.#table.update(this.#db, tenantId, tokenId, expectedVersion, patchColumns(patch));
  }

  async delete(tenantId: string, tokenId: string, expectedVersion?: number): Promise<EndpointToken> {
    checkKey('tenantId', tenantId);
    checkKey('tokenId', tokenId);
    checkOptionalVersion(expectedVersion);
    return this.#table.delete(this.#db, tenantId, tokenId, expectedVersion);
  }

  async deleteByEndpoint(endpointId: string): Promise<EndpointToken[]> {
    checkKey('endpointId', endpointId);
    const deleted = await this.#table.deleteWhere(this.#db, [['endpoint_id', endpointId]]);
    return deleted.sort(byCreatedThenId((t) => t.tokenId));
  }
}
