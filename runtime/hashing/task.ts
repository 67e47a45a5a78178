/**
 * The hashing pool's worker: the only code in fleetgate that computes a password hash.
 * It runs inside piscina threads, so no event loop that serves sockets or actors ever does.
 *
 * argon2id is what we write. bcrypt ($2a$, $2b$, $2y$) is only verified, for credentials
 * imported from systems that used it, and is always reported as needing a rehash so that the
 * caller upgrades it to argon2id on the next successful use.
 */
import argon2 from 'argon2';
import bcrypt from 'bcryptjs';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export type HashTask =
  | { op: 'hash'; secret: string; params: Argon2Params }
  | { op: 'verify'; secret: string; hash: string; params: Argon2Params };

export type HashTaskResult =
  | { op: 'hash'; hash: string }
  | { op: 'verify'; ok: boolean; needsRehash: boolean }
  | { op: 'error'; code: string; message: string };

const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export default async function run(task: HashTask): Promise<HashTaskResult> {
  if (task.op === 'hash') {
    const hash = await argon2.hash(task.secret, { type: argon2.argon2id, ...task.params });
    return { op: 'hash', hash };
  }
  const { hash, secret, params } = task;
  if (hash.startsWith('$argon2')) {
    let ok: boolean;
    try {
      ok = await argon2.verify(hash, secret);
    } catch {
      return { op: 'error', code: 'ERR_HASH_FORMAT', message: 'the stored argon2 hash is malformed' };
    }
    return { op: 'verify', ok, needsRehash: ok && (!hash.startsWith('$argon2id$') || argon2.needsRehash(hash, params)) };
  }
  if (BCRYPT.test(hash)) {
    // bcrypt compares only the first 72 bytes of the secret; that is bcrypt's own rule and the
    // reason imported hashes are upgraded as soon as the right secret is seen.
    const ok = await bcrypt.compare(secret, hash.replace(/^\$2y\$/, '$2b$'));
    return { op: 'verify', ok, needsRehash: ok };
  }
  return { op: 'error', code: 'ERR_HASH_FORMAT', message: 'the stored hash is neither argon2 nor bcrypt' };
}
