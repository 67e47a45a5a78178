/** Contract of ClientCredentialRepository, run against every backend. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StorageCodes, StorageError, type StorageBackend } from '../../storage/index.js';
import { BCRYPT_HASH, T0, credential, rejectsWithCode, settleCounts, uniq } from './fixtures.js';

export function clientCredentialContract(backend: () => StorageBackend): void {
  describe('client credentials', () => {
    const repo = () => backend().clientCredentials;

    test('create returns the record; getById and getByUsername read it back exactly', async () => {
      const tenant = uniq('t');
      const c = credential(tenant, 1, { lastUsedAt: T0 + 5 });
      assert.deepEqual(await repo().create(c), c);
      assert.deepEqual(await repo().getById(tenant, c.id), c);
      assert.deepEqual(await repo().getByUsername(tenant, c.username), c);
    });

    test('reads are tenant-scoped and a miss is null', async () => {
      const tenant = uniq('t');
      const c = await repo().create(credential(tenant, 1));
      assert.equal(await repo().getById(uniq('t'), c.id), null);
      assert.equal(await repo().getByUsername(uniq('t'), c.username), null);
      assert.equal(await repo().getById(tenant, `${c.id}-missing`), null);
      assert.equal(await repo().getByUsername(tenant, 'nobody'), null);
    });

    test('epoch values up to 2^53-1 come back as exact JS numbers', async () => {
      const tenant = uniq('t');
      const c = credential(tenant, 1, { lastUsedAt: Number.MAX_SAFE_INTEGER, updatedAt: 2 ** 52 + 1 });
      await repo().create(c);
      const read = await repo().getById(tenant, c.id);
      assert.deepEqual(read, c);
      assert.equal(typeof read?.lastUsedAt, 'number');
      assert.equal(typeof read?.version, 'number');
    });

    test('duplicate (tenant, username) or id is ERR_DUPLICATE; same username in another tenant is fine', async () => {
      const tenant = uniq('t');
      const c = await repo().create(credential(tenant, 1));
      await rejectsWithCode(repo().create(credential(tenant, 2, { username: c.username })), StorageCodes.DUPLICATE);
      const other = uniq('t');
      await rejectsWithCode(repo().create(credential(other, 3, { id: c.id })), StorageCodes.DUPLICATE);
      const elsewhere = credential(other, 1, { username: c.username });
      assert.deepEqual(await repo().create(elsewhere), elsewhere);
    });

    test('usernames compare byte-wise: "Alice" and "alice" are different users', async () => {
      const tenant = uniq('t');
      await repo().create(credential(tenant, 1, { username: 'alice' }));
      await repo().create(credential(tenant, 2, { username: 'Alice' }));
      assert.equal((await repo().getByUsername(tenant, 'Alice'))?.id, `${tenant}-c002`);
      assert.equal((await repo().getByUsername(tenant, 'ALICE')), null);
    });

    test('list pages by (createdAt, id) in both orders, filters by state, reports the total', async () => {
      const tenant = uniq('t');
      // c003 and c004 share a createdAt: the id breaks the tie.
      const states = ['Active', 'Inactive', 'Suspended', 'Active', 'Revoked'] as const;
      for (let n = 1; n <= 5; n++) {
        await repo().create(credential(tenant, n, { state: states[n - 1], createdAt: n === 4 ? T0 + 3 : T0 + n }));
      }
      await repo().create(credential(uniq('t'), 9)); // another tenant: never listed
      const ids = async (offset: number, limit: number, order: 'ASC' | 'DESC', st?: Array<(typeof states)[number]>) => {
        const page = await repo().list(tenant, { offset, limit, order, ...(st ? { states: st } : {}) });
        return { ids: page.items.map((c) => c.id.slice(tenant.length + 1)), total: page.total };
      };
      assert.deepEqual(await ids(0, 2, 'ASC'), { ids: ['c001', 'c002'], total: 5 });
      assert.deepEqual(await ids(2, 2, 'ASC'), { ids: ['c003', 'c004'], total: 5 });
      assert.deepEqual(await ids(4, 2, 'ASC'), { ids: ['c005'], total: 5 });
      assert.deepEqual(await ids(0, 3, 'DESC'), { ids: ['c005', 'c004', 'c003'], total: 5 });
      assert.deepEqual(await ids(0, 10, 'ASC', ['Active', 'Suspended']), { ids: ['c001', 'c003', 'c004'], total: 3 });
      assert.deepEqual(await ids(1, 1, 'DESC', ['Active']), { ids: ['c001'], total: 2 });
      assert.deepEqual(await ids(7, 10, 'ASC'), { ids: [], total: 5 });
      assert.deepEqual(await repo().list(uniq('t'), { offset: 0, limit: 10, order: 'ASC' }), { items: [], total: 0 });
    });

    test('list refuses a bad page window or filter with ERR_INVALID_ARGUMENT', async () => {
      const tenant = uniq('t');
      const bad = StorageCodes.INVALID_ARGUMENT;
      await rejectsWithCode(repo().list(tenant, { offset: 0, limit: 0, order: 'ASC' }), bad);
      await rejectsWithCode(repo().list(tenant, { offset: 0, limit: 1001, order: 'ASC' }), bad);
      await rejectsWithCode(repo().list(tenant, { offset: -1, limit: 10, order: 'ASC' }), bad);
      await rejectsWithCode(repo().list(tenant, { offset: 0, limit: 10, order: 'ASC', states: [] }), bad);
      assert.deepEqual(await repo().list(tenant, { offset: 0, limit: 1000, order: 'DESC' }), { items: [], total: 0 });
    });

    test('create refuses a plaintext secret, an unknown state or an over-long key', async () => {
      const tenant = uniq('t');
      const bad = StorageCodes.INVALID_ARGUMENT;
      await rejectsWithCode(repo().create(credential(tenant, 1, { secretHash: 'hunter2' })), bad);
      await rejectsWithCode(repo().create(credential(tenant, 2, { state: 'Bogus' as 'Active' })), bad);
      await rejectsWithCode(repo().create(credential(tenant, 3, { username: 'u'.repeat(256) })), bad);
      assert.equal((await repo().list(tenant, { offset: 0, limit: 10, order: 'ASC' })).total, 0);
    });

    test('update applies the patch and bumps the version by one', async () => {
      const tenant = uniq('t');
      const c = await repo().create(credential(tenant, 1));
      const patch = { state: 'Active' as const, secretHash: BCRYPT_HASH, lastUsedAt: T0 + 100, updatedAt: T0 + 100 };
      const expected = { ...c, ...patch, version: 2 };
      assert.deepEqual(await repo().update(tenant, c.id, 1, patch), expected);
      assert.deepEqual(await repo().getById(tenant, c.id), expected);
      // Only updatedAt: still a new version; lastUsedAt: null clears the field.
      const cleared = await repo().update(tenant, c.id, 2, { lastUsedAt: null, updatedAt: T0 + 200 });
      assert.deepEqual(cleared, { ...expected, lastUsedAt: null, updatedAt: T0 + 200, version: 3 });
    });

    test('a stale version is ERR_VERSION_CONFLICT with the current version, and nothing changes', async () => {
      const tenant = uniq('t');
      const c = await repo().create(credential(tenant, 1));
      const v2 = await repo().update(tenant, c.id, 1, { state: 'Active', updatedAt: T0 + 10 });
      await rejectsWithCode(repo().update(tenant, c.id, 1, { state: 'Revoked', updatedAt: T0 + 20 }), StorageCodes.VERSION_CONFLICT, {
        currentVersion: 2,
      });
      assert.deepEqual(await repo().getById(tenant, c.id), v2);
    });

    test('update of a missing record, or of another tenant\'s, is ERR_NOT_FOUND', async () => {
      const tenant = uniq('t');
      const c = await repo().create(credential(tenant, 1));
      await rejectsWithCode(repo().update(tenant, `${c.id}-missing`, 1, { updatedAt: T0 }), StorageCodes.NOT_FOUND);
      await rejectsWithCode(repo().update(uniq('t'), c.id, 1, { updatedAt: T0 }), StorageCodes.NOT_FOUND);
    });

    test('concurrent updates with the same expected version: exactly one wins', async () => {
      const tenant = uniq('t');
      const c = await repo().create(credential(tenant, 1));
      const contenders = (['Active', 'Suspended', 'Revoked', 'Active', 'Suspended'] as const).map((state, i) =>
        repo().update(tenant, c.id, 1, { state, updatedAt: T0 + 1000 + i }),
      );
      const results = await Promise.allSettled(contenders);
      const { won, codes } = settleCounts(results);
      assert.equal(won, 1);
      assert.deepEqual(codes, Array(4).fill(StorageCodes.VERSION_CONFLICT));
      const winner = results.find((r) => r.status === 'fulfilled');
      const stored = await repo().getById(tenant, c.id);
      assert.equal(stored?.version, 2);
      assert.deepEqual(stored, winner?.status === 'fulfilled' ? winner.value : undefined);
      for (const r of results) {
        if (r.status === 'rejected') assert.deepEqual((r.reason as { data?: unknown }).data, { currentVersion: 2 });
      }
    });

    test('errors travel as fixed { code, message, data } records that quote no value', async () => {
      const tenant = uniq('t');
      const c = await repo().create(credential(tenant, 1, { username: 'secret-looking-name' }));
      await repo().update(tenant, c.id, 1, { updatedAt: T0 + 1 });
      const wire = async (p: Promise<unknown>) =>
        p.then(
          () => assert.fail('expected a rejection'),
          (err: unknown) => (err instanceof StorageError ? { ...err.toWire(), cause: err.cause } : err),
        );
      assert.deepEqual(await wire(repo().create(credential(tenant, 2, { username: c.username }))), {
        code: 'ERR_DUPLICATE',
        message: 'a record with the same unique key already exists',
        cause: undefined,
      });
      assert.deepEqual(await wire(repo().update(tenant, c.id, 1, { updatedAt: T0 + 2 })), {
        code: 'ERR_VERSION_CONFLICT',
        message: 'client credential was modified concurrently (stale version)',
        data: { currentVersion: 2 },
        cause: undefined,
      });
      assert.deepEqual(await wire(repo().delete(tenant, `${c.id}-missing`)), {
        code: 'ERR_NOT_FOUND',
        message: 'client credential not found',
        cause: undefined,
      });
      assert.deepEqual(await wire(repo().list(tenant, { offset: 0, limit: 5000, order: 'ASC' })), {
        code: 'ERR_INVALID_ARGUMENT',
        message: 'limit must be an integer in 1..1000',
        cause: undefined,
      });
    });

    test('delete returns the deleted record, with or without a version; errors as update', async () => {
      const tenant = uniq('t');
      const a = await repo().create(credential(tenant, 1));
      const b = await repo().create(credential(tenant, 2));
      assert.deepEqual(await repo().delete(tenant, a.id), a);
      assert.equal(await repo().getById(tenant, a.id), null);
      await rejectsWithCode(repo().delete(tenant, a.id), StorageCodes.NOT_FOUND);
      await rejectsWithCode(repo().delete(tenant, a.id, 1), StorageCodes.NOT_FOUND);

      const b2 = await repo().update(tenant, b.id, 1, { state: 'Active', updatedAt: T0 + 50 });
      await rejectsWithCode(repo().delete(tenant, b.id, 1), StorageCodes.VERSION_CONFLICT, { currentVersion: 2 });
      await rejectsWithCode(repo().delete(uniq('t'), b.id, 2), StorageCodes.NOT_FOUND);
      assert.deepEqual(await repo().delete(tenant, b.id, 2), b2);
      assert.equal(await repo().getByUsername(tenant, b.username), null);
    });
  });
}
