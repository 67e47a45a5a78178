/** Endpoint tokens (CM: endpoint identification) on the Postgres dialect. */
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
import type { SqlExecutor } from './sql.js';
import { PgTable } from './table.js';

const table = new PgTable<EndpointToken>({
  table: 'endpoint_tokens',
  key: 'token_id',
  columns: ENDPOINT_TOKEN_COLUMNS,
  what: 'endpoint token',
  toRecord: toEndpointToken,
});

export class PgEndpointTokenRepository implements EndpointTokenRepository {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async create(t: EndpointToken): Promise<EndpointToken> {
    checkEndpointToken(t);
    await table.insert(this.#db, [endpointTokenValues(t)]);
    return { ...t };
  }

  async createMany(ts: EndpointToken[]): Promise<void> {
    // Validate everything first: a bad row found mid-way would only cost a rollback, but
    // refusing before the transaction keeps the connection free.
    for (const t of ts) checkEndpointToken(t);
    if (ts.length === 0) return;
    const chunk = table.maxRowsPerInsert;
    await this.#db.transaction(async (tx) => {
      for (let i = 0; i < ts.length; i += chunk) {
        await table.insert(tx, ts.slice(i, i + chunk).map(endpointTokenValues));
      }
    });
  }

  async getByLookup(appName: string, lookupHash: string): Promise<EndpointToken | null> {
    checkKey('appName', appName);
    checkLookupHash(lookupHash);
    return table.findOne(this.#db, 'app_name = $1 AND lookup_hash = $2', [appName, lookupHash]);
  }

  async getById(tenantId: string, tokenId: string): Promise<EndpointToken | null> {
    checkKey('tenantId', tenantId);
    checkKey('tokenId', tokenId);
    return table.findOne(this.#db, 'tenant_id = $1 AND token_id = $2', [tenantId, tokenId]);
  }

  async listByEndpoint(tenantId: string, endpointId: string, opts: ListOptions<CredentialState>): Promise<Page<EndpointToken>> {
    checkKey('tenantId', tenantId);
    checkKey('endpointId', endpointId);
    const states = checkListOptions(opts);
    return table.page(this.#db, 'tenant_id = $1 AND endpoint_id = $2', [tenantId, endpointId], states, opts);
  }

  async update(tenantId: string, tokenId: string, expectedVersion: number, patch: EndpointTokenPatch): Promise<EndpointToken> {
    checkKey('tenantId', tenantId);
    checkKey('tokenId', tokenId);
    checkVersion('expectedVersion', expectedVersion);
    checkEndpointTokenPatch(patch);
    return table.update(this.#db, tenantId, tokenId, expectedVersion, patchColumns(patch));
  }

  async delete(tenantId: string, tokenId: string, expectedVersion?: number): Promise<EndpointToken> {
    checkKey('tenantId', tenantId);
    checkKey('tokenId', tokenId);
    checkOptionalVersion(expectedVersion);
    return table.delete(this.#db, tenantId, tokenId, expectedVersion);
  }

  async deleteByEndpoint(endpointId: string): Promise<EndpointToken[]> {
    checkKey('endpointId', endpointId);
    const deleted = await table.deleteWhere(this.#db, 'endpoint_id = $1', [endpointId]);
    return deleted.sort(byCreatedThenId((t) => t.tokenId));
  }
}
