/** Revoked JWT ids (RFC 7009) and JWT signing keys on the Postgres dialect. */
import { notFound } from '../errors.js';
import type { RevokedTokenRepository, SigningKeyRepository } from '../repositories.js';
import { SIGNING_KEY_COLUMNS, signingKeyValues, toSigningKey } from '../rows-oauth.js';
import type { SigningKey } from '../types.js';
import { checkEpoch, checkKey } from '../validate.js';
import { checkJti, checkSigningKey } from '../validate-oauth.js';
import type { SqlExecutor } from './sql.js';
import { PgTable } from './table.js';

export class PgRevokedTokenRepository implements RevokedTokenRepository {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async revoke(jti: string, expiresAt: number): Promise<void> {
    checkJti(jti);
    checkEpoch('expiresAt', expiresAt);
    // Idempotent: RFC 7009 2.2 answers 200 to a token revoked already.
    await this.#db.query(
      `INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2)
        ON CONFLICT (jti) DO UPDATE SET expires_at = GREATEST(revoked_tokens.expires_at, EXCLUDED.expires_at)`,
      [jti, expiresAt],
    );
  }

  async isRevoked(jti: string): Promise<boolean> {
    checkJti(jti);
    const { rows } = await this.#db.query('SELECT 1 AS hit FROM revoked_tokens WHERE jti = $1', [jti]);
    return rows.length > 0;
  }

  async purgeExpired(now: number): Promise<number> {
    checkEpoch('now', now);
    const { rows } = await this.#db.query('DELETE FROM revoked_tokens WHERE expires_at <= $1 RETURNING jti', [now]);
    return rows.length;
  }
}

const keys = new PgTable<SigningKey>({
  table: 'signing_keys',
  key: 'kid',
  columns: SIGNING_KEY_COLUMNS,
  what: 'signing key',
  toRecord: toSigningKey,
});

const KEY_COLS = SIGNING_KEY_COLUMNS.join(', ');

export class PgSigningKeyRepository implements SigningKeyRepository {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async add(k: SigningKey): Promise<SigningKey> {
    checkSigningKey(k);
    await keys.insert(this.#db, [signingKeyValues(k)]);
    return structuredClone(k);
  }

  async list(): Promise<SigningKey[]> {
    const { rows } = await this.#db.query(`SELECT ${KEY_COLS} FROM signing_keys ORDER BY created_at DESC, kid DESC`);
    return rows.map(toSigningKey);
  }

  async retire(kid: string, retiresAt: number): Promise<SigningKey> {
    checkKey('kid', kid);
    checkEpoch('retiresAt', retiresAt);
    const { rows } = await this.#db.query(`UPDATE signing_keys SET retires_at = $2 WHERE kid = $1 RETURNING ${KEY_COLS}`, [kid, retiresAt]);
    if (rows[0] === undefined) throw notFound('signing key');
    return toSigningKey(rows[0]);
  }

  async deleteRetiredBefore(now: number): Promise<number> {
    checkEpoch('now', now);
    const { rows } = await this.#db.query('DELETE FROM signing_keys WHERE retires_at IS NOT NULL AND retires_at < $1 RETURNING kid', [now]);
    return rows.length;
  }
}
