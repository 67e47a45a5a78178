import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import {
  capBasicRequestSubject,
  clientCredentialsRevokedSubject,
  decodeClientBasicAuthenticationResponse,
  decodeClientCredentialsRevokedEvent,
  decodeEndpointTokenRevokedEvent,
  decodeEndpointTokenStatusTransitionResponse,
  decodeEndpointTokenValidationResponse,
  ecapTokenRequestSubject,
  ecapTokenStatusTransitionRequestSubject,
  elceUnregisteredSubject,
  encodeClientBasicAuthenticationRequest,
  encodeEndpointTokenStatusTransitionRequest,
  encodeEndpointTokenValidationRequest,
  encodeUnregisteredEvent,
  endpointTokenRevokedSubject,
  type Bus,
} from '../../transports/bus/index.js';
import { startTestPlatform, TEST_ADMIN_SECRET, type TestPlatform } from './harness.js';

const header = () => ({ correlationId: randomUUID(), timestamp: Date.now(), timeout: 0 });

async function cap(bus: Bus, tenantId: string, username: string, password: string) {
  const reply = await bus.request(capBasicRequestSubject('ccm'), encodeClientBasicAuthenticationRequest({ ...header(), tenantId, username, password }), { timeoutMs: 10_000 });
  return decodeClientBasicAuthenticationResponse(reply);
}

async function ecap(bus: Bus, appName: string, token: string) {
  const reply = await bus.request(ecapTokenRequestSubject('cm'), encodeEndpointTokenValidationRequest({ ...header(), appName, token }), { timeoutMs: 10_000 });
  return decodeEndpointTokenValidationResponse(reply);
}

/** Resolves with the first message on `subject` that `match`es, after `check` ran on it. */
function nextEvent<T>(bus: Bus, subject: string, decode: (b: Uint8Array) => T, match: (v: T) => boolean, check: (v: T) => Promise<void>): Promise<T> {
  return new Promise((resolve, reject) => {
    const sub = bus.subscribe(subject, (m) => {
      const v = decode(m.data);
      if (!match(v)) return;
      sub.unsubscribe();
      check(v).then(() => resolve(v), reject);
    });
  });
}

describe('credential services on the embedded platform', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform({ 'credentials.lastUseGranularityMs': 3_600_000 });
  });
  after(() => t.stop());

  it('authenticates over 22/CAP: 200 and first use activates; 401 for wrong, unknown, other tenant', async () => {
    const created = await t.api('POST', '/api/v1/basic-credentials', { username: 'dev-a', password: 'pass-word-a1' });
    assert.equal(created.status, 201);
    assert.equal(created.body.state, 'Inactive');
    assert.equal(created.body.password, undefined, 'a given password is never echoed');
    const ok = await cap(t.platform.bus, 'acme', 'dev-a', 'pass-word-a1');
    assert.deepEqual({ ...ok, correlationId: '', timestamp: 0 }, {
      correlationId: '',
      timestamp: 0,
      timeout: 0,
      credentialsId: created.body.id,
      clientId: 'dev-a',
      statusCode: 200,
      reasonPhrase: 'OK',
    });
    assert.equal((await t.api('GET', `/api/v1/basic-credentials/${created.body.id}`)).body.state, 'Active');
    for (const [tenant, user, pass] of [
      ['acme', 'dev-a', 'wrong-password'],
      ['acme', 'nobody', 'pass-word-a1'],
      ['other', 'dev-a', 'pass-word-a1'],
      ['ac/me', 'dev-a', 'pass-word-a1'],
    ] as const) {
      const r = await cap(t.platform.bus, tenant, user, pass);
      assert.deepEqual([r.statusCode, r.reasonPhrase, r.credentialsId], [401, 'Bad credentials', null], `${tenant}/${user}`);
    }
  });

  it('activates exactly once under 1,000 concurrent first uses, before answering', async () => {
    const created = await t.api('POST', '/api/v1/basic-credentials', { username: 'storm', password: 'storm-password' });
    const replies = await Promise.all(Array.from({ length: 1000 }, () => cap(t.platform.bus, 'acme', 'storm', 'storm-password')));
    assert.deepEqual(new Set(replies.map((r) => r.statusCode)), new Set([200]));
    const after = await t.api('GET', `/api/v1/basic-credentials?state=Active`);
    const rec = after.body.content.find((c: { id: string }) => c.id === created.body.id);
    // Created at version 1; exactly one write (the activation) since: version 2.
    assert.equal(rec.state, 'Active');
    assert.equal(rec.version, 2);
  });

  it('refuses suspended and revoked credentials with 403, and publishes revocation after the write', async () => {
    const created = await t.api('POST', '/api/v1/basic-credentials', { username: 'dev-s', password: 'pass-word-s1' });
    const id = created.body.id as string;
    assert.equal((await cap(t.platform.bus, 'acme', 'dev-s', 'pass-word-s1')).statusCode, 200);
    // The event must find the new state already in storage (the list reads storage, not the actor).
    const event = nextEvent(
      t.platform.bus,
      clientCredentialsRevokedSubject('ccm', 'basic'),
      decodeClientCredentialsRevokedEvent,
      (e) => e.credentialsId === id,
      async (e) => {
        const stored = await t.api('GET', '/api/v1/basic-credentials?state=Suspended&limit=1000');
        assert.ok(stored.body.content.some((c: { id: string }) => c.id === e.credentialsId), 'durable before published');
      },
    );
    const suspended = await t.api('PUT', `/api/v1/basic-credentials/${id}/state`, { state: 'Suspended' });
    assert.equal(suspended.status, 200);
    const ev = await event;
    assert.equal(ev.tenantId, 'acme');
    const r = await cap(t.platform.bus, 'acme', 'dev-s', 'pass-word-s1');
    assert.deepEqual([r.statusCode, r.reasonPhrase], [403, 'Credentials are Suspended']);
    assert.equal((await cap(t.platform.bus, 'acme', 'dev-s', 'wrong-password')).statusCode, 401, 'a wrong password learns nothing about the state');
    assert.equal((await t.api('PUT', `/api/v1/basic-credentials/${id}/state`, { state: 'Active' })).status, 200);
    assert.equal((await cap(t.platform.bus, 'acme', 'dev-s', 'pass-word-s1')).statusCode, 200);
    assert.equal((await t.api('PUT', `/api/v1/basic-credentials/${id}/state`, { state: 'Revoked' })).status, 200);
    assert.deepEqual((await cap(t.platform.bus, 'acme', 'dev-s', 'pass-word-s1')).statusCode, 403);
    const back = await t.api('PUT', `/api/v1/basic-credentials/${id}/state`, { state: 'Active' });
    assert.equal(back.status, 409);
    assert.equal(back.body.code, 'ERR_ILLEGAL_TRANSITION');
    assert.equal(back.body.detail, `cannot move credential ${id} from Revoked to Active: Revoked is terminal`);
  });

  it('validates endpoint tokens over 16/ECAP, activating on first use; 401 unknown; 403 suspended', async () => {
    const p = await t.api('POST', '/api/v1/endpoints/ep-1/tokens', { applicationName: 'app1' });
    assert.equal(p.status, 201);
    const token = p.body.token as string;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(p.body.status, 'Inactive');
    const v = await ecap(t.platform.bus, 'app1', token);
    assert.deepEqual([v.statusCode, v.tokenId, v.endpointId], [200, p.body.endpointTokenId, 'ep-1']);
    assert.equal((await t.api('GET', `/api/v1/endpoints/ep-1/tokens/${p.body.endpointTokenId}`)).body.status, 'Active');
    assert.deepEqual([(await ecap(t.platform.bus, 'app1', 'no-such-token')).statusCode], [401]);
    assert.deepEqual([(await ecap(t.platform.bus, 'app2', token)).statusCode], [401], 'tokens belong to one application');

    const revoked = nextEvent(t.platform.bus, endpointTokenRevokedSubject('cm'), decodeEndpointTokenRevokedEvent, (e) => e.endpointId === 'ep-1', async () => undefined);
    assert.equal((await t.api('PUT', `/api/v1/endpoints/ep-1/tokens/${p.body.endpointTokenId}/status`, { status: 'Suspended' })).status, 200);
    const ev = await revoked;
    assert.deepEqual([ev.appName, ev.tokenIds], ['app1', [p.body.endpointTokenId]]);
    const s = await ecap(t.platform.bus, 'app1', token);
    assert.deepEqual([s.statusCode, s.reasonPhrase, s.tokenId], [403, 'Endpoint token is Suspended', p.body.endpointTokenId]);
  });

  it('changes token status over 16/ECAP status transition requests', async () => {
    const p = await t.api('POST', '/api/v1/endpoints/ep-2/tokens', { applicationName: 'app1', token: 'given-token-2' });
    assert.equal(p.body.token, 'given-token-2');
    const transition = async (targetStatus: string) =>
      decodeEndpointTokenStatusTransitionResponse(
        await t.platform.bus.request(
          ecapTokenStatusTransitionRequestSubject('cm'),
          encodeEndpointTokenStatusTransitionRequest({ ...header(), appName: 'app1', token: 'given-token-2', targetStatus }),
          { timeoutMs: 10_000 },
        ),
      );
    assert.equal((await transition('Suspended')).statusCode, 409, 'Inactive cannot be suspended');
    assert.equal((await ecap(t.platform.bus, 'app1', 'given-token-2')).statusCode, 200);
    assert.equal((await transition('Suspended')).statusCode, 200);
    assert.equal((await ecap(t.platform.bus, 'app1', 'given-token-2')).statusCode, 403);
    assert.deepEqual([(await transition('Gone')).statusCode, (await transition('Gone')).reasonPhrase], [400, 'targetStatus must be one of Inactive, Active, Suspended, Revoked']);
  });

  it('deletes the tokens of an endpoint on 9/ELCE unregistered, announcing them revoked', async () => {
    const a = await t.api('POST', '/api/v1/endpoints/ep-gone/tokens', { applicationName: 'app1' });
    const b = await t.api('POST', '/api/v1/endpoints/ep-gone/tokens', { applicationName: 'app1' });
    const revoked = nextEvent(t.platform.bus, endpointTokenRevokedSubject('cm'), decodeEndpointTokenRevokedEvent, (e) => e.endpointId === 'ep-gone', async () => undefined);
    t.platform.bus.publish(elceUnregisteredSubject('epr'), encodeUnregisteredEvent({ ...header(), appVersionName: 'app1-v1', endpointId: 'ep-gone', originatorReplicaId: 'epr-1' }));
    const ev = await revoked;
    assert.deepEqual([...ev.tokenIds].sort(), [a.body.endpointTokenId, b.body.endpointTokenId].sort());
    assert.equal((await t.api('GET', `/api/v1/endpoints/ep-gone/tokens/${a.body.endpointTokenId}`)).status, 404);
    assert.equal((await ecap(t.platform.bus, 'app1', a.body.token)).statusCode, 401);
  });

  it('verifies an imported bcrypt hash and upgrades it to argon2id on first use', async () => {
    const bcrypt = (await import('bcryptjs')).default;
    const created = await t.api('POST', '/api/v1/basic-credentials', { username: 'imported', passwordHash: bcrypt.hashSync('legacy-password', 4) });
    assert.equal(created.status, 201);
    assert.equal((await cap(t.platform.bus, 'acme', 'imported', 'legacy-password')).statusCode, 200);
    assert.equal((await cap(t.platform.bus, 'acme', 'imported', 'legacy-passwor')).statusCode, 401);
    const bad = await t.api('POST', '/api/v1/basic-credentials', { username: 'imported2', passwordHash: 'plain-text-is-not-a-hash' });
    assert.deepEqual([bad.status, bad.body.code], [400, 'ERR_INVALID_ARGUMENT']);
  });
});

describe('credential data at rest', () => {
  it('holds no plaintext password or token in any table, and keeps the upgraded hash', async () => {
    const t = await startTestPlatform();
    const secrets: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const c = await t.api('POST', '/api/v1/basic-credentials', { username: `scan-${i}` });
        secrets.push(c.body.password);
        const p = await t.api('POST', `/api/v1/endpoints/scan-ep-${i}/tokens`, { applicationName: 'scan' });
        secrets.push(p.body.token);
      }
      const given = await t.api('POST', '/api/v1/basic-credentials', { username: 'scan-given', password: 'a-given-password-123' });
      assert.equal(given.status, 201);
      secrets.push('a-given-password-123');
      const bulk = await t.api('POST', '/api/v1/endpoint-tokens/bulk', { items: [{ endpointId: 'scan-bulk', applicationName: 'scan', token: 'bulk-token-value-xyz' }] });
      assert.equal(bulk.status, 201);
      secrets.push('bulk-token-value-xyz');
    } finally {
      await t.stop({ keepData: true });
    }
    const db = new PGlite(join(t.dataDir, 'pglite'));
    try {
      const tables = await db.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
      let rows = 0;
      for (const { table_name } of tables.rows) {
        const all = await db.query<Record<string, unknown>>(`SELECT * FROM "${table_name}"`);
        for (const row of all.rows) {
          rows++;
          const text = JSON.stringify(row);
          for (const s of secrets) assert.ok(!text.includes(s), `table ${table_name} holds a secret in plain text`);
        }
      }
      assert.ok(rows >= 8, `scanned ${rows} rows`);
      const hashes = await db.query<{ secret_hash: string }>(`SELECT secret_hash FROM client_credentials`);
      for (const h of hashes.rows) assert.match(h.secret_hash, /^\$argon2id\$/);
    } finally {
      await db.close();
      rmSync(t.dataDir, { recursive: true, force: true });
    }
  });
});

describe('durability', () => {
  it('keeps credentials and tokens across a killed process and a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fleetgate-kill-'));
    const cli = new URL('../../bin/fleetgate.js', import.meta.url).pathname;
    const start = async () => {
      const env = {
        ...process.env,
        FLEETGATE_DATA_DIR: dataDir,
        FLEETGATE_HTTP_PORT: '0',
        FLEETGATE_MGMT_PORT: '0',
        FLEETGATE_HOST: '127.0.0.1',
        FLEETGATE_SHARDS: '2',
        FLEETGATE_LOG_LEVEL: 'info',
        FLEETGATE_ADMIN_CLIENT_SECRET: TEST_ADMIN_SECRET,
      };
      const child = spawn(process.execPath, [cli, 'start'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      const port = await new Promise<number>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const m = /"http":(\d+),.*"fleetgate is up"/.exec(buf);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`fleetgate exited with ${code} before it was up`)));
      });
      return { child, base: `http://127.0.0.1:${port}` };
    };
    /** The bootstrap admin's token: the way in for an operator of a fresh installation. */
    const adminHeaders = async (base: string) => {
      const res = await fetch(`${base}/oauth2/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`fleetgate-admin:${TEST_ADMIN_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      assert.equal(res.status, 200);
      return { 'content-type': 'application/json', authorization: `Bearer ${((await res.json()) as { access_token: string }).access_token}` };
    };
    try {
      const a = await start();
      let headers = await adminHeaders(a.base);
      const c = (await (await fetch(`${a.base}/api/v1/basic-credentials`, { method: 'POST', headers, body: JSON.stringify({ username: 'survivor' }) })).json()) as { id: string };
      const tk = (await (await fetch(`${a.base}/api/v1/endpoints/ep-s/tokens`, { method: 'POST', headers, body: JSON.stringify({ applicationName: 'app' }) })).json()) as {
        endpointTokenId: string;
      };
      const killed = new Promise((r) => a.child.once('exit', r));
      a.child.kill('SIGKILL');
      await killed;
      const b = await start();
      headers = await adminHeaders(b.base);
      try {
        const got = (await (await fetch(`${b.base}/api/v1/basic-credentials/${c.id}`, { headers })).json()) as { username: string; state: string };
        assert.deepEqual([got.username, got.state], ['survivor', 'Inactive']);
        const tok = (await (await fetch(`${b.base}/api/v1/endpoints/ep-s/tokens/${tk.endpointTokenId}`, { headers })).json()) as { applicationName: string };
        assert.equal(tok.applicationName, 'app');
      } finally {
        const exited = new Promise<number | null>((r) => b.child.once('exit', (code) => r(code)));
        b.child.kill('SIGTERM');
        assert.equal(await exited, 0, 'a graceful stop exits 0');
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
