/** The storage contract on a real MariaDB server, started for this file only. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createConnection } from 'mariadb';
import { openBackend } from '../../storage/index.js';
import { mariadbSkipReason, startMariadb } from '../harness/mariadb.js';
import type { RunningServer } from '../harness/servers.js';
import { runStorageContract } from './contract.js';

const skip = mariadbSkipReason();
let server: RunningServer | undefined;
const url = (): string => {
  assert.ok(server, 'mariadb not started');
  return server.url;
};

describe('mariadb backend', { skip: skip ?? false }, () => {
  before(async () => {
    server = await startMariadb();
  });
  after(async () => {
    await server?.stop();
  });

  runStorageContract('mariadb', () => openBackend({ kind: 'mariadb', url: url(), poolSize: 8 }));

  test('two processes migrating at once: each migration is recorded exactly once', async () => {
    const a = await openBackend({ kind: 'mariadb', url: url(), poolSize: 2 });
    const b = await openBackend({ kind: 'mariadb', url: url(), poolSize: 2 });
    const u = new URL(url());
    const conn = await createConnection({
      host: u.hostname,
      port: Number(u.port),
      user: u.username,
      password: u.password,
      database: u.pathname.slice(1),
    });
    try {
      await conn.query(`DROP TABLE IF EXISTS client_credentials, endpoint_tokens, oauth_client_secrets, oauth_clients,
        service_accounts, revoked_tokens, signing_keys, fleetgate_migrations`);
      await Promise.all([a.migrate(), b.migrate()]);
      const rows: unknown = await conn.query('SELECT id, name FROM fleetgate_migrations ORDER BY id');
      assert.deepEqual(
        (rows as Array<{ id: number; name: string }>).map((r) => ({ id: r.id, name: r.name })),
        [
          { id: 1, name: 'client_credentials' },
          { id: 2, name: 'endpoint_tokens' },
          { id: 3, name: 'oauth_clients' },
          { id: 4, name: 'service_accounts' },
          { id: 5, name: 'revoked_tokens' },
          { id: 6, name: 'signing_keys' },
        ],
      );
    } finally {
      await conn.end();
      await Promise.all([a.close(), b.close()]);
    }
  });
});
