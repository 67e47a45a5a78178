/**
 * Bearer-token protection of the admin APIs on the whole platform, with real tokens from
 * POST /oauth2/token: the bootstrap admin client (created once, its secret printed once, or
 * taken from FLEETGATE_ADMIN_CLIENT_ID / FLEETGATE_ADMIN_CLIENT_SECRET), 401 and 403 on every
 * admin route, and tenant isolation walked over EVERY route of the served OpenAPI document, so
 * that a route added later is covered without touching this file (or fails here, naming what
 * the walk needs to know about it).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { ADMIN_PERMISSIONS } from '../../actors/auth/permissions.js';
import { loadConfig, settings } from '../../runtime/index.js';
import { startTestPlatform, type TestPlatform } from '../credentials/harness.js';

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}
interface Operation {
  method: string;
  path: string;
  operationId: string;
  permission: string;
  params: string[];
  requiredQuery: string[];
  hasBody: boolean;
}

async function call(base: string, method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
  const h = { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
  const res = await fetch(`${base}${url}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

async function tokenFor(base: string, clientId: string, secret: string): Promise<Reply> {
  const res = await fetch(`${base}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** Every operation of the served document that declares a permission. */
async function adminOperations(t: TestPlatform): Promise<Operation[]> {
  const doc = (await call(t.base, 'GET', '/api/v1/openapi.json', {})).body as {
    paths: Record<string, Record<string, { operationId: string; 'x-permission'?: string; parameters?: Array<{ in: string; name: string; required?: boolean }>; requestBody?: unknown }>>;
  };
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (op['x-permission'] === undefined) continue;
      ops.push({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId,
        permission: op['x-permission'],
        params: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
        requiredQuery: (op.parameters ?? []).filter((p) => p.in === 'query' && p.required === true).map((p) => p.name),
        hasBody: op.requestBody !== undefined,
      });
    }
  }
  return ops;
}

/** Captures what is written to stdout while `fn` runs (the bootstrap secret goes there). */
async function capturingStdout<T>(fn: () => Promise<T>): Promise<{ value: T; text: string }> {
  const original = process.stdout.write;
  let text = '';
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write;
  try {
    return { value: await fn(), text };
  } finally {
    process.stdout.write = original;
  }
}

describe('bootstrap admin client', () => {
  it('is created on the first start with its secret printed once, and never again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetgate-admin-'));
    try {
      const first = await capturingStdout(() => startTestPlatform({ 'auth.admin.clientSecret': null }, dir));
      let secret: string;
      try {
        const m = /client_secret: ([A-Za-z0-9_-]{43})\n/.exec(first.text);
        assert.ok(m !== null, `the secret is printed: ${first.text}`);
        secret = m[1]!;
        assert.equal(first.text.split(secret).length - 1, 2, 'printed in the secret line and in the curl line, once each');
        assert.ok(first.text.includes(`curl -s -u 'fleetgate-admin:${secret}' -d grant_type=client_credentials http://127.0.0.1:${first.value.platform.httpPort}/oauth2/token`), first.text);

        const tok = await tokenFor(first.value.base, 'fleetgate-admin', secret);
        assert.equal(tok.status, 200, JSON.stringify(tok.body));
        assert.deepEqual(String(tok.body.scope).split(' ').sort(), [...ADMIN_PERMISSIONS].sort());
        const auth = { authorization: `Bearer ${tok.body.access_token}` };
        const list = await call(first.value.base, 'GET', '/clients', auth);
        assert.equal(list.status, 200, JSON.stringify(list.body));
        assert.ok(JSON.stringify(list.body).includes('"fleetgate-admin"'), 'the admin client lives in the system tenant kaa');
        assert.equal((await call(first.value.base, 'GET', '/api/v1/basic-credentials', auth)).status, 200);
      } finally {
        await first.value.stop({ keepData: true });
      }
      const second = await capturingStdout(() => startTestPlatform({ 'auth.admin.clientSecret': null }, dir));
      try {
        assert.ok(!second.text.includes('client_secret'), `nothing printed on a later start: ${second.text}`);
        assert.ok(!second.text.includes(secret), 'the secret is never printed again');
        assert.equal((await tokenFor(second.value.base, 'fleetgate-admin', secret)).status, 200, 'the printed secret still works');
      } finally {
        await second.value.stop({ keepData: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes its id and secret from FLEETGATE_ADMIN_CLIENT_ID / FLEETGATE_ADMIN_CLIENT_SECRET and prints nothing', async () => {
    const given = 'a-secret-the-operator-chose-42';
    const env = loadConfig(settings, { env: { FLEETGATE_ADMIN_CLIENT_ID: 'ops-admin', FLEETGATE_ADMIN_CLIENT_SECRET: given } });
    assert.deepEqual([env['auth.admin.clientId'], env['auth.admin.clientSecret']], ['ops-admin', given]);
    assert.throws(() => loadConfig(settings, { env: { FLEETGATE_ADMIN_CLIENT_SECRET: 'short' } }), /"auth.admin.clientSecret" from environment variable FLEETGATE_ADMIN_CLIENT_SECRET: \(hidden\) is not valid/);

    const started = await capturingStdout(() => startTestPlatform({ 'auth.admin.clientId': env['auth.admin.clientId'], 'auth.admin.clientSecret': env['auth.admin.clientSecret'] }));
    const t = started.value;
    try {
      assert.ok(!started.text.includes(given) && !started.text.includes('client_secret'), started.text);
      const ok = await tokenFor(t.base, 'ops-admin', given);
      assert.equal(ok.status, 200);
      assert.equal((await call(t.base, 'GET', '/clients/ops-admin/secret', { authorization: `Bearer ${ok.body.access_token}` })).status, 200);
      assert.equal((await tokenFor(t.base, 'ops-admin', `${given}x`)).status, 401);
      assert.equal((await tokenFor(t.base, 'fleetgate-admin', given)).status, 401, 'no default admin besides the configured one');
    } finally {
      await t.stop();
    }
  });
});

describe('every admin route', () => {
  let t: TestPlatform;
  let seedDir: string;
  let ops: Operation[];
  /** Tenant A's objects, which tenant B must never read or change. */
  const A = { tenant: 'tenant-a', credentialId: '', endpointId: 'ep-tenant-a', tokenId: '', clientId: '', clientSecret: '', accountId: 'sa-tenant-a' };
  let jwk: Record<string, unknown>;

  before(async () => {
    seedDir = mkdtempSync(join(tmpdir(), 'fleetgate-auth-seed-'));
    const seed = join(seedDir, 'seed.yaml');
    writeFileSync(seed, ['serviceAccounts:', `  - id: ${A.accountId}`, `    tenant: ${A.tenant}`, '    name: service account of tenant A', ''].join('\n'));
    t = await startTestPlatform({ 'oauth.seedFile': seed });
    ops = await adminOperations(t);
    jwk = { ...(await exportJWK((await generateKeyPair('ES256')).publicKey)), kid: 'probe', use: 'sig', alg: 'ES256' };

    const as = { tenant: A.tenant };
    const cred = await t.api('POST', '/api/v1/basic-credentials', { username: 'a-user', password: 'a-password-1' }, as);
    assert.equal(cred.status, 201, JSON.stringify(cred.body));
    A.credentialId = cred.body.id;
    const tok = await t.api('POST', `/api/v1/endpoints/${A.endpointId}/tokens`, { applicationName: 'app-a', token: 'a-token-value' }, as);
    assert.equal(tok.status, 201, JSON.stringify(tok.body));
    A.tokenId = tok.body.endpointTokenId;
    // A client of tenant A: the harness provisions one for A's token; find it through A's own eyes.
    const clients = await t.api('GET', '/clients?limit=1000', undefined, as);
    assert.equal(clients.status, 200, JSON.stringify(clients.body));
    const ids = JSON.stringify(clients.body).match(/"clientId":"(test-[0-9a-f]{24})"/);
    assert.ok(ids !== null, JSON.stringify(clients.body));
    A.clientId = ids[1]!;
  });
  after(async () => {
    await t.stop();
    rmSync(seedDir, { recursive: true, force: true });
  });

  const valueOf = (op: Operation, name: string): string => {
    if (name === 'id' && op.path.startsWith('/api/v1/basic-credentials/')) return A.credentialId;
    if (name === 'id' && op.path.startsWith('/service-accounts/')) return A.accountId;
    const v = ({ endpointId: A.endpointId, tokenId: A.tokenId, clientId: A.clientId } as Record<string, string>)[name];
    assert.ok(v !== undefined, `${op.operationId}: no object of tenant A for path parameter {${name}}`);
    return v;
  };
  const QUERY: Record<string, string> = { target: 'current' };
  const urlOf = (op: Operation): string => {
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(valueOf(op, name)));
    const q = op.requiredQuery.map((n) => {
      assert.ok(n in QUERY, `${op.operationId}: no value for required query parameter ${n}`);
      return `${n}=${QUERY[n]}`;
    });
    return q.length === 0 ? path : `${path}?${q.join('&')}`;
  };
  /** A body that would change something were the call let through. */
  const bodyOf = (op: Operation): unknown => {
    const bodies: Record<string, unknown> = {
      createBasicCredentials: { username: 'b-user' },
      transitionBasicCredentials: { state: 'Revoked' },
      resetBasicCredentialsPassword: { password: 'b-chose-this' },
      provisionEndpointToken: { applicationName: 'app-b' },
      transitionEndpointToken: { status: 'Revoked' },
      provisionEndpointTokens: { items: [{ endpointId: 'ep-tenant-b', applicationName: 'app-b' }] },
      setOAuthClientJwks: { keys: [jwk] },
    };
    if (op.operationId in bodies) return bodies[op.operationId];
    return op.hasBody ? {} : undefined;
  };

  /** What tenant A sees of its objects, and proof its client secret still works. */
  async function snapshotOfA() {
    const as = { tenant: A.tenant };
    const get = async (url: string) => {
      const r = await t.api('GET', url, undefined, as);
      return [r.status, r.body];
    };
    return {
      credential: await get(`/api/v1/basic-credentials/${A.credentialId}`),
      token: await get(`/api/v1/endpoints/${A.endpointId}/tokens/${A.tokenId}`),
      client: await get(`/clients/${A.clientId}`),
      secret: await get(`/clients/${A.clientId}/secret`),
      account: await get(`/service-accounts/${A.accountId}`),
    };
  }

  it('grants the bootstrap admin every permission a route declares', () => {
    assert.ok(ops.length >= 20, `${ops.length} admin operations`);
    for (const op of ops) assert.ok(ADMIN_PERMISSIONS.includes(op.permission), `${op.operationId} needs ${op.permission}, which ADMIN_PERMISSIONS lacks`);
  });

  it('answers 401 without a token and with a bad one, and 403 insufficient_scope without the permission', async () => {
    const others = await t.token({ tenant: A.tenant, scopes: 'unrelated:scope' });
    for (const op of ops) {
      const url = urlOf(op);
      const body = bodyOf(op);
      const none = await call(t.base, op.method, url, {}, body);
      assert.deepEqual([none.status, none.headers.get('www-authenticate'), none.body.code], [401, 'Bearer realm="fleetgate"', 'ERR_UNAUTHENTICATED'], op.operationId);
      const forged = (await t.token({ tenant: A.tenant })).replace(/.{4}$/, 'AAAA');
      const bad = await call(t.base, op.method, url, { authorization: `Bearer ${forged}` }, body);
      assert.deepEqual([bad.status, bad.body.code], [401, 'ERR_INVALID_TOKEN'], op.operationId);
      assert.match(bad.headers.get('www-authenticate') ?? '', /^Bearer realm="fleetgate", error="invalid_token", error_description="[^"]+"$/, op.operationId);
      const denied = await call(t.base, op.method, url, { authorization: `Bearer ${others}` }, body);
      assert.deepEqual(
        [denied.status, denied.headers.get('www-authenticate'), denied.body],
        [
          403,
          `Bearer realm="fleetgate", error="insufficient_scope", scope="${op.permission}"`,
          { type: 'about:blank', title: 'Forbidden', status: 403, detail: `this operation needs the permission ${op.permission}`, code: 'ERR_FORBIDDEN', permission: op.permission },
        ],
        op.operationId,
      );
    }
  });

  it("never lets tenant B read or change tenant A's objects, on any route", async () => {
    const before = await snapshotOfA();
    for (const [what, v] of Object.entries(before)) assert.equal(v[0], 200, `${what} of A readable by A: ${JSON.stringify(v[1])}`);
    const secretsOfA = [A.credentialId, A.tokenId, A.clientId, A.accountId];
    const b = { tenant: 'tenant-b' };
    for (const op of ops) {
      const res = await call(t.base, op.method, urlOf(op), await t.authHeaders(b), bodyOf(op));
      const text = JSON.stringify(res.body ?? '');
      if (op.params.some((p) => p !== 'endpointId')) {
        // The route addresses one of A's objects: it does not exist for B.
        assert.ok([403, 404].includes(res.status), `${op.method} ${op.path}: ${res.status} ${text}`);
      } else {
        // A collection of B's own: never A's objects in it.
        assert.ok(res.status < 500, `${op.method} ${op.path}: ${res.status} ${text}`);
      }
      // (A refusal may name the id B asked for; an answer must never carry one of A's.)
      if (res.status < 400) for (const s of secretsOfA) assert.ok(!text.includes(s), `${op.method} ${op.path} shows ${s} of tenant A: ${text}`);
    }
    assert.deepEqual(await snapshotOfA(), before, "A's objects are unchanged");
    assert.equal((await t.api('GET', `/api/v1/basic-credentials/${A.credentialId}`, undefined, { tenant: A.tenant })).body.state, 'Inactive');
  });
});
