/** Confidential OAuth clients and their secrets on the Postgres dialect. */
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
import type { SqlExecutor, SqlQueryable } from './sql.js';
import { PgTable } from './table.js';

const table = new PgTable<OAuthClient>({
  table: 'oauth_clients',
  key: 'client_id',
  columns: OAUTH_CLIENT_COLUMNS,
  what: 'oauth client',
  toRecord: toOAuthClient,
});

const SECRET_COLS = CLIENT_SECRET_COLUMNS.join(', ');

async function insertSecret(tx: SqlQueryable, clientId: string, slot: SecretSlot, s: NewClientSecret): Promise<void> {
  await tx.query(`INSERT INTO oauth_client_secrets (${SECRET_COLS}) VALUES ($1, $2, $3, $4, $5)`, [
    clientId,
    slot,
    s.secretHash,
    s.createdAt,
    s.expiresAt,
  ]);
}

export class PgOAuthClientRepository implements OAuthClientRepository {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async create(c: OAuthClient): Promise<OAuthClient> {
    checkOAuthClient(c);
    await table.insert(this.#db, [oauthClientValues(c)]);
    return structuredClone(c);
  }

  async get(clientId: string): Promise<OAuthClient | null> {
    checkClientId(clientId);
    return table.findOne(this.#db, 'client_id = $1', [clientId]);
  }

  async list(tenantId: string, opts: ListOptions<never>): Promise<Page<OAuthClient>> {
    checkKey('tenantId', tenantId);
    checkPageOptions(opts);
    return table.page(this.#db, 'tenant_id = $1', [tenantId], null, opts);
  }

  async update(clientId: string, expectedVersion: number, patch: OAuthClientPatch): Promise<OAuthClient> {
    checkClientId(clientId);
    checkVersion('expectedVersion', expectedVersion);
    checkOAuthClientPatch(patch);
    const written = await table.casByKey(this.#db, clientId, expectedVersion, oauthClientPatchColumns(patch));
    return written ?? casMiss('oauth client', () => table.versionByKey(this.#db, clientId));
  }

  async delete(clientId: string, expectedVersion?: number): Promise<OAuthClient> {
    checkClientId(clientId);
    checkOptionalVersion(expectedVersion);
    // The secrets go by ON DELETE CASCADE, in the same statement.
    return table.deleteByKey(this.#db, clientId, expectedVersion);
  }

  async secrets(clientId: string): Promise<ClientSecret[]> {
    checkClientId(clientId);
    const { rows } = await this.#db.query(`SELECT ${SECRET_COLS} FROM oauth_client_secrets WHERE client_id = $1`, [clientId]);
    return rows.map(toClientSecret).sort(bySlot);
  }

  async setSecret(clientId: string, expectedVersion: number, s: NewClientSecret): Promise<OAuthClient> {
    checkClientId(clientId);
    checkVersion('expectedVersion', expectedVersion);
    checkNewSecret(s);
    return this.#withClient(clientId, expectedVersion, s.createdAt, async (tx) => {
      await tx.query(`DELETE FROM oauth_client_secrets WHERE client_id = $1 AND slot = 'current'`, [clientId]);
      await insertSecret(tx, clientId, 'current', s);
    });
  }

  async rotateSecret(clientId: string, expectedVersion: number, s: SecretRotation): Promise<OAuthClient> {
    checkClientId(clientId);
    checkVersion('expectedVersion', expectedVersion);
    checkRotation(s);
    return this.#withClient(clientId, expectedVersion, s.createdAt, async (tx) => {
      await tx.query(`DELETE FROM oauth_client_secrets WHERE client_id = $1 AND slot = 'previous'`, [clientId]);
      const { rows } = await tx.query(
        `UPDATE oauth_client_secrets SET slot = 'previous', expires_at = $2 WHERE client_id = $1 AND slot = 'current' RETURNING slot`,
        [clientId, s.previousExpiresAt],
      );
      // Nothing to rotate: the throw rolls back the version bump and the delete above.
      if (rows.length !== 1) throw notFound('current client secret');
      await insertSecret(tx, clientId, 'current', s);
    });
  }

  async deleteSecret(clientId: string, expectedVersion: number, slot: SecretSlot, updatedAt: number): Promise<OAuthClient> {
    checkClientId(clientId);
    checkVersion('expectedVersion', expectedVersion);
    checkSlot(slot);
    checkEpoch('updatedAt', updatedAt);
    return this.#withClient(clientId, expectedVersion, updatedAt, async (tx) => {
      const { rows } = await tx.query('DELETE FROM oauth_client_secrets WHERE client_id = $1 AND slot = $2 RETURNING slot', [clientId, slot]);
      if (rows.length !== 1) throw notFound('client secret');
      return undefined;
    });
  }

  /**
   * One transaction: the client's compare-and-set version bump first (its row lock makes a
   * concurrent secret operation on the same client wait, then miss the version), then `fn`.
   */
  async #withClient(clientId: string, expectedVersion: number, updatedAt: number, fn: (tx: SqlQueryable) => Promise<void>): Promise<OAuthClient> {
    const written = await this.#db.transaction(async (tx) => {
      const client = await table.casByKey(tx, clientId, expectedVersion, [['updated_at', updatedAt]]);
      if (client !== null) await fn(tx);
      return client;
    });
    return written ?? casMiss('oauth client', () => table.versionByKey(this.#db, clientId));
  }
}
