/**
 * The client registry's admin API on the whole platform (real HTTP, real storage, shards on
 * worker threads), started from a seed file: secret issue / rotate / delete / metadata,
 * service-account links, tenant isolation on every route, and the seed across restarts
 * (clients create-only, service accounts updated, start-up failures that name the culprit).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, type TestPlatform } from '../credentials/harness.js';

const SCOPES = 'client.read client.write users.read users.write';
const dir = mkdtempSync(join(tmpdir(), 'fleetgate-oauth-rest-'));
const dataDir = join(dir, 'data');
const seedFile = join(dir, 'clients.yaml');
const ENV = 'FLEETGATE_TEST_MY_SERVICE_SECRET';

function writeSeed(o: { clientName?: string; description?: string; groups?: string[]; roles?: string[]; envVar?: string } = {}): void {
  writeFileSync(
    seedFile,
    [
      'groups: [ops, dev]',
      'clients:',
      '  public: []',
      '  confidential:',
      '    - client_id: my-service',
      `      client_name: ${o.clientName ?? 'My Service'}`,
      `      client_secret_env_var_name: ${o.envVar ?? ENV}`,
      '      client_authentication_method: client_secret_post',
      '      access_token_ttl_minutes: 60',
      '      scope: read',
      '      tenant: acme',
      '    - client_id: other-service',
      `      client_secret_env_var_name: ${ENV}`,
      '      tenant: acme',
      'serviceAccounts:',
      '  - id: svc-my-service',
      `    description: ${o.description ?? 'Service account for My Service'}`,
      '    tenant: acme',
      `    roles: [${(o.roles ?? ['USER']).join(', ')}]`,
      `    groups: [${(o.groups ?? ['ops']).join(', ')}]`,
      '  - id: svc-beta',
      '    tenant: beta',
      '',
    ].join('\n'),
  );
}

// The admin calls go through the harness's api(): bearer tokens of a client of the tenant.
const overrides = { 'oauth.seedFile': seedFile, 'oauth.clientSecret.rotationRequiredBeforeExpiry': 'P366D' };
let tp: TestPlatform;
const acme = { tenant: 'acme', scopes: SCOPES };
const beta = { tenant: 'beta', scopes: SCOPES };

before(async () => {
  process.env[ENV] = 'seeded-secret-value-0123456789';
  writeSeed();
  tp = await startTestPlatform(overrides, dataDir);
});
after(async () => {
  await tp?.stop({ keepData: true });
  delete process.env[ENV];
  rmSync(dir, { recursive: true, force: true });
});

describe('clients and secrets over REST', () => {
  it('shows the seeded client to its tenant and to no other', async () => {
    const r = await tp.api('GET', '/clients/my-service', undefined, acme);
    assert.equal(r.status, 200);
    assert.deepEqual(
      { ...r.body, createdAt: undefined, updatedAt: undefined },
      {
        clientId: 'my-service',
        tenantId: 'acme',
        clientName: 'My Service',
        clientAuthenticationMethod: 'client_secret_post',
        accessTokenTtlMinutes: 60,
        scope: 'read',
        jwks: null,
        seeded: true,
        serviceAccountId: null,
        version: 2,
        createdAt: undefined,
        updatedAt: undefined,
      },
    );
    const list = await tp.api('GET', '/clients', undefined, acme);
    assert.equal(list.status, 200);
    const ids = list.body.content.map((c: { clientId: string }) => c.clientId);
    assert.ok(ids.includes('my-service') && ids.includes('other-service'), ids.join(' '));
    assert.ok(list.body.content.every((c: { tenantId: string }) => c.tenantId === 'acme'));
    const other = await tp.api('GET', '/clients', undefined, beta);
    assert.equal(other.status, 200);
    assert.ok(other.body.content.every((c: { tenantId: string }) => c.tenantId === 'beta'));
    assert.ok(!other.body.content.some((c: { clientId: string }) => c.clientId === 'my-service'));
  });

  it('answers secret metadata without the secret', async () => {
    const r = await tp.api('GET', '/clients/my-service/secret', undefined, acme);
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body).sort(), ['clientId', 'createdAt', 'expired', 'expiresAt', 'hasSecret', 'previousExpiresAt', 'rotationRequired']);
    assert.equal(r.body.hasSecret, true);
    assert.equal(r.body.expired, false);
    assert.equal(r.body.previousExpiresAt, null);
    assert.equal(r.body.rotationRequired, true, 'the lead time (P366D) is longer than the lifetime (P365D)');
    assert.equal(Date.parse(r.body.expiresAt) - Date.parse(r.body.createdAt), 365 * 86_400_000);
  });

  it('issues only when there is no current secret, rotates, and deletes slot by slot', async () => {
    const seeded = process.env[ENV]!;
    assert.equal(await tokenStatus(seeded), 200, 'the seeded secret gets a token');
    const issue = await tp.api('POST', '/clients/my-service/secret', undefined, acme);
    assert.equal(issue.status, 409);
    assert.equal(issue.headers.get('content-type'), 'application/problem+json');
    assert.equal(issue.body.code, 'ERR_SECRET_EXISTS');

    const rot = await tp.api('POST', '/clients/my-service/secret/rotate', undefined, acme);
    assert.equal(rot.status, 200);
    assert.equal(rot.headers.get('cache-control'), 'no-store');
    assert.match(rot.body.clientSecret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Date.parse(rot.body.previousExpiresAt) - Date.parse(rot.body.createdAt), 7 * 86_400_000);
    const meta = await tp.api('GET', '/clients/my-service/secret', undefined, acme);
    assert.equal(meta.body.previousExpiresAt, rot.body.previousExpiresAt);
    assert.equal(meta.body.createdAt, rot.body.createdAt);
    assert.ok(!JSON.stringify(meta.body).includes(rot.body.clientSecret));

    assert.equal((await tp.api('DELETE', '/clients/my-service/secret?target=both', undefined, acme)).status, 400);
    assert.equal((await tp.api('DELETE', '/clients/my-service/secret', undefined, acme)).status, 400);
    assert.equal(await tokenStatus(seeded), 200, 'the previous secret, inside the grace window');
    assert.equal(await tokenStatus(rot.body.clientSecret), 200, 'the new secret');
    assert.equal((await tp.api('DELETE', '/clients/my-service/secret?target=previous', undefined, acme)).status, 204);
    assert.equal(await tokenStatus(seeded), 401, 'the deleted previous secret');
    const again = await tp.api('DELETE', '/clients/my-service/secret?target=previous', undefined, acme);
    assert.equal(again.status, 404);
    assert.equal(again.body.code, 'ERR_NOT_FOUND');
    assert.equal((await tp.api('DELETE', '/clients/my-service/secret?target=current', undefined, acme)).status, 204);
    assert.equal((await tp.api('GET', '/clients/my-service/secret', undefined, acme)).body.hasSecret, false);
    assert.equal((await tp.api('POST', '/clients/my-service/secret/rotate', undefined, acme)).body.code, 'ERR_NO_CURRENT_SECRET');

    const issued = await tp.api('POST', '/clients/my-service/secret', undefined, acme);
    assert.equal(issued.status, 201);
    assert.equal(issued.headers.get('cache-control'), 'no-store');
    assert.deepEqual(Object.keys(issued.body).sort(), ['clientId', 'clientSecret', 'createdAt', 'expiresAt']);
    assert.equal(issued.body.clientId, 'my-service');
  });

  it('links and unlinks a service account', async () => {
    const link = await tp.api('PUT', '/service-accounts/svc-my-service/clients/my-service', undefined, acme);
    assert.equal(link.status, 200);
    assert.equal(link.body.clientId, 'my-service');
    assert.equal((await tp.api('GET', '/clients/my-service', undefined, acme)).body.serviceAccountId, 'svc-my-service');
    assert.equal((await tp.api('PUT', '/service-accounts/svc-my-service/clients/my-service', undefined, acme)).status, 200, 'idempotent');
    const taken = await tp.api('PUT', '/service-accounts/svc-my-service/clients/other-service', undefined, acme);
    assert.equal(taken.status, 200, 'relinking the account moves it to the other client');
    assert.equal((await tp.api('GET', '/clients/my-service', undefined, acme)).body.serviceAccountId, null);
    assert.equal((await tp.api('DELETE', '/service-accounts/svc-my-service/clients/my-service', undefined, acme)).status, 404);
    assert.equal((await tp.api('DELETE', '/service-accounts/svc-my-service/clients/other-service', undefined, acme)).status, 204);
    assert.equal((await tp.api('GET', '/service-accounts/svc-my-service', undefined, acme)).body.clientId, null);
  });

  it('refuses a caller without the permission', async () => {
    const r = await tp.api('POST', '/clients/my-service/secret/rotate', undefined, { tenant: 'acme', scopes: 'client.read' });
    assert.equal(r.status, 403);
    const u = await tp.api('PUT', '/service-accounts/svc-my-service/clients/my-service', undefined, { tenant: 'acme', scopes: 'client.write' });
    assert.equal(u.status, 403);
  });

  it("answers tenant beta 404 on every route for tenant acme's objects, and changes nothing", async () => {
    const before = await tp.api('GET', '/clients/my-service/secret', undefined, acme);
    const calls: Array<[string, string]> = [
      ['GET', '/clients/my-service'],
      ['PUT', '/clients/my-service/jwks'],
      ['POST', '/clients/my-service/secret'],
      ['POST', '/clients/my-service/secret/rotate'],
      ['DELETE', '/clients/my-service/secret?target=current'],
      ['DELETE', '/clients/my-service/secret?target=previous'],
      ['GET', '/clients/my-service/secret'],
      ['GET', '/service-accounts/svc-my-service'],
      ['PUT', '/service-accounts/svc-my-service/clients/my-service'],
      ['DELETE', '/service-accounts/svc-my-service/clients/my-service'],
      ['PUT', '/service-accounts/svc-beta/clients/my-service'],
    ];
    for (const [method, path] of calls) {
      const r = await tp.api(method, path, path.endsWith('/jwks') ? { keys: [] } : undefined, beta);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.body.code, 'ERR_NOT_FOUND', `${method} ${path}`);
    }
    const unknown = await tp.api('GET', '/clients/no-such-client', undefined, beta);
    assert.deepEqual({ ...r404(unknown.body), detail: undefined }, { ...r404((await tp.api('GET', '/clients/my-service', undefined, beta)).body), detail: undefined });
    assert.deepEqual(await tp.api('GET', '/clients/my-service/secret', undefined, acme).then((r) => r.body), before.body);
    assert.equal((await tp.api('GET', '/service-accounts/svc-beta', undefined, beta)).status, 200);
    assert.equal((await tp.api('GET', '/service-accounts/svc-beta', undefined, acme)).status, 404);
  });
});

/** POST /oauth2/token for my-service (client_secret_post, as seeded). */
/** The status of eight token requests on fresh connections, which must all agree: uWS spreads
 *  connections over both shards, and each shard answers repeated secrets from its own cache, so
 *  a change must reach every shard before the admin call returns. (Eight failures stay under the
 *  failure limit of ten.) */
async function tokenStatus(secret: string): Promise<number> {
  const all = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const res = await fetch(`${tp.base}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', connection: 'close' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'my-service', client_secret: secret }).toString(),
      });
      await res.arrayBuffer();
      return res.status;
    }),
  );
  assert.ok(all.every((s) => s === all[0]), `the connections were answered differently: ${all.join(', ')}`);
  return all[0]!;
}

function r404(body: Record<string, unknown>): Record<string, unknown> {
  return { status: body['status'], code: body['code'], title: body['title'] };
}

describe('the seed across restarts', () => {
  it('leaves the client as it is and updates the service account', async () => {
    await tp.stop({ keepData: true });
    writeSeed({ clientName: 'Renamed Service', description: 'changed description', groups: ['dev'], roles: ['ADMIN'] });
    tp = await startTestPlatform(overrides, dataDir);
    const c = await tp.api('GET', '/clients/my-service', undefined, acme);
    assert.equal(c.body.clientName, 'My Service');
    const a = await tp.api('GET', '/service-accounts/svc-my-service', undefined, acme);
    assert.equal(a.body.description, 'changed description');
    assert.deepEqual(a.body.groups, ['dev']);
    assert.deepEqual(a.body.roles, ['ADMIN']);
    assert.ok(a.body.permissions.includes('client.write'));
  });

  it('fails start-up naming the client and the missing variable', async () => {
    await tp.stop({ keepData: true });
    writeSeed();
    writeFileSync(seedFile, `${'clients:\n  confidential:\n    - client_id: brand-new\n      client_secret_env_var_name: FLEETGATE_TEST_NOT_SET\n'}`);
    await assert.rejects(startTestPlatform(overrides, dataDir), /clients\.confidential\[brand-new\]: environment variable FLEETGATE_TEST_NOT_SET/);
  });

  it('fails start-up naming an unresolved group', async () => {
    writeSeed({ groups: ['finance'] });
    await assert.rejects(startTestPlatform(overrides, dataDir), /serviceAccounts\[svc-my-service\]\.groups: unknown group "finance"/);
  });
});
