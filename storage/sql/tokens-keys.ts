/** Revoked JWT ids (RFC 7009) and JWT signing keys, once for every SQL dialect. */
import { notFound } from '../errors.js';
import type { RevokedTokenRepository, SigningKeyRepository } from '../repositories.js';
import { SIGNING_KEY_COLUMNS, signingKeyValues, toSigningKey } from '../rows-oauth.js';
import type { SigningKey } from '../types.js';
import { checkEpoch, checkKey } from '../validate.js';
import { checkJti, checkSigningKey } from '../validate-oauth.js';
import { Params, type SqlDialect } from './dialect.js';
import type { SqlExecutor } from './executor.js';
import { SqlTable, type TableSpec } from './table.js';

export class SqlRevokedTokenRepository implements RevokedTokenRepository {
  readonly #db: SqlExecutor;
  readonly #dialect: SqlDialect;

  constructor(db: SqlExecutor, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async revoke(jti: string, expiresAt: number): Promise<void> {
    checkJti(jti);
    checkEpoch('expiresAt', expiresAt);
    // Idempotent: RFC 7009 2.2 answers 200 to a token revoked already.
    const p = new Params(this.#dialect);
    await this.#db.exec(
      `INSERT INTO revoked_tokens (jti, expires_at) VALUES (${p.add(jti)}, ${p.add(expiresAt)})
        ${this.#dialect.keepGreatestOnConflict('revoked_tokens', 'jti', 'expires_at')}`,
      p.values,
    );
  }

  async isRevoked(jti: string): Promise<boolean> {
    checkJti(jti);
    const p = new Params(this.#dialect);
    const rows = await this.#db.rows(`SELECT 1 AS hit FROM revoked_tokens WHERE jti = ${p.add(jti)}`, p.values);
    return rows.length > 0;
  }

  async purgeExpired(now: number): Promise<number> {
    checkEpoch('now', now);
    const p = new Params(this.#dialect);
    const { affectedRows } = await this.#db.exec(`DELETE FROM revoked_tokens WHERE expires_at <= ${p.add(now)}`, p.values);
    return affectedRows;
  }
}

const KEYS: TableSpec<SigningKey> = {
  table: 'signing_keys',
  key: 'kid',
  columns: SIGNING_KEY_COLUMNS,
  what: 'signing key',
  toRecord: toSigningKey,
};

const KEY_COLS = SIGNING_KEY_COLUMNS.join(', ');

export class SqlSigningKeyRepository implements SigningKeyRepository {
  readonly #db: SqlExecutor;
  readonly #dialect: SqlDialect;
  readonly #keys: SqlTable<SigningKey>;

  constructor(db: SqlExecutor, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
    this.#keys = new SqlTable(dialect, KEYS);
  }

  async add(k: SigningKey): Promise<SigningKey> {
    checkSigningKey(k);
    await this.#keys.insert(this.#db, [signingKeyValues(k)]);
    return structuredClone(k);
  }

  async list(): Promise<SigningKey[]> {
    const rows = await this.#db.rows(`SELECT ${KEY_COLS} FROM signing_keys ORDER BY created_at DESC, kid DESC`);
    return rows.map(toSigningKey);
  }

  async retire(kid: string, retiresAt: number): Promise<SigningKey> {
    checkKey('kid', kid);
    checkEpoch('retiresAt', retiresAt);
    // Signing keys carry no version: no compare-and-set. Where the dialect reads the row back,
    // the read and the write are one transaction, so a concurrent retire or purge cannot come
    // between them (an update reported as not found, or another writer's instant).
    const row = await this.#dialect.atomicUpdate(this.#db, (q) =>
      this.#dialect.updateRow(q, {
        table: KEYS.table,
        columns: KEYS.columns,
        set: [['retires_at', retiresAt]],
        bumpVersion: false,
        key: [['kid', kid]],
      }),
    );
    if (row === null) throw notFound('signing key');
    return toSigningKey(row);
  }

  async deleteRetiredBefore(now: number): Promise<number> {
    checkEpoch('now', now);
    const p = new Params(this.#dialect);
    const { affectedRows } = await this.#db.exec(
      `DELETE FROM signing_keys WHERE retires_at IS NOT NULL AND retires_at < ${p.add(now)}`,
      p.values,
    );
    return affectedRows;
  }
}
