/** openBackend refuses a malformed configuration with a TypeError naming the key and rule. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openBackend, type BackendConfig } from '../../storage/index.js';

async function refuses(cfg: unknown, message: string): Promise<void> {
  await assert.rejects(openBackend(cfg as BackendConfig), (err: unknown) => {
    assert.ok(err instanceof TypeError);
    assert.equal(err.message, message);
    return true;
  });
}

test('openBackend refuses malformed configurations', async () => {
  await refuses({ kind: 'sqlite', url: 'x' }, 'storage: kind must be pglite, postgres or mariadb (got sqlite)');
  await refuses({ kind: 'pglite', dataDir: '' }, 'storage pglite: dataDir must be a non-empty path');
  await refuses(
    { kind: 'postgres', url: 'postgres://u@h/db', poolsize: 3 },
    'storage postgres: unknown option "poolsize" (accepted: kind, url, poolSize)',
  );
  await refuses({ kind: 'postgres', url: 'mysql://u:secret@h/db' }, 'storage postgres: url must be a postgres:// or postgresql:// URL with a host');
  await refuses({ kind: 'postgres', url: 'postgres://u@h/db', poolSize: 0 }, 'storage postgres: poolSize must be an integer in 1..1000');
  await refuses({ kind: 'mariadb', url: 'mariadb://u:secret@h' }, 'storage mariadb: url must name a user and a database (mariadb://user:password@host:port/database)');
  await refuses({ kind: 'mariadb', url: 'mariadb://u:secret@h/db?ssl=true' }, 'storage mariadb: url query parameters are not supported (got ssl)');
});

test('a server backend opens lazily: an unreachable URL fails at health() as ERR_STORAGE_UNAVAILABLE', async () => {
  // Port 1 on loopback: nothing listens, pg is refused at once. (MariaDB's pool retries the
  // connect until its 5 s acquireTimeout, too slow for this file; its mapping is the same.)
  const backend = await openBackend({ kind: 'postgres', url: 'postgres://u@127.0.0.1:1/db' });
  await assert.rejects(backend.health(), (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, 'ERR_STORAGE_UNAVAILABLE');
    assert.equal((err as Error).message, 'the storage backend failed or is unreachable');
    assert.equal(((err as Error).cause as { code?: unknown }).code, 'ECONNREFUSED');
    return true;
  });
  await backend.close();
});
