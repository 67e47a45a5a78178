/**
 * The storage contract: one suite, every backend (aedes-persistence's abstract.js idea).
 * A backend test file calls `runStorageContract` with a function that opens a NEW backend
 * on the SAME data (same PGlite directory, same server database) each time it is called.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setLogLevel } from '../../runtime/log.js';
import { StorageCodes, type StorageBackend } from '../../storage/index.js';
import { clientCredentialContract } from './contract-credentials.js';
import { oauthContract } from './contract-oauth.js';
import { endpointTokenContract } from './contract-tokens.js';
import { credential, rejectsWithCode, token, uniq } from './fixtures.js';

export function runStorageContract(name: string, open: () => Promise<StorageBackend>): void {
  // Migration notices would interleave with the test report; warnings still show.
  setLogLevel('warn');
  describe(`storage contract: ${name}`, () => {
    let current: StorageBackend | undefined;
    const backend = (): StorageBackend => {
      assert.ok(current, 'backend not open');
      return current;
    };

    before(async () => {
      current = await open();
      await current.migrate();
    });
    after(async () => {
      await current?.close();
    });

    test('kind names the backend, health() resolves', async () => {
      assert.equal(backend().kind, name);
      await backend().health();
    });

    clientCredentialContract(backend);
    endpointTokenContract(backend);
    oauthContract(backend);

    describe('lifecycle', () => {
      test('migrate() again, sequentially or concurrently, is a no-op that keeps the data', async () => {
        const tenant = uniq('t');
        const c = await backend().clientCredentials.create(credential(tenant, 1));
        await backend().migrate();
        await Promise.all([backend().migrate(), backend().migrate()]);
        assert.deepEqual(await backend().clientCredentials.getById(tenant, c.id), c);
      });

      // Last on purpose: it swaps the open backend for a new one.
      test('data survives close() and reopen; a closed backend is ERR_STORAGE_UNAVAILABLE', async () => {
        const tenant = uniq('t');
        const c = await backend().clientCredentials.create(credential(tenant, 1));
        const t = await backend().endpointTokens.create(token(tenant, uniq('ep'), 1));
        const old = backend();
        await old.close();
        await old.close(); // idempotent
        await rejectsWithCode(old.health(), StorageCodes.UNAVAILABLE);
        await rejectsWithCode(old.clientCredentials.getById(tenant, c.id), StorageCodes.UNAVAILABLE);
        current = undefined;
        current = await open();
        await current.migrate();
        assert.deepEqual(await current.clientCredentials.getById(tenant, c.id), c);
        assert.deepEqual(await current.endpointTokens.getByLookup(t.appName, t.lookupHash), t);
      });
    });
  });
}
