import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import argon2 from 'argon2';
import bcrypt from 'bcryptjs';
import { HashingCodes, HashPool } from '../../runtime/index.js';

// Weak parameters keep the suite fast; the defaults are checked where they matter (rehash).
const params = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

describe('hashing pool', () => {
  let pool: HashPool;
  before(() => {
    pool = new HashPool({ threads: 2, maxQueue: 1000, ...params });
  });
  after(() => pool.close());

  it('hashes with argon2id and verifies right and wrong secrets', async () => {
    const h = await pool.hash('correct horse');
    assert.match(h, /^\$argon2id\$v=19\$m=1024,p=1,t=1\$/);
    assert.deepEqual(await pool.verify('correct horse', h), { ok: true, needsRehash: false });
    assert.deepEqual(await pool.verify('wrong horse', h), { ok: false, needsRehash: false });
  });

  it('salts: the same secret hashes differently each time', async () => {
    const [a, b] = await Promise.all([pool.hash('same'), pool.hash('same')]);
    assert.notEqual(a, b);
  });

  it('verifies imported bcrypt hashes ($2a$, $2b$, $2y$) and asks for an upgrade', async () => {
    const b2b = bcrypt.hashSync('imported-secret', 4);
    assert.match(b2b, /^\$2b\$04\$/);
    for (const h of [b2b, b2b.replace(/^\$2b\$/, '$2a$'), b2b.replace(/^\$2b\$/, '$2y$')]) {
      assert.deepEqual(await pool.verify('imported-secret', h), { ok: true, needsRehash: true }, h.slice(0, 4));
      assert.deepEqual(await pool.verify('other', h), { ok: false, needsRehash: false }, h.slice(0, 4));
    }
  });

  it('asks for a rehash of argon2 hashes made with other parameters or variants', async () => {
    const old = await argon2.hash('s', { type: argon2.argon2id, memoryCost: 2048, timeCost: 1, parallelism: 1 });
    assert.deepEqual(await pool.verify('s', old), { ok: true, needsRehash: true });
    const argon2i = await argon2.hash('s', { type: argon2.argon2i, ...params });
    assert.deepEqual(await pool.verify('s', argon2i), { ok: true, needsRehash: true });
  });

  it('refuses a hash that is neither argon2 nor bcrypt with ERR_HASH_FORMAT', async () => {
    await assert.rejects(pool.verify('s', 'plaintext-password'), { code: HashingCodes.FORMAT });
    await assert.rejects(pool.verify('s', '$argon2id$v=19$broken'), { code: HashingCodes.FORMAT });
    await assert.rejects(pool.verify('s', '$2b$04$short'), { code: HashingCodes.FORMAT });
  });
});

describe('hashing pool bounds', () => {
  it('answers ERR_HASHING_BUSY when its queue is full instead of queueing without limit', async () => {
    const pool = new HashPool({ threads: 1, maxQueue: 2, ...params });
    try {
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => pool.hash('x')));
      const busy = results.filter((r) => r.status === 'rejected' && (r.reason as { code: string }).code === HashingCodes.BUSY);
      const done = results.filter((r) => r.status === 'fulfilled');
      assert.ok(busy.length > 0, 'some were refused');
      assert.ok(done.length >= 2, 'the queued ones completed');
      assert.equal(busy.length + done.length, 20);
      assert.equal(pool.takeStats().rejectedBusy, busy.length);
    } finally {
      await pool.close();
    }
  });

  it('refuses work after close with ERR_HASHING_CLOSED', async () => {
    const pool = new HashPool({ threads: 1, maxQueue: 2, ...params });
    await pool.close();
    await assert.rejects(pool.hash('x'), { code: HashingCodes.CLOSED });
  });
});
