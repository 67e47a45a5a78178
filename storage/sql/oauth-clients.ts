/** Confidential OAuth clients and their secrets, once for every SQL dialect. */
import { notFound } from '../errors.js';
import type { OAuthClientRepository } from '../repositories.js';
import {
  CLIENT_SECRET_COLUMNS,
  OAUTH_CLIENT_COLUMNS,
  bySlot,
  oauthClientPatchColumns,
  oauthClientValues,
  toClientSecret,
  toOAuthClient,
} from '../rows-oauth.js';
import type {
  ClientSecret,
  ListOptions,
  NewClientSecret,
  OAuthClient,
  OAuthClientPatch,
  Page,
  SecretRotation,
  SecretSlot,
} from '../types.js';
import { checkEpoch, checkKey, checkOptionalVersion, checkVersion } from '../validate.js';
import {
  checkClientId,
  checkNewSecret,
  checkOAuthClient,
  checkOAuthClientPatch,
  checkPageOptions,
  checkRotation,
  checkSlot,
} from '../validate-oauth.js';
import { casMiss } from '../versioning.js';
import { Params, type SqlDialect } from './dialect.js';
import type { SqlExecutor, SqlQueryable } from './executor.js';
import { SqlTable, type TableSpec } from './table.js';

const TABLE: TableSpec<OAuthClient> = {
  table: 'oauth_clients',
  key: 'client_id',
  columns: OAUTH_CLIENT_COLUMNS,
  what: 'oauth client',
  toRecord: toOAuthClient,
};

const SECRET_COLS = CLIENT_SECRET_COLUMNS.join(', ');

export class SqlOAuthClientRepository implements OAuthClientRepository {
  readonly #db: SqlExecutor;
  readonly #dialect: SqlDialect;
  readonly #table: SqlTable<OAuthClient>;

  constructor(db: SqlExecutor, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
    this.#table = new SqlTable(dialect, TABLE);
  }

  async create(c: OAuthClient): Promise<OAuthClient> {
    checkOAuthClient(c);
    await this.#table.insert(this.#db, [oauthClientValues(c)]);
    return structuredClone(c);
  }

  async get(clientId: string): Promise<OAuthClient | null> {
    checkClientId(clientId);
    return this.#table.findOne(this.#db, [['client_id', clientId]]);
  }

  async list(tenantId: string, opts: ListOptions<never>): Promise<Page<OAuthClient>> {
    checkKey('tenantId', tenantId);
    checkPageOptions(opts);
    return this.#table.page(this.#db, [['tenant_id', tenantId]], null, opts);
  }

  async update(clientId: string, expectedVersion: number, patch: OAuthClientPatch): Promise<OAuthClient> {
    checkClientId(clientId);
    checkVersion('expectedVersion', expectedVersion);
    checkOAuthClientPatch(patch);
    const set = oauthClientPatchColumns(patch);
    const written = await this.#dialect.atomicUpdate(this.#db, (q) => this.#table.updateByKey(q, clientId, set, expectedVersion));
    return written ?? casMiss('oauth client', () => this.#table.versionByKey(this.#db, clientId));
  }

  async delete(clientId: string, expectedVersion?: number): Promise<OAuthClient> {
    checkClientId(clientId);
    checkOptionalVersion(expectedVersion);
    // The secrets go by ON DELETE CASCADE, in the same statement.
    return this.#table.deleteByKey(this.#db, clientId, expectedVersion);
  }

  async secrets(clientId: string): Promise<ClientSecret[]> {
    checkClientId(clientId);
    const p = this.#params();
    const rows = await this.#db.rows(`SELECT ${SECRET_COLS} FROM oauth_client_secrets WHERE client_id = ${p.add(clientId)}`, p.values);
    return rows.map(toClientSecret).sort(bySlot);
  }

  async setSecret(clientId: string, expectedVersion: number, s: NewClientSecret): Promise<OAuthClient> {
    checkClientId(clientId);
    checkVersion('expectedVersion', expectedVersion);
    checkNewSecret(s);
    return this.#withClient(clientId, expectedVersion, s.createdAt, async (tx) => {
      const p = this.#params();
      await tx.exec(`DELETE FROM oauth_client_secrets WHERE client_id = ${p.add(clientId)} AND slot = 'current'`, p.values);
      await this.#insertSecret(tx, clientId, 'current', s);
    });
  }

  async rotateSecret(clientId: string, expectedVersion: number, s: SecretRotation): Promise<OAuthClient> {
    checkClientId(clientId);
    checkVersion('expectedVersion', expectedVersion);
    checkRotation(s);
    return this.#withClient(clientId, expectedVersion, s.createdAt, async (tx) => {
      const d = this.#params();
      await tx.exec(`DELETE FROM oauth_client_secrets WHERE client_id = ${d.add(clientId)} AND slot = 'previous'`, d.values);
      const u = this.#params();
      const { affectedRows } = await tx.exec(
        `UPDATE oauth_client_secrets SET slot = 'previous', expires_at = ${u.add(s.previousExpiresAt)}
          WHERE client_id = ${u.add(clientId)} AND slot = 'current'`,
        u.values,
      );
      // Nothing to rotate: the throw rolls back the version bump and the delete above.
      if (affectedRows !== 1) throw notFound('current client secret');
      await this.#insertSecret(tx, clientId, 'current', s);
    });
  }

  async deleteSecret(clientId: string, expectedVersion: number, slot: SecretSlot, updatedAt: number): Promise<OAuthClient> {
    checkClientId(clientId);
    checkVersion('expectedVersion', expectedVersion);
    checkSlot(slot);
    checkEpoch('updatedAt', updatedAt);
    return this.#withClient(clientId, expectedVersion, updatedAt, async (tx) => {
      const p = this.#params();
      const { affectedRows } = await tx.exec(
        `DELETE FROM oauth_client_secrets WHERE client_id = ${p.add(clientId)} AND slot = ${p.add(slot)}`,
        p.values,
      );
      if (affectedRows !== 1) throw notFound('client secret');
    });
  }

  /**
   * One transaction: the client's compare-and-set version bump first (its row lock makes a
   * concurrent secret operation on the same client wait, then miss the version), then `fn`.
   */
  async #withClient(clientId: string, expectedVersion: number, updatedAt: number, fn: (tx: SqlQueryable) => Promise<void>): Promise<OAuthClient> {
    const written = await this.#db.transaction(async (tx) => {
      const client = await this.#table.updateByKey(tx, clientId, [['updated_at', updatedAt]], expectedVersion);
      if (client !== null) await fn(tx);
      return client;
    });
    return written ?? casMiss('oauth client', () => this.#table.versionByKey(this.#db, clientId));
  }

  async #insertSecret(tx: SqlQueryable, clientId: string, slot: SecretSlot, s: NewClientSecret): Promise<void> {
    const p = this.#params();
    const values = [clientId, slot, s.secretHash, s.createdAt, s.expiresAt].map((v) => p.add(v));
    await tx.exec(`INSERT INTO oauth_client_secrets (${SECRET_COLS}) VALUES (${values.join(', ')})`, p.values);
  }

  #params(): Params {
    return new Params(this.#dialect);
  }
}
