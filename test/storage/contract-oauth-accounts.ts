/** Contracts of ServiceAccountRepository, RevokedTokenRepository and SigningKeyRepository, run against every backend. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StorageCodes, type StorageBackend } from '../../storage/index.js';
import { T0, rejectsWithCode, serviceAccount, signingKey, uniq } from './fixtures.js';

const ALL = { offset: 0, limit: 1000, order: 'ASC' } as const;

export function serviceAccountContract(backend: () => StorageBackend): void {
  describe('service accounts', () => {
    const repo = () => backend().serviceAccounts;

    test('upsert creates the account as given; get reads it back exactly', async () => {
      const tenant = uniq('t');
      const a = serviceAccount(tenant, 1, {
        permissions: ['users.write', 'client.write'],
        groups: ['ops'],
        attributes: { region: 'eu', limits: { rps: 5 }, tags: ['a', 'b'], on: true, none: null },
      });
      assert.deepEqual(await repo().upsert(a), a);
      assert.deepEqual(await repo().get(a.id), a);
      const bare = serviceAccount(tenant, 2, { description: null, active: false, roles: [] });
      await repo().upsert(bare);
      assert.deepEqual(await repo().get(bare.id), bare);
      assert.equal(await repo().get(`${a.id}-missing`), null);
    });

    test('upsert again: unchanged is a no-op, a change bumps the version once and keeps createdAt', async () => {
      const tenant = uniq('t');
      const a = await repo().upsert(serviceAccount(tenant, 1, { attributes: { x: 1, y: 2 } }));
      // Same content, other key order, other version and times: nothing changes.
      const same = { ...a, attributes: { y: 2, x: 1 }, version: 9, createdAt: T0 + 500, updatedAt: T0 + 500 };
      assert.deepEqual(await repo().upsert(same), a);
      const changed = { ...a, roles: ['USER', 'ADMIN'], description: null, updatedAt: T0 + 600, createdAt: T0 + 600, version: 1 };
      const v2 = { ...a, roles: ['USER', 'ADMIN'], description: null, updatedAt: T0 + 600, version: 2 };
      assert.deepEqual(await repo().upsert(changed), v2);
      assert.deepEqual(await repo().upsert(changed), v2);
      assert.deepEqual(await repo().get(a.id), v2);
      // The same id in another tenant never overwrites this one.
      await rejectsWithCode(repo().upsert(serviceAccount(uniq('t'), 1, { id: a.id })), StorageCodes.DUPLICATE);
      assert.deepEqual(await repo().get(a.id), v2);
    });

    test('concurrent first upserts of one id: one creates, the others read it back', async () => {
      const a = serviceAccount(uniq('t'), 1);
      const results = await Promise.all([1, 2, 3].map(() => repo().upsert(a)));
      assert.deepEqual(results, [a, a, a]);
    });

    test('a client links to at most one account: link, relink, unlink, getByClient', async () => {
      const tenant = uniq('t');
      const client = uniq('client');
      const a = await repo().upsert(serviceAccount(tenant, 1));
      const b = await repo().upsert(serviceAccount(tenant, 2));
      const a2 = await repo().linkClient(a.id, client, T0 + 10, 1);
      assert.deepEqual(a2, { ...a, clientId: client, version: 2, updatedAt: T0 + 10 });
      assert.deepEqual(await repo().linkClient(a.id, client, T0 + 11), a2); // same link: no bump
      assert.deepEqual(await repo().getByClient(client), a2);
      await rejectsWithCode(repo().linkClient(b.id, client, T0 + 12), StorageCodes.DUPLICATE);
      await rejectsWithCode(repo().upsert({ ...b, clientId: client }), StorageCodes.DUPLICATE);
      assert.deepEqual(await repo().get(b.id), b);
      await rejectsWithCode(repo().linkClient(a.id, uniq('client'), T0 + 13, 1), StorageCodes.VERSION_CONFLICT, { currentVersion: 2 });
      await rejectsWithCode(repo().linkClient(`${a.id}-missing`, client, T0 + 13), StorageCodes.NOT_FOUND);

      await rejectsWithCode(repo().unlinkClient(b.id, client, T0 + 20), StorageCodes.NOT_FOUND);
      const a3 = await repo().unlinkClient(a.id, client, T0 + 20);
      assert.deepEqual(a3, { ...a2, clientId: null, version: 3, updatedAt: T0 + 20 });
      assert.equal(await repo().getByClient(client), null);
      assert.deepEqual(await repo().linkClient(b.id, client, T0 + 30, 1), { ...b, clientId: client, version: 2, updatedAt: T0 + 30 });
      assert.equal((await repo().getByClient(client))?.id, b.id);
    });

    test('list pages by (createdAt, id), tenant-scoped; delete returns the account', async () => {
      const tenant = uniq('t');
      const made = [];
      for (let n = 1; n <= 3; n++) made.push(await repo().upsert(serviceAccount(tenant, n)));
      await repo().upsert(serviceAccount(uniq('t'), 1));
      assert.deepEqual(await repo().list(tenant, { offset: 1, limit: 5, order: 'DESC' }), { items: [made[1], made[0]], total: 3 });
      assert.deepEqual(await repo().delete(made[1]!.id), made[1]);
      await rejectsWithCode(repo().delete(made[1]!.id), StorageCodes.NOT_FOUND);
      assert.deepEqual(await repo().list(tenant, ALL), { items: [made[0], made[2]], total: 2 });
    });

    test('upsert refuses bad names, a non-object attributes or an over-long description', async () => {
      const tenant = uniq('t');
      const bad = StorageCodes.INVALID_ARGUMENT;
      await rejectsWithCode(repo().upsert(serviceAccount(tenant, 1, { roles: [''] })), bad);
      await rejectsWithCode(repo().upsert(serviceAccount(tenant, 2, { groups: ['a', 'a'] })), bad);
      await rejectsWithCode(repo().upsert(serviceAccount(tenant, 3, { attributes: [] as unknown as Record<string, unknown> })), bad);
      await rejectsWithCode(repo().upsert(serviceAccount(tenant, 4, { description: 'd'.repeat(1025) })), bad);
      assert.deepEqual(await repo().list(tenant, ALL), { items: [], total: 0 });
    });
  });
}

export function revokedTokenContract(backend: () => StorageBackend): void {
  describe('revoked tokens', () => {
    const repo = () => backend().revokedTokens;

    test('revoke is idempotent; isRevoked answers; purgeExpired removes exactly the expired', async () => {
      // Earlier runs may have left entries: start from none expiring before the far future.
      await repo().purgeExpired(Number.MAX_SAFE_INTEGER);
      const [a, b, c] = [uniq('jti'), uniq('jti'), uniq('jti')];
      await repo().revoke(a, T0 + 100);
      await repo().revoke(a, T0 + 100);
      await repo().revoke(b, T0 + 200);
      await repo().revoke(b, T0 + 50); // an earlier expiry never shortens the entry
      await repo().revoke(c, T0 + 300);
      assert.deepEqual(await Promise.all([a, b, c, uniq('jti')].map((j) => repo().isRevoked(j))), [true, true, true, false]);
      assert.equal(await repo().purgeExpired(T0 + 99), 0);
      assert.equal(await repo().purgeExpired(T0 + 100), 1); // expiresAt <= now
      assert.equal(await repo().purgeExpired(T0 + 199), 0);
      assert.deepEqual(await Promise.all([a, b, c].map((j) => repo().isRevoked(j))), [false, true, true]);
      assert.equal(await repo().purgeExpired(T0 + 1000), 2);
      assert.equal(await repo().isRevoked(c), false);
      await rejectsWithCode(repo().revoke('', T0), StorageCodes.INVALID_ARGUMENT);
      await rejectsWithCode(repo().revoke(a, -1), StorageCodes.INVALID_ARGUMENT);
    });
  });
}

export function signingKeyContract(backend: () => StorageBackend): void {
  describe('signing keys', () => {
    const repo = () => backend().signingKeys;

    test('add, list newest first, retire, deleteRetiredBefore', async () => {
      await repo().deleteRetiredBefore(Number.MAX_SAFE_INTEGER);
      const p = uniq('kid');
      const mine = async () => (await repo().list()).filter((k) => k.kid.startsWith(`${p}-`));
      const [k1, k2, k3] = [signingKey(p, 1), signingKey(p, 2, { alg: 'EdDSA', publicJwk: { kty: 'OKP', crv: 'Ed25519', x: 'q' } }), signingKey(p, 3)];
      // k2 and k3 share createdAt: kid breaks the tie (descending).
      const k3b = { ...k3, createdAt: k2.createdAt };
      for (const k of [k1, k3b, k2]) assert.deepEqual(await repo().add(k), k);
      assert.deepEqual(await mine(), [k3b, k2, k1]);
      await rejectsWithCode(repo().add(k1), StorageCodes.DUPLICATE);

      assert.deepEqual(await repo().retire(k1.kid, T0 + 100), { ...k1, retiresAt: T0 + 100 });
      assert.deepEqual(await repo().retire(k1.kid, T0 + 100), { ...k1, retiresAt: T0 + 100 });
      assert.deepEqual(await repo().retire(k2.kid, T0 + 200), { ...k2, retiresAt: T0 + 200 });
      await rejectsWithCode(repo().retire(`${p}-missing`, T0), StorageCodes.NOT_FOUND);
      assert.equal(await repo().deleteRetiredBefore(T0 + 100), 0); // retiresAt < now
      assert.equal(await repo().deleteRetiredBefore(T0 + 101), 1);
      assert.deepEqual(await mine(), [k3b, { ...k2, retiresAt: T0 + 200 }]);
      assert.equal(await repo().deleteRetiredBefore(T0 + 10_000), 1);
      assert.deepEqual(await mine(), [k3b]);
    });

    test('add refuses a clear private JWK, in either field', async () => {
      const p = uniq('kid');
      const bad = StorageCodes.INVALID_ARGUMENT;
      await rejectsWithCode(repo().add(signingKey(p, 1, { privateJwkEncrypted: '{"kty":"EC","d":"secret"}' })), bad);
      await rejectsWithCode(repo().add(signingKey(p, 2, { publicJwk: { kty: 'EC', d: 'secret' } })), bad);
      assert.deepEqual((await repo().list()).filter((k) => k.kid.startsWith(`${p}-`)), []);
    });
  });
}
