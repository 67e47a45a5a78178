/** Revoked JWT ids (RFC 7009) and JWT signing keys on MariaDB. */
import { notFound } from '../errors.js';
import type { RevokedTokenRepository, SigningKeyRepository } from '../repositories.js';
import { SIGNING_KEY_COLUMNS, signingKeyValues, toSigningKey } from '../rows-oauth.js';
import type { SigningKey } from '../types.js';
import { checkEpoch, checkKey } from '../validate.js';
import { checkJti, checkSigningKey } from '../validate-oauth.js';
import type { MariaExecutor } from './sql.js';
import { MariaTable } from './table.js';

export class MariaRevokedTokenRepository implements RevokedTokenRepository {
  readonly #db: MariaExecutor;

  constructor(db: MariaExecutor) {
    this.#db = db;
  }

  async revoke(jti: string, expiresAt: number): Promise<void> {
    checkJti(jti);
    checkEpoch('expiresAt', expiresAt);
    // Idempotent: RFC 7009 2.2 answers 200 to a token revoked already. Not INSERT IGNORE,
    // which would also swallow errors that are not duplicates.
    await this.#db.exec(
      `INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?)
        ON DUPLICATE KEY UPDATE expires_at = GREATEST(expires_at, VALUES(expires_at))`,
      [jti, expiresAt],
    );
  }

  async isRevoked(jti: string): Promise<boolean> {
    checkJti(jti);
    const rows = await this.#db.rows('SELECT 1 AS hit FROM revoked_tokens WHERE jti = ?', [jti]);
    return rows.length > 0;
  }

  async purgeExpired(now: number): Promise<number> {
    checkEpoch('now', now);
    const { affectedRows } = await this.#db.exec('DELETE FROM revoked_tokens WHERE expires_at <= ?', [now]);
    return affectedRows;
  }
}

const keys = new MariaTable<SigningKey>({
  table: 'signing_keys',
  key: 'kid',
  columns: SIGNING_KEY_COLUMNS,
  what: 'signing key',
  toRecord: toSigningKey,
});

const KEY_COLS = SIGNING_KEY_COLUMNS.join(', ');

export class MariaSigningKeyRepository implements SigningKeyRepository {
  readonly #db: MariaExecutor;

  constructor(db: MariaExecutor) {
    this.#db = db;
  }

  async add(k: SigningKey): Promise<SigningKey> {
    checkSigningKey(k);
    await keys.insert(this.#db, [signingKeyValues(k)]);
    return structuredClone(k);
  }

  async list(): Promise<SigningKey[]> {
    const rows = await this.#db.rows(`SELECT ${KEY_COLS} FROM signing_keys ORDER BY created_at DESC, kid DESC`);
    return rows.map(toSigningKey);
  }

  async retire(kid: string, retiresAt: number): Promise<SigningKey> {
    checkKey('kid', kid);
    checkEpoch('retiresAt', retiresAt);
    // affectedRows counts changed rows: a retire to the same instant changes none, so the
    // existence is read back rather than inferred from the count.
    await this.#db.exec('UPDATE signing_keys SET retires_at = ? WHERE kid = ?', [retiresAt, kid]);
    const key = await keys.findOne(this.#db, 'kid = ?', [kid]);
    if (key === null) throw notFound('signing key');
    return key;
  }

  async deleteRetiredBefore(now: number): Promise<number> {
    checkEpoch('now', now);
    const { affectedRows } = await this.#db.exec('DELETE FROM signing_keys WHERE retires_at IS NOT NULL AND retires_at < ?', [now]);
    return affectedRows;
  }
}
