/** The storage contract on a real PostgreSQL server, started for this file only. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openBackend } from '../../storage/index.js';
import { postgresSkipReason, startPostgres } from '../harness/postgres.js';
import type { RunningServer } from '../harness/servers.js';
import { runStorageContract } from './contract.js';

const skip = postgresSkipReason();
let server: RunningServer | undefined;
const url = (): string => {
  assert.ok(server, 'postgres not started');
  return server.url;
};

describe('postgres backend', { skip: skip ?? false }, () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  runStorageContract('postgres', () => openBackend({ kind: 'postgres', url: url(), poolSize: 8 }));

  test('two processes migrating at once: each migration is recorded exactly once', async () => {
    // Two backends = two pools = two server sessions, as two fleetgate processes would have.
    const a = await openBackend({ kind: 'postgres', url: url(), poolSize: 2 });
    const b = await openBackend({ kind: 'postgres', url: url(), poolSize: 2 });
    const client = new pg.Client({ connectionString: url() });
    await client.connect();
    try {
      // Start from an empty schema so both really race for the first migration.
      await client.query(`DROP TABLE IF EXISTS client_credentials, endpoint_tokens, oauth_client_secrets, oauth_clients,
        service_accounts, revoked_tokens, signing_keys, fleetgate_migrations`);
      await Promise.all([a.migrate(), b.migrate()]);
      const { rows } = await client.query<{ id: number; name: string }>('SELECT id, name FROM fleetgate_migrations ORDER BY id');
      assert.deepEqual(rows, [
        { id: 1, name: 'client_credentials' },
        { id: 2, name: 'endpoint_tokens' },
        { id: 3, name: 'oauth_clients' },
        { id: 4, name: 'service_accounts' },
        { id: 5, name: 'revoked_tokens' },
        { id: 6, name: 'signing_keys' },
      ]);
    } finally {
      await client.end();
      await Promise.all([a.close(), b.close()]);
    }
  });
});
