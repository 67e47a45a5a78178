/** Contract of EndpointTokenRepository, run against every backend. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StorageCodes, type StorageBackend } from '../../storage/index.js';
import { T0, lookupHash, rejectsWithCode, settleCounts, token, uniq } from './fixtures.js';

const ALL = { offset: 0, limit: 1000, order: 'ASC' } as const;

export function endpointTokenContract(backend: () => StorageBackend): void {
  describe('endpoint tokens', () => {
    const repo = () => backend().endpointTokens;

    test('create returns the token; getById and getByLookup read it back exactly', async () => {
      const tenant = uniq('t');
      const t = token(tenant, uniq('ep'), 1, { lastUsedAt: T0 + 9 });
      assert.deepEqual(await repo().create(t), t);
      assert.deepEqual(await repo().getById(tenant, t.tokenId), t);
      assert.deepEqual(await repo().getByLookup(t.appName, t.lookupHash), t);
      assert.equal(await repo().getById(uniq('t'), t.tokenId), null);
      assert.equal(await repo().getByLookup('app-other', t.lookupHash), null);
      assert.equal(await repo().getByLookup(t.appName, lookupHash('never issued')), null);
    });

    test('a lookup hash is unique per application, not globally', async () => {
      const tenant = uniq('t');
      const ep = uniq('ep');
      const a = await repo().create(token(tenant, ep, 1, { appName: 'app-a' }));
      const b = await repo().create(token(tenant, ep, 2, { appName: 'app-b', lookupHash: a.lookupHash }));
      assert.deepEqual(await repo().getByLookup('app-a', a.lookupHash), a);
      assert.deepEqual(await repo().getByLookup('app-b', a.lookupHash), b);
      await rejectsWithCode(repo().create(token(tenant, ep, 3, { appName: 'app-a', lookupHash: a.lookupHash })), StorageCodes.DUPLICATE);
      await rejectsWithCode(repo().create(token(uniq('t'), ep, 1)), StorageCodes.DUPLICATE); // same tokenId
    });

    test('create refuses a lookup hash that is not lower-case hex', async () => {
      const tenant = uniq('t');
      const ep = uniq('ep');
      const bad = StorageCodes.INVALID_ARGUMENT;
      await rejectsWithCode(repo().create(token(tenant, ep, 1, { lookupHash: lookupHash('x').toUpperCase() })), bad);
      await rejectsWithCode(repo().create(token(tenant, ep, 2, { lookupHash: 'plain-token-value' })), bad);
      await rejectsWithCode(repo().createMany([token(tenant, ep, 3), token(tenant, ep, 4, { lookupHash: 'nope' })]), bad);
      assert.equal((await repo().listByEndpoint(tenant, ep, ALL)).total, 0);
    });

    test('createMany writes 10,000 tokens in one call', async () => {
      const tenant = uniq('t');
      const ep = uniq('ep');
      const batch = Array.from({ length: 10_000 }, (_, i) => token(tenant, ep, i));
      await repo().createMany(batch);
      const first = await repo().listByEndpoint(tenant, ep, ALL);
      assert.equal(first.total, 10_000);
      assert.deepEqual(first.items, batch.slice(0, 1000));
      const last = await repo().listByEndpoint(tenant, ep, { offset: 9_995, limit: 1000, order: 'ASC' });
      assert.deepEqual(last, { items: batch.slice(9_995), total: 10_000 });
      assert.deepEqual(await repo().getByLookup('app-a', batch[7_777]!.lookupHash), batch[7_777]);
      await repo().createMany([]); // a no-op, not an error
    });

    test('createMany is all or nothing: one duplicate writes no row', async () => {
      const tenant = uniq('t');
      const ep = uniq('ep');
      const existing = await repo().create(token(tenant, uniq('ep'), 1));
      // 2,500 rows span several INSERT chunks; the clash is in the last one.
      const batch = Array.from({ length: 2_500 }, (_, i) => token(tenant, ep, i));
      batch.push(token(tenant, ep, 2_500, { lookupHash: existing.lookupHash }));
      await rejectsWithCode(repo().createMany(batch), StorageCodes.DUPLICATE);
      assert.equal((await repo().listByEndpoint(tenant, ep, ALL)).total, 0);
      assert.equal(await repo().getById(tenant, batch[0]!.tokenId), null);
      // A clash inside the batch itself is refused the same way.
      await rejectsWithCode(repo().createMany([token(tenant, ep, 1), token(tenant, ep, 1)]), StorageCodes.DUPLICATE);
      assert.equal((await repo().listByEndpoint(tenant, ep, ALL)).total, 0);
    });

    test('listByEndpoint pages, orders and filters within (tenant, endpoint)', async () => {
      const tenant = uniq('t');
      const ep = uniq('ep');
      const states = ['Active', 'Revoked', 'Active', 'Suspended'] as const;
      const ts = states.map((state, i) => token(tenant, ep, i + 1, { state }));
      await repo().createMany([...ts, token(tenant, uniq('ep'), 1), token(uniq('t'), `${ep}-x`, 1)]);
      assert.deepEqual(await repo().listByEndpoint(tenant, ep, { offset: 1, limit: 2, order: 'DESC' }), {
        items: [ts[2], ts[1]],
        total: 4,
      });
      assert.deepEqual(await repo().listByEndpoint(tenant, ep, { ...ALL, states: ['Active'] }), { items: [ts[0], ts[2]], total: 2 });
      assert.deepEqual(await repo().listByEndpoint(uniq('t'), ep, ALL), { items: [], total: 0 });
      await rejectsWithCode(repo().listByEndpoint(tenant, ep, { offset: 0, limit: 1001, order: 'ASC' }), StorageCodes.INVALID_ARGUMENT);
    });

    test('update bumps the version; stale is ERR_VERSION_CONFLICT, missing is ERR_NOT_FOUND', async () => {
      const tenant = uniq('t');
      const t = await repo().create(token(tenant, uniq('ep'), 1));
      const v2 = await repo().update(tenant, t.tokenId, 1, { state: 'Active', lastUsedAt: T0 + 7, updatedAt: T0 + 7 });
      assert.deepEqual(v2, { ...t, state: 'Active', lastUsedAt: T0 + 7, updatedAt: T0 + 7, version: 2 });
      assert.deepEqual(await repo().getByLookup(t.appName, t.lookupHash), v2);
      await rejectsWithCode(repo().update(tenant, t.tokenId, 1, { state: 'Revoked', updatedAt: T0 + 8 }), StorageCodes.VERSION_CONFLICT, {
        currentVersion: 2,
      });
      await rejectsWithCode(repo().update(uniq('t'), t.tokenId, 2, { updatedAt: T0 }), StorageCodes.NOT_FOUND);
      await rejectsWithCode(repo().update(tenant, `${t.tokenId}-missing`, 2, { updatedAt: T0 }), StorageCodes.NOT_FOUND);
      assert.deepEqual(await repo().getById(tenant, t.tokenId), v2);
    });

    test('concurrent updates with the same expected version: exactly one wins', async () => {
      const tenant = uniq('t');
      const t = await repo().create(token(tenant, uniq('ep'), 1));
      const results = await Promise.allSettled(
        [1, 2, 3, 4].map((i) => repo().update(tenant, t.tokenId, 1, { state: 'Active', updatedAt: T0 + i })),
      );
      const { won, codes } = settleCounts(results);
      assert.equal(won, 1);
      assert.deepEqual(codes, Array(3).fill(StorageCodes.VERSION_CONFLICT));
      assert.equal((await repo().getById(tenant, t.tokenId))?.version, 2);
    });

    test('delete returns the deleted token, with or without a version', async () => {
      const tenant = uniq('t');
      const ep = uniq('ep');
      const [a, b] = [token(tenant, ep, 1), token(tenant, ep, 2)];
      await repo().createMany([a, b]);
      await rejectsWithCode(repo().delete(tenant, a.tokenId, 5), StorageCodes.VERSION_CONFLICT, { currentVersion: 1 });
      assert.deepEqual(await repo().delete(tenant, a.tokenId, 1), a);
      assert.deepEqual(await repo().delete(tenant, b.tokenId), b);
      await rejectsWithCode(repo().delete(tenant, b.tokenId), StorageCodes.NOT_FOUND);
      await rejectsWithCode(repo().delete(tenant, b.tokenId, 1), StorageCodes.NOT_FOUND);
      assert.equal(await repo().getByLookup(a.appName, a.lookupHash), null);
    });

    test('deleteByEndpoint removes and returns every token of that endpoint only', async () => {
      const tenant = uniq('t');
      const ep = uniq('ep');
      const mine = [3, 1, 2].map((n) => token(tenant, ep, n, { appName: n === 2 ? 'app-b' : 'app-a' }));
      const other = token(tenant, uniq('ep'), 1);
      await repo().createMany([...mine, other]);
      const deleted = await repo().deleteByEndpoint(ep);
      assert.deepEqual(deleted, [mine[1], mine[2], mine[0]]); // (createdAt, id) order
      assert.deepEqual(await repo().listByEndpoint(tenant, ep, ALL), { items: [], total: 0 });
      assert.deepEqual(await repo().getById(tenant, other.tokenId), other);
      assert.deepEqual(await repo().deleteByEndpoint(ep), []);
    });
  });
}
