/** Confidential OAuth clients and their secrets on MariaDB. */
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
import type { MariaExecutor, MariaQueryable } from './sql.js';
import { MariaTable } from './table.js';

const table = new MariaTable<OAuthClient>({
  table: 'oauth_clients',
  key: 'client_id',
  columns: OAUTH_CLIENT_COLUMNS,
  what: 'oauth client',
  toRecord: toOAuthClient,
});

const SECRET_COLS = CLIENT_SECRET_COLUMNS.join(', ');

async function insertSecret(tx: MariaQueryable, clientId: string, slot: SecretSlot, s: NewClientSecret): Promise<void> {
  await tx.exec(`INSERT INTO oauth_client_secrets (${SECRET_COLS}) VALUES (?, ?, ?, ?, ?)`, [
    clientId,
    slot,
    s.secretHash,
    s.createdAt,
    s.expiresAt,
  ]);
}

export class MariaOAuthClientRepository implements OAuthClientRepository {
  readonly #db: MariaExecutor;

  constructor(db: MariaExecutor) {
    this.#db = db;
  }

  async create(c: OAuthClient): Promise<OAuthClient> {
    checkOAuthClient(c);
    await table.insert(this.#db, [oauthClientValues(c)]);
    return structuredClone(c);
  }

  async get(clientId: string): Promise<OAuthClient | null> {
    checkClientId(clientId);
    return table.findOne(this.#db, 'client_id = ?', [clientId]);
  }

  async list(tenantId: string, opts: ListOptions<never>): Promise<Page<OAuthClient>> {
    checkKey('tenantId', tenantId);
    checkPageOptions(opts);
    return table.page(this.#db, 'tenant_id = ?', [tenantId], null, opts);
  }

  async update(clientId: string, expectedVersion: number, patch: OAuthClientPatch): Promise<OAuthClient> {
    checkClientId(clientId);
    checkVersion('expectedVersion', expectedVersion);
    checkOAuthClientPatch(patch);
    return this.#withClient(clientId, expectedVersion, oauthClientPatchColumns(patch), async () => undefined);
  }

  async delete(clientId: string, expectedVersion?: number): Promise<OAuthClient> {
    checkClientId(clientId);
    checkOptionalVersion(expectedVersion);
    // The secrets go by ON DELETE CASCADE, in the same statement.
    return table.deleteByKey(this.#db, clientId, expectedVersion);
  }

  async secrets(clientId: string): Promise<ClientSecret[]> {
    checkClientId(clientId);
    const rows = await this.#db.rows(`SELECT ${SECRET_COLS} FROM oauth_client_secrets WHERE client_id = ?`, [clientId]);
    return rows.map(toClientSecret).sort(bySlot);
  }

  async setSecret(clientId: string, expectedVersion: number, s: NewClientSecret): Promise<OAuthClient> {
    checkClientId(clientId);
    checkVersion('expectedVersion', expectedVersion);
    checkNewSecret(s);
    return this.#withClient(clientId, expectedVersion, [['updated_at', s.createdAt]], async (tx) => {
      await tx.exec(`DELETE FROM oauth_client_secrets WHERE client_id = ? AND slot = 'current'`, [clientId]);
      await insertSecret(tx, clientId, 'current', s);
    });
  }

  async rotateSecret(clientId: string, expectedVersion: number, s: SecretRotation): Promise<OAuthClient> {
    checkClientId(clientId);
    checkVersion('expectedVersion', expectedVersion);
    checkRotation(s);
    return this.#withClient(clientId, expectedVersion, [['updated_at', s.createdAt]], async (tx) => {
      await tx.exec(`DELETE FROM oauth_client_secrets WHERE client_id = ? AND slot = 'previous'`, [clientId]);
      const { affectedRows } = await tx.exec(
        `UPDATE oauth_client_secrets SET slot = 'previous', expires_at = ? WHERE client_id = ? AND slot = 'current'`,
        [s.previousExpiresAt, clientId],
      );
      // Nothing to rotate: the throw rolls back the version bump and the delete above.
      if (affectedRows !== 1) throw notFound('current client secret');
      await insertSecret(tx, clientId, 'current', s);
    });
  }

  async deleteSecret(clientId: string, expectedVersion: number, slot: SecretSlot, updatedAt: number): Promise<OAuthClient> {
    checkClientId(clientId);
    checkVersion('expectedVersion', expectedVersion);
    checkSlot(slot);
    checkEpoch('updatedAt', updatedAt);
    return this.#withClient(clientId, expectedVersion, [['updated_at', updatedAt]], async (tx) => {
      const { affectedRows } = await tx.exec('DELETE FROM oauth_client_secrets WHERE client_id = ? AND slot = ?', [clientId, slot]);
      if (affectedRows !== 1) throw notFound('client secret');
    });
  }

  /**
   * One transaction: the client's compare-and-set version bump first (its row lock makes a
   * concurrent secret operation on the same client wait, then miss the version), then `fn`.
   * The returned client is read after `fn`, still under that lock.
   */
  async #withClient(
    clientId: string,
    expectedVersion: number,
    set: Array<[string, unknown]>,
    fn: (tx: MariaQueryable) => Promise<void>,
  ): Promise<OAuthClient> {
    const written = await this.#db.transaction(async (tx) => {
      const client = await table.casByKey(tx, clientId, expectedVersion, set);
      if (client !== null) await fn(tx);
      return client;
    });
    return written ?? casMiss('oauth client', () => table.versionByKey(this.#db, clientId));
  }
}
