/** Contract of OAuthClientRepository (confidential clients and their secrets), run against every backend. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StorageCodes, type ClientSecret, type StorageBackend } from '../../storage/index.js';
import { serviceAccountContract, signingKeyContract, revokedTokenContract } from './contract-oauth-accounts.js';
import { ARGON2_HASH, BCRYPT_HASH, T0, oauthClient, rejectsWithCode, settleCounts, uniq } from './fixtures.js';

const HASH_B = '$argon2id$v=19$m=65536,t=3,p=4$b3RoZXJzYWx0b3RoZXI$Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE';
const DAY = 86_400_000;

export function oauthContract(backend: () => StorageBackend): void {
  oauthClientContract(backend);
  serviceAccountContract(backend);
  revokedTokenContract(backend);
  signingKeyContract(backend);
}

function oauthClientContract(backend: () => StorageBackend): void {
  describe('oauth clients', () => {
    const repo = () => backend().oauthClients;
    const secret = (clientId: string, slot: ClientSecret['slot'], secretHash: string, createdAt: number, expiresAt: number | null) => ({
      clientId,
      slot,
      secretHash,
      createdAt,
      expiresAt,
    });

    test('create returns the client; get reads it back exactly, JSON columns as JS values', async () => {
      const tenant = uniq('t');
      const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'abc', y: 'def', kid: 'k1', use: 'sig' }] };
      const c = oauthClient(tenant, 1, { authMethod: 'private_key_jwt', jwks, scopes: ['read', 'fleet:write'], seeded: true });
      assert.deepEqual(await repo().create(c), c);
      assert.deepEqual(await repo().get(c.clientId), c);
      const plain = oauthClient(tenant, 2, { scopes: [] });
      await repo().create(plain);
      assert.deepEqual(await repo().get(plain.clientId), plain);
      assert.equal(await repo().get(`${c.clientId}-missing`), null);
      assert.deepEqual(await repo().secrets(c.clientId), []);
    });

    test('clientId is unique across all tenants: ERR_DUPLICATE, nothing written', async () => {
      const c = await repo().create(oauthClient(uniq('t'), 1));
      const other = uniq('t');
      await rejectsWithCode(repo().create(oauthClient(other, 1, { clientId: c.clientId })), StorageCodes.DUPLICATE);
      assert.deepEqual(await repo().list(other, { offset: 0, limit: 10, order: 'ASC' }), { items: [], total: 0 });
      assert.deepEqual(await repo().get(c.clientId), c);
    });

    test('list pages by (createdAt, clientId) in both orders, tenant-scoped, with the total', async () => {
      const tenant = uniq('t');
      for (let n = 1; n <= 4; n++) await repo().create(oauthClient(tenant, n, { createdAt: n === 3 ? T0 + 2 : T0 + n }));
      await repo().create(oauthClient(uniq('t'), 9));
      const ids = async (offset: number, limit: number, order: 'ASC' | 'DESC') => {
        const page = await repo().list(tenant, { offset, limit, order });
        return { ids: page.items.map((c) => c.clientId.slice(tenant.length + 1)), total: page.total };
      };
      assert.deepEqual(await ids(0, 3, 'ASC'), { ids: ['oc001', 'oc002', 'oc003'], total: 4 });
      assert.deepEqual(await ids(3, 3, 'ASC'), { ids: ['oc004'], total: 4 });
      assert.deepEqual(await ids(0, 2, 'DESC'), { ids: ['oc004', 'oc003'], total: 4 });
      await rejectsWithCode(repo().list(tenant, { offset: 0, limit: 0, order: 'ASC' }), StorageCodes.INVALID_ARGUMENT);
    });

    test('create refuses a plaintext-looking jwks, a bad method, scope or ttl with ERR_INVALID_ARGUMENT', async () => {
      const tenant = uniq('t');
      const bad = StorageCodes.INVALID_ARGUMENT;
      await rejectsWithCode(repo().create(oauthClient(tenant, 1, { authMethod: 'none' as 'client_secret_post' })), bad);
      await rejectsWithCode(repo().create(oauthClient(tenant, 2, { scopes: ['has space'] })), bad);
      await rejectsWithCode(repo().create(oauthClient(tenant, 3, { accessTokenTtlMinutes: 0 })), bad);
      await rejectsWithCode(repo().create(oauthClient(tenant, 4, { jwks: { keys: [{ kty: 'EC', d: 'private' }] } })), bad);
      assert.equal((await repo().list(tenant, { offset: 0, limit: 10, order: 'ASC' })).total, 0);
    });

    test('update applies the patch and bumps the version; a stale version is ERR_VERSION_CONFLICT', async () => {
      const c = await repo().create(oauthClient(uniq('t'), 1));
      const patch = { name: 'My Service', authMethod: 'client_secret_post' as const, accessTokenTtlMinutes: 60, scopes: ['read'], updatedAt: T0 + 10 };
      const v2 = { ...c, ...patch, version: 2 };
      assert.deepEqual(await repo().update(c.clientId, 1, patch), v2);
      await rejectsWithCode(repo().update(c.clientId, 1, { name: 'late', updatedAt: T0 + 20 }), StorageCodes.VERSION_CONFLICT, { currentVersion: 2 });
      await rejectsWithCode(repo().update(`${c.clientId}-missing`, 1, { updatedAt: T0 }), StorageCodes.NOT_FOUND);
      const jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'xyz' }] };
      const v3 = await repo().update(c.clientId, 2, { authMethod: 'private_key_jwt', jwks, updatedAt: T0 + 30 });
      assert.deepEqual(v3, { ...v2, authMethod: 'private_key_jwt', jwks, updatedAt: T0 + 30, version: 3 });
      assert.deepEqual(await repo().update(c.clientId, 3, { jwks: null, updatedAt: T0 + 40 }), { ...v3, jwks: null, updatedAt: T0 + 40, version: 4 });
    });

    test('setSecret replaces current only; rotateSecret moves current to previous; each bumps the version', async () => {
      const c = await repo().create(oauthClient(uniq('t'), 1));
      const id = c.clientId;
      const v2 = await repo().setSecret(id, 1, { secretHash: BCRYPT_HASH, createdAt: T0 + 100, expiresAt: T0 + 365 * DAY });
      assert.deepEqual(v2, { ...c, version: 2, updatedAt: T0 + 100 });
      assert.deepEqual(await repo().secrets(id), [secret(id, 'current', BCRYPT_HASH, T0 + 100, T0 + 365 * DAY)]);

      const v3 = await repo().rotateSecret(id, 2, { secretHash: ARGON2_HASH, createdAt: T0 + 200, expiresAt: null, previousExpiresAt: T0 + 200 + 7 * DAY });
      assert.deepEqual(v3, { ...c, version: 3, updatedAt: T0 + 200 });
      assert.deepEqual(await repo().secrets(id), [
        secret(id, 'current', ARGON2_HASH, T0 + 200, null),
        secret(id, 'previous', BCRYPT_HASH, T0 + 100, T0 + 200 + 7 * DAY),
      ]);

      // setSecret leaves the previous secret as it is.
      await repo().setSecret(id, 3, { secretHash: HASH_B, createdAt: T0 + 300, expiresAt: T0 + 400 });
      assert.deepEqual(await repo().secrets(id), [
        secret(id, 'current', HASH_B, T0 + 300, T0 + 400),
        secret(id, 'previous', BCRYPT_HASH, T0 + 100, T0 + 200 + 7 * DAY),
      ]);

      // A second rotation replaces the existing previous secret.
      const v5 = await repo().rotateSecret(id, 4, { secretHash: BCRYPT_HASH, createdAt: T0 + 500, expiresAt: T0 + 900, previousExpiresAt: null });
      assert.equal(v5.version, 5);
      assert.deepEqual(await repo().secrets(id), [
        secret(id, 'current', BCRYPT_HASH, T0 + 500, T0 + 900),
        secret(id, 'previous', HASH_B, T0 + 300, null),
      ]);
    });

    test('deleteSecret empties one slot; an empty slot or no current to rotate is ERR_NOT_FOUND, no bump', async () => {
      const c = await repo().create(oauthClient(uniq('t'), 1));
      const id = c.clientId;
      await rejectsWithCode(repo().rotateSecret(id, 1, { secretHash: ARGON2_HASH, createdAt: T0 + 5, expiresAt: null, previousExpiresAt: null }), StorageCodes.NOT_FOUND);
      await rejectsWithCode(repo().deleteSecret(id, 1, 'current', T0 + 5), StorageCodes.NOT_FOUND);
      assert.deepEqual(await repo().get(id), c);
      await repo().setSecret(id, 1, { secretHash: ARGON2_HASH, createdAt: T0 + 10, expiresAt: null });
      await repo().rotateSecret(id, 2, { secretHash: BCRYPT_HASH, createdAt: T0 + 20, expiresAt: null, previousExpiresAt: T0 + 30 });
      assert.deepEqual(await repo().deleteSecret(id, 3, 'previous', T0 + 40), { ...c, version: 4, updatedAt: T0 + 40 });
      assert.deepEqual(await repo().secrets(id), [secret(id, 'current', BCRYPT_HASH, T0 + 20, null)]);
      await rejectsWithCode(repo().deleteSecret(id, 4, 'previous', T0 + 50), StorageCodes.NOT_FOUND);
      await rejectsWithCode(repo().deleteSecret(id, 3, 'current', T0 + 50), StorageCodes.VERSION_CONFLICT, { currentVersion: 4 });
      assert.deepEqual(await repo().deleteSecret(id, 4, 'current', T0 + 60), { ...c, version: 5, updatedAt: T0 + 60 });
      assert.deepEqual(await repo().secrets(id), []);
      await rejectsWithCode(repo().setSecret(`${id}-missing`, 1, { secretHash: ARGON2_HASH, createdAt: T0, expiresAt: null }), StorageCodes.NOT_FOUND);
      await rejectsWithCode(repo().setSecret(id, 5, { secretHash: 'plaintext', createdAt: T0, expiresAt: null }), StorageCodes.INVALID_ARGUMENT);
      await rejectsWithCode(repo().deleteSecret(id, 5, 'older' as 'current', T0), StorageCodes.INVALID_ARGUMENT);
    });

    test('concurrent rotations with the same expected version: exactly one wins, the rest conflict', async () => {
      const c = await repo().create(oauthClient(uniq('t'), 1));
      await repo().setSecret(c.clientId, 1, { secretHash: ARGON2_HASH, createdAt: T0 + 10, expiresAt: null });
      const hashes = [BCRYPT_HASH, HASH_B, BCRYPT_HASH, HASH_B];
      const results = await Promise.allSettled(
        hashes.map((secretHash, i) => repo().rotateSecret(c.clientId, 2, { secretHash, createdAt: T0 + 100 + i, expiresAt: null, previousExpiresAt: T0 + 999 })),
      );
      const { won, codes } = settleCounts(results);
      assert.equal(won, 1);
      assert.deepEqual(codes, Array(3).fill(StorageCodes.VERSION_CONFLICT));
      for (const r of results) if (r.status === 'rejected') assert.deepEqual((r.reason as { data?: unknown }).data, { currentVersion: 3 });
      const i = results.findIndex((r) => r.status === 'fulfilled');
      assert.deepEqual(await repo().get(c.clientId), { ...c, version: 3, updatedAt: T0 + 100 + i });
      assert.deepEqual(await repo().secrets(c.clientId), [
        secret(c.clientId, 'current', hashes[i]!, T0 + 100 + i, null),
        secret(c.clientId, 'previous', ARGON2_HASH, T0 + 10, T0 + 999),
      ]);
    });

    test('delete removes the client and its secrets, with or without a version', async () => {
      const tenant = uniq('t');
      const a = await repo().create(oauthClient(tenant, 1));
      const b = await repo().create(oauthClient(tenant, 2));
      const a2 = await repo().setSecret(a.clientId, 1, { secretHash: ARGON2_HASH, createdAt: T0 + 10, expiresAt: null });
      await rejectsWithCode(repo().delete(a.clientId, 1), StorageCodes.VERSION_CONFLICT, { currentVersion: 2 });
      assert.deepEqual(await repo().delete(a.clientId, 2), a2);
      assert.equal(await repo().get(a.clientId), null);
      assert.deepEqual(await repo().secrets(a.clientId), []);
      await rejectsWithCode(repo().delete(a.clientId), StorageCodes.NOT_FOUND);
      // The same clientId can be registered again, without the old secrets.
      await repo().create(oauthClient(tenant, 1));
      assert.deepEqual(await repo().secrets(a.clientId), []);
      assert.deepEqual(await repo().delete(b.clientId), b);
    });
  });
}
