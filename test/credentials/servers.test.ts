/**
 * Two fleetgate replicas on real servers: client credentials in PostgreSQL, endpoint tokens in
 * MariaDB, the bus on nats-server. The test talks to them as Kaa services would, through a NATS
 * connection of its own: a request is served by whichever replica the queue group picks, so
 * every property here must hold whichever one answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createConnection } from 'mariadb';
import pg from 'pg';
import {
  clientCredentialsRevokedSubject,
  decodeClientCredentialsRevokedEvent,
  decodeEndpointTokenRevokedEvent,
  endpointTokenRevokedSubject,
  NatsBus,
} from '../../transports/bus/index.js';
import { mariadbSkipReason, startMariadb } from '../harness/mariadb.js';
import { natsSkipReason, startNats, type NatsServer } from '../harness/nats.js';
import { postgresSkipReason, startPostgres } from '../harness/postgres.js';
import type { RunningServer } from '../harness/servers.js';
import { startTestPlatform, type TestPlatform } from './harness.js';
import { cap, ecap, eventually, record } from './rest-bus.js';

const skip = postgresSkipReason() ?? mariadbSkipReason() ?? natsSkipReason() ?? false;

const CREDS = '/api/v1/basic-credentials';
const tokensOf = (endpointId: string) => `/api/v1/endpoints/${endpointId}/tokens`;
const PEPPER = 'servers-test-pepper-0123456789abcdef';

describe('two replicas on PostgreSQL, MariaDB and NATS', { skip }, () => {
  let postgres: RunningServer | undefined;
  let mariadb: RunningServer | undefined;
  let nats: NatsServer | undefined;
  let a: TestPlatform | undefined;
  let b: TestPlatform | undefined;
  let client: NatsBus | undefined;
  /** Every secret the tests were given or shown, for the scan of the tables at the end. */
  const secrets: string[] = [];
  /** Rows the tests wrote, so that the scan can tell it saw them all. */
  let credentialRows = 0;
  let tokenRows = 0;

  const A = () => a!;
  const B = () => b!;
  const bus = () => client!;

  before(async () => {
    // Each server is kept as soon as it is up, so that `after` stops those that did start when
    // another one fails (a server left running would keep this test process alive forever).
    const started = await Promise.allSettled([
      startPostgres().then((s) => (postgres = s)),
      startMariadb().then((s) => (mariadb = s)),
      startNats().then((s) => (nats = s)),
    ]);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    const replica = (replicaId: string) =>
      startTestPlatform({
        'service.replicaId': replicaId,
        'storage.clientCredentials': 'postgres',
        'storage.endpointTokens': 'mariadb',
        'storage.postgres.url': postgres!.url,
        'storage.mariadb.url': mariadb!.url,
        'storage.poolSize': 4,
        'bus.kind': 'nats',
        'bus.nats.servers': nats!.url,
        'credentials.tokenPepper': PEPPER,
        'credentials.lastUseGranularityMs': 3_600_000,
        // Long enough that a stale copy is never refreshed by age within this file: only the
        // cross-replica change notices can make the other replica see a change.
        'credentials.stateTtlMs': 600_000,
      });
    // Both at once, as a rolling deployment would: they race for the migrations too.
    const replicas = await Promise.allSettled([replica('replica-a').then((r) => (a = r)), replica('replica-b').then((r) => (b = r))]);
    for (const r of replicas) if (r.status === 'rejected') throw r.reason;
    client = await NatsBus.connect({ servers: [nats!.url], name: 'servers-test' });
  });

  after(async () => {
    await client?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([postgres?.stop(), mariadb?.stop(), nats?.stop()]);
  });

  async function create(t: TestPlatform, username: string, password: string) {
    const res = await t.api('POST', CREDS, { username, password });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    secrets.push(password);
    credentialRows++;
    return res.body as { id: string; version: number };
  }

  const stateOn = async (t: TestPlatform, id: string) => (await t.api('GET', `${CREDS}/${id}`)).body.state as string;

  it('authenticates over 22/CAP a credential made on replica A; both replicas then see it Active', async () => {
    const c = await create(A(), 'dev-1', 'dev-1-password');
    assert.equal(await stateOn(A(), c.id), 'Inactive');
    const r = await cap(bus(), 'acme', 'dev-1', 'dev-1-password');
    assert.deepEqual([r.statusCode, r.reasonPhrase, r.credentialsId, r.clientId], [200, 'OK', c.id, 'dev-1']);
    // Written before the answer: B reads it from PostgreSQL whichever replica served the request.
    assert.equal(await stateOn(B(), c.id), 'Active');
    // A holds the Inactive copy of the create; B's change notice (if B served it) reaches it soon.
    await eventually('replica A sees dev-1 Active', async () => (await stateOn(A(), c.id)) === 'Active');
    assert.equal((await cap(bus(), 'acme', 'dev-1', 'wrong-password')).statusCode, 401);
  });

  it('shows a first use on both replicas, whichever one served it (credentials and tokens)', async () => {
    const creds: Array<{ id: string }> = [];
    const tokens: Array<{ endpointTokenId: string; token: string }> = [];
    for (let i = 0; i < 5; i++) {
      creds.push(await create(A(), `first-use-${i}`, `first-use-password-${i}`));
      const p = await A().api('POST', tokensOf('ep-first-use'), { applicationName: 'app-first-use' });
      assert.equal(p.status, 201);
      secrets.push(p.body.token);
      tokenRows++;
      tokens.push(p.body as { endpointTokenId: string; token: string });
    }
    const credOn = (t: TestPlatform, id: string) => stateOn(t, id);
    const tokenOn = async (t: TestPlatform, id: string) => (await t.api('GET', `${tokensOf('ep-first-use')}/${id}`)).body.status as string;
    // Each replica loads its own copy, Inactive, so whichever replica serves the first use, the
    // other one holds a stale copy that only the change notice can correct.
    for (const t of [A(), B()]) {
      for (const c of creds) assert.equal(await credOn(t, c.id), 'Inactive');
      for (const k of tokens) assert.equal(await tokenOn(t, k.endpointTokenId), 'Inactive');
    }
    for (let i = 0; i < 5; i++) {
      assert.equal((await cap(bus(), 'acme', `first-use-${i}`, `first-use-password-${i}`)).statusCode, 200);
      assert.equal((await ecap(bus(), 'app-first-use', tokens[i]!.token)).statusCode, 200);
    }
    for (const t of [A(), B()]) {
      for (const c of creds) await eventually(`credential ${c.id} Active on both`, async () => (await credOn(t, c.id)) === 'Active');
      for (const k of tokens) await eventually(`token ${k.endpointTokenId} Active on both`, async () => (await tokenOn(t, k.endpointTokenId)) === 'Active');
    }
  });

  it('refuses a credential suspended on replica B from every replica, and announces it on NATS', async () => {
    const c = await create(A(), 'dev-2', 'dev-2-password');
    assert.equal((await cap(bus(), 'acme', 'dev-2', 'dev-2-password')).statusCode, 200);
    // Both replicas now hold it as Active.
    await eventually('both replicas hold dev-2 Active', async () => (await stateOn(A(), c.id)) === 'Active' && (await stateOn(B(), c.id)) === 'Active');

    const events = record(bus(), clientCredentialsRevokedSubject('ccm', 'basic'), decodeClientCredentialsRevokedEvent);
    await bus().flush();
    try {
      const res = await B().api('PUT', `${CREDS}/${c.id}/state`, { state: 'Suspended' });
      assert.deepEqual([res.status, res.body.state], [200, 'Suspended']);
      const ev = await events.next((e) => e.credentialsId === c.id);
      assert.deepEqual([ev.tenantId, ev.originatorReplicaId], ['acme', 'replica-b']);
    } finally {
      events.stop();
    }
    // Replica A learns of it from B's change notice (its own copy would stay Active for
    // stateTtlMs otherwise).
    await eventually('replica A sees dev-2 Suspended', async () => (await stateOn(A(), c.id)) === 'Suspended');
    const replies = [];
    for (let i = 0; i < 20; i++) replies.push(await cap(bus(), 'acme', 'dev-2', 'dev-2-password'));
    assert.deepEqual(
      replies.map((r) => [r.statusCode, r.reasonPhrase, r.credentialsId]),
      replies.map(() => [403, 'Credentials are Suspended', c.id]),
    );
  });

  it('refuses an endpoint token revoked on replica B from every replica over 16/ECAP', async () => {
    const p = await A().api('POST', tokensOf('ep-servers'), { applicationName: 'app-servers' });
    assert.equal(p.status, 201);
    const { token, endpointTokenId } = p.body as { token: string; endpointTokenId: string };
    secrets.push(token);
    tokenRows++;
    const v = await ecap(bus(), 'app-servers', token);
    assert.deepEqual([v.statusCode, v.tokenId, v.endpointId], [200, endpointTokenId, 'ep-servers']);
    const statusOn = async (t: TestPlatform) => (await t.api('GET', `${tokensOf('ep-servers')}/${endpointTokenId}`)).body.status as string;
    await eventually('both replicas hold the token Active', async () => (await statusOn(A())) === 'Active' && (await statusOn(B())) === 'Active');

    const events = record(bus(), endpointTokenRevokedSubject('cm'), decodeEndpointTokenRevokedEvent);
    await bus().flush();
    try {
      const res = await B().api('PUT', `${tokensOf('ep-servers')}/${endpointTokenId}/status`, { status: 'Revoked' });
      assert.deepEqual([res.status, res.body.status], [200, 'Revoked']);
      const ev = await events.next((e) => e.endpointId === 'ep-servers');
      assert.deepEqual([ev.appName, ev.tokenIds, ev.originatorReplicaId], ['app-servers', [endpointTokenId], 'replica-b']);
    } finally {
      events.stop();
    }
    await eventually('replica A sees the token Revoked', async () => (await statusOn(A())) === 'Revoked');
    const replies = [];
    for (let i = 0; i < 20; i++) replies.push(await ecap(bus(), 'app-servers', token));
    assert.deepEqual(
      replies.map((r) => [r.statusCode, r.reasonPhrase, r.tokenId]),
      replies.map(() => [403, 'Endpoint token is Revoked', endpointTokenId]),
    );
  });

  it('activates exactly once under 500 concurrent first uses spread over both replicas', async () => {
    const c = await create(A(), 'storm', 'storm-password');
    const replies = await Promise.all(Array.from({ length: 500 }, () => cap(bus(), 'acme', 'storm', 'storm-password')));
    assert.deepEqual(
      replies.filter((r) => r.statusCode !== 200).map((r) => [r.statusCode, r.reasonPhrase]),
      [],
    );
    const db = new pg.Client({ connectionString: postgres!.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ state: string; version: number }>('SELECT state, version FROM client_credentials WHERE id = $1', [c.id]);
      // Created at version 1, one write since: the activation (lastUseDate is within the
      // granularity for every later use, so nothing else may be written).
      assert.deepEqual(rows, [{ state: 'Active', version: 2 }]);
    } finally {
      await db.end();
    }
  });

  it('keeps no plaintext password or token in the PostgreSQL and MariaDB rows', async () => {
    for (const t of [A(), B()]) {
      const c = await t.api('POST', CREDS, {});
      assert.equal(c.status, 201);
      secrets.push(c.body.password);
      credentialRows++;
      const p = await t.api('POST', tokensOf('ep-scan'), { applicationName: 'app-scan', token: `given-token-${t === A() ? 'a' : 'b'}` });
      assert.equal(p.status, 201);
      secrets.push(p.body.token);
      const bulk = await t.api('POST', '/api/v1/endpoint-tokens/bulk', { items: [{ endpointId: 'ep-scan', applicationName: 'app-scan' }] });
      assert.equal(bulk.status, 201);
      secrets.push(bulk.body.items[0].token);
      tokenRows += 2;
    }
    const text = (row: unknown) => JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

    const db = new pg.Client({ connectionString: postgres!.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ secret_hash: string }>('SELECT * FROM client_credentials');
      assert.equal(rows.length, credentialRows);
      for (const row of rows) {
        for (const s of secrets) assert.ok(!text(row).includes(s), 'a client_credentials row holds a secret in plain text');
        assert.match(row.secret_hash, /^\$argon2id\$/);
      }
    } finally {
      await db.end();
    }
    const conn = await createConnection(mariadb!.url);
    try {
      const rows = (await conn.query('SELECT * FROM endpoint_tokens')) as Array<{ lookup_hash: string }>;
      assert.equal(rows.length, tokenRows);
      for (const row of rows) {
        for (const s of secrets) assert.ok(!text(row).includes(s), 'an endpoint_tokens row holds a token in plain text');
        assert.match(row.lookup_hash, /^[0-9a-f]{64}$/);
      }
    } finally {
      await conn.end();
    }
  });
});
