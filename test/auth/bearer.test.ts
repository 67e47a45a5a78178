/**
 * The bearer-token hook of the admin APIs on its own (no platform): the RFC 6750 answers with
 * their whole problem+json bodies, built-in tokens through a verifier stand-in with the
 * contract's behaviour, tokens of tenants' own issuers checked against a JWKS served over real
 * HTTP by this test, and Tenant Manager lookups with their cache and their fail-closed answer.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { bearerAuth } from '../../actors/auth/bearer.js';
import { ExternalIssuers, type TenantIssuerConfig } from '../../actors/auth/external.js';
import { TenantManager } from '../../actors/auth/tenant-manager.js';
import type { AccessTokenClaims, AccessTokenVerifier } from '../../actors/oauth/contract.js';
import { FleetgateError, logger, rootLogger } from '../../runtime/index.js';
import type { AuthorizeHook, HttpRequest, HttpResponse, Route } from '../../transports/http/index.js';

const BUILTIN = 'http://fleetgate.test';
const AUD = 'fleetgate';
const PERM = 'tenant:basic-credentials:read';

interface Keys {
  privateKey: CryptoKey;
  jwk: JWK;
}
async function keys(kid: string): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

async function sign(k: Keys, claims: Record<string, unknown>, opts: { exp?: number | string; typ?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: k.jwk.kid!, typ: opts.typ ?? 'at+jwt' })
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .setJti(crypto.randomUUID())
    .sign(k.privateKey);
}

/** What the token service's verifier does, for this test: its own key, issuer, audience, time, revocation. */
function fakeVerifier(k: Keys, revoked: Set<string>, state: { down: boolean }): AccessTokenVerifier {
  const code = (c: string, m: string) => new FleetgateError(c, m);
  return {
    async verify(jwt) {
      if (state.down) throw code('ERR_STORAGE_UNAVAILABLE', 'storage is down');
      try {
        const { payload } = await jwtVerify(jwt, await importJWK(k.jwk, 'ES256'), { issuer: BUILTIN, audience: AUD });
        if (revoked.has(payload.jti!)) throw code('ERR_INVALID_TOKEN', 'the token has been revoked');
        return payload as unknown as AccessTokenClaims;
      } catch (err) {
        if (err instanceof FleetgateError) throw err;
        throw code('ERR_INVALID_TOKEN', 'the token is not valid');
      }
    },
  };
}

function request(authorization?: string): HttpRequest {
  const headers: Record<string, string> = { host: 'fleetgate.test' };
  if (authorization !== undefined) headers.authorization = authorization;
  return {
    method: 'GET',
    path: '/x',
    params: {},
    query: new URLSearchParams(),
    queryValues: {},
    headers,
    body: undefined,
    rawBody: Buffer.alloc(0),
    rawForm: undefined,
    remoteAddress: '127.0.0.1',
  };
}
const ROUTE = { method: 'GET', path: '/x', operationId: 'x', summary: 'x', permission: PERM, responses: {}, handler: async () => ({ status: 200 }) } as Route;

const problemOf = (status: number, title: string, code: string, detail: string, ext: Record<string, unknown> = {}) => ({
  type: 'about:blank',
  title,
  status,
  detail,
  code,
  ...ext,
});

function assertAnswer(res: void | HttpResponse, status: number, challenge: string | null, body: object, what = ''): void {
  assert.ok(res !== undefined, `${what}: let through`);
  assert.deepEqual(
    { status: res.status, type: res.headers?.['content-type'], challenge: res.headers?.['www-authenticate'] ?? null, body: res.body },
    { status, type: 'application/problem+json', challenge, body },
    what,
  );
}

/** A local HTTP server answering from a handler table (JWKS, Tenant Manager). */
async function serve(handler: (path: string) => { status: number; body: unknown } | undefined): Promise<{ url: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url!);
    const a = handler(req.url!);
    res.writeHead(a?.status ?? 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(a?.body ?? { error: 'not found' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits };
}
const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

describe('bearer hook, built-in issuer', () => {
  let own: Keys;
  let foreign: Keys;
  const revoked = new Set<string>();
  const state = { down: false };
  let hook: AuthorizeHook;
  const claims = (over: Record<string, unknown> = {}) => ({
    iss: BUILTIN,
    aud: AUD,
    sub: 'svc-1',
    client_id: 'client-1',
    scope: `a:b ${PERM}`,
    tenant: 'acme',
    roles: [],
    permissions: [],
    groups: [],
    ...over,
  });
  before(async () => {
    rootLogger().level = 'silent';
    own = await keys('own');
    foreign = await keys('foreign');
    hook = bearerAuth({ builtin: fakeVerifier(own, revoked, state), external: null, builtinIssuer: () => BUILTIN, log: logger('test') });
  });

  it('answers a request without credentials 401 with the bare challenge', async () => {
    const body = problemOf(401, 'Unauthorized', 'ERR_UNAUTHENTICATED', 'a bearer token is required (Authorization: Bearer <token>)');
    for (const h of [undefined, '', 'Basic dXNlcjpwYXNz', 'Digest x=1']) {
      assertAnswer(await hook(request(h), ROUTE), 401, 'Bearer realm="fleetgate"', body, `header ${String(h)}`);
    }
  });

  it('answers a malformed Authorization header 400 invalid_request', async () => {
    const detail = 'the Authorization header must be the scheme Bearer and one token';
    const body = problemOf(400, 'Bad Request', 'ERR_INVALID_REQUEST', detail);
    for (const h of ['Bearer', 'Bearer a b', 'Bearer ab"c', 'bearer  a,b']) {
      assertAnswer(await hook(request(h), ROUTE), 400, `Bearer realm="fleetgate", error="invalid_request", error_description="${detail}"`, body, h);
    }
  });

  it('refuses tokens that are not JWTs, expired, revoked or signed by someone else with 401 invalid_token', async () => {
    const invalid = (detail: string) => [
      `Bearer realm="fleetgate", error="invalid_token", error_description="${detail}"`,
      problemOf(401, 'Unauthorized', 'ERR_INVALID_TOKEN', detail),
    ] as const;
    const notJwt = invalid('the token is not a JWT');
    assertAnswer(await hook(request('Bearer abc.def.ghi'), ROUTE), 401, notJwt[0], notJwt[1], 'not a JWT');
    assertAnswer(await hook(request(`Bearer ${'a'.repeat(9000)}`), ROUTE), 401, ...invalid('the token is too long'), 'too long');

    const expired = await sign(own, claims(), { exp: Math.floor(Date.now() / 1000) - 3600 });
    assertAnswer(await hook(request(`Bearer ${expired}`), ROUTE), 401, ...invalid('the token is not valid'), 'expired');

    const good = await sign(own, claims());
    const jti = JSON.parse(Buffer.from(good.split('.')[1]!, 'base64url').toString()).jti as string;
    assert.equal(await hook(request(`Bearer ${good}`), ROUTE), undefined, 'valid before revocation');
    revoked.add(jti);
    assertAnswer(await hook(request(`Bearer ${good}`), ROUTE), 401, ...invalid('the token has been revoked'), 'revoked');

    const forged = await sign(foreign, claims());
    assertAnswer(await hook(request(`Bearer ${forged}`), ROUTE), 401, ...invalid('the token is not valid'), 'foreign signature');

    const noIss = await sign(own, { ...claims(), iss: undefined });
    assertAnswer(await hook(request(`Bearer ${noIss}`), ROUTE), 401, ...invalid('the token names no issuer'), 'no iss');
  });

  it('refuses a valid token without the route permission 403 insufficient_scope', async () => {
    const t = await sign(own, claims({ scope: 'a:b tenant:basic-credentials:readx' }));
    assertAnswer(
      await hook(request(`Bearer ${t}`), ROUTE),
      403,
      `Bearer realm="fleetgate", error="insufficient_scope", scope="${PERM}"`,
      problemOf(403, 'Forbidden', 'ERR_FORBIDDEN', `this operation needs the permission ${PERM}`, { permission: PERM }),
    );
  });

  it('lets a token through with the permission as a scope or as a permission claim, and sets the principal', async () => {
    for (const c of [claims(), claims({ scope: 'other', permissions: [PERM] })]) {
      const req = request(`bearer ${await sign(own, c)}`);
      assert.equal(await hook(req, ROUTE), undefined);
      assert.equal((req.auth as { tenantId: string }).tenantId, 'acme');
      assert.equal((req.auth as { subject: string }).subject, 'svc-1');
      assert.ok((req.auth as { scopes: string[] }).scopes.includes(PERM));
    }
  });

  it('refuses a token whose tenant is not a valid tenant id', async () => {
    const t = await sign(own, claims({ tenant: 'ac/me' }));
    assertAnswer(await hook(request(`Bearer ${t}`), ROUTE), 401, 'Bearer realm="fleetgate", error="invalid_token", error_description="the token names no valid tenant"', problemOf(401, 'Unauthorized', 'ERR_INVALID_TOKEN', 'the token names no valid tenant'));
  });

  it('fails closed with 503 when the verifier cannot decide', async () => {
    state.down = true;
    try {
      const res = await hook(request(`Bearer ${await sign(own, claims())}`), ROUTE);
      assert.ok(res !== undefined);
      assert.deepEqual([res.status, res.headers?.['retry-after'], (res.body as { code: string }).code], [503, '1', 'ERR_AUTH_UNAVAILABLE']);
    } finally {
      state.down = false;
    }
  });
});

describe('bearer hook, tenants\' own issuers', () => {
  let own: Keys;
  let a: Keys;
  let b: Keys;
  let c: Keys;
  let idp: Awaited<ReturnType<typeof serve>>;
  let tm: Awaited<ReturnType<typeof serve>>;
  let tmDown = false;
  let manager: TenantManager;
  let hook: AuthorizeHook;
  const ISS_A = 'https://idp.test/realms/tenant-a';
  const ISS_B = 'https://idp.test/realms/tenant-b';
  const ISS_C = 'https://idp.test/realms/tenant-c';

  before(async () => {
    rootLogger().level = 'silent';
    [own, a, b, c] = await Promise.all([keys('own'), keys('a'), keys('b'), keys('c')]);
    idp = await serve((path) => {
      const set = { '/a/certs': a, '/b/certs': b, '/c/certs': c }[path];
      return set === undefined ? undefined : { status: 200, body: { keys: [set.jwk] } };
    });
    tm = await serve((path) => {
      if (tmDown) return { status: 503, body: {} };
      if (path === '/api/v1/tenants/tenant-c') return { status: 200, body: { id: 'tenant-c', realm_name: 'tenant-c', issuer: ISS_C, status: 'AVAILABLE', jwks_uri: `${idp.url}/c/certs` } };
      if (path === '/api/v1/tenants/tenant-creating') return { status: 200, body: { id: 'tenant-creating', issuer: ISS_C, status: 'CREATING' } };
      return undefined;
    });
    const tenants: Record<string, TenantIssuerConfig> = {
      'tenant-a': { issuer: ISS_A, jwksUrl: `${idp.url}/a/certs`, audience: null, tenantClaim: 'tenant' },
      'tenant-b': { issuer: ISS_B, jwksUrl: `${idp.url}/b/certs`, audience: 'fleetgate-b', tenantClaim: 'org' },
      'tenant-down': { issuer: 'https://down.test', jwksUrl: 'http://127.0.0.1:1/certs', audience: null, tenantClaim: 'tenant' },
    };
    manager = new TenantManager({ url: tm.url, token: 'tm-token', cacheTtlMs: 600_000, timeoutMs: 2000 });
    const external = new ExternalIssuers({ tenants, tenantManager: manager, tenantManagerClaim: 'tenant', defaultAudience: AUD, tenantManagerAudience: null, jwksTimeoutMs: 1000 });
    hook = bearerAuth({ builtin: fakeVerifier(own, new Set(), { down: false }), external, builtinIssuer: () => BUILTIN, log: logger('test') });
  });
  after(async () => {
    await close(idp.server);
    await close(tm.server);
  });

  const ext = (iss: string, tenantClaim: Record<string, unknown>, aud = AUD) => ({ iss, aud, sub: 'operator-1', scope: PERM, ...tenantClaim });
  const invalid = (detail: string) =>
    [`Bearer realm="fleetgate", error="invalid_token", error_description="${detail}"`, problemOf(401, 'Unauthorized', 'ERR_INVALID_TOKEN', detail)] as const;

  it('accepts a token of a configured issuer for its own tenant, verified against its JWKS', async () => {
    const req = request(`Bearer ${await sign(a, ext(ISS_A, { tenant: 'tenant-a' }), { typ: 'JWT' })}`);
    assert.equal(await hook(req, ROUTE), undefined);
    assert.deepEqual(req.auth, { tenantId: 'tenant-a', subject: 'operator-1', scopes: [PERM] });
    const reqB = request(`Bearer ${await sign(b, ext(ISS_B, { org: 'tenant-b' }, 'fleetgate-b'))}`);
    assert.equal(await hook(reqB, ROUTE), undefined, 'own audience and tenant claim');
    assert.equal((reqB.auth as { tenantId: string }).tenantId, 'tenant-b');
  });

  it("refuses tenant A's issuer speaking for tenant B, and B's claim name in A's token", async () => {
    const detail = "the token's issuer is not the issuer of the tenant it names";
    for (const claim of [{ tenant: 'tenant-b' }, { org: 'tenant-b' }, { tenant: 'tenant-c' }, {}]) {
      const t = await sign(a, ext(ISS_A, claim));
      assertAnswer(await hook(request(`Bearer ${t}`), ROUTE), 401, ...invalid(detail), JSON.stringify(claim));
    }
    // B's issuer, naming tenant A in B's claim.
    assertAnswer(await hook(request(`Bearer ${await sign(b, ext(ISS_B, { org: 'tenant-a' }, 'fleetgate-b'))}`), ROUTE), 401, ...invalid(detail), 'B for A');
  });

  it('refuses a token with the right issuer but a key of another issuer, a wrong audience, or expired', async () => {
    assertAnswer(await hook(request(`Bearer ${await sign(b, ext(ISS_A, { tenant: 'tenant-a' }))}`), ROUTE), 401, ...invalid("the token's signature is not valid"), 'kid of B');
    const wrongKid = await new SignJWT(ext(ISS_A, { tenant: 'tenant-a' })).setProtectedHeader({ alg: 'ES256', kid: 'a' }).setExpirationTime('5m').sign(b.privateKey);
    assertAnswer(await hook(request(`Bearer ${wrongKid}`), ROUTE), 401, ...invalid("the token's signature is not valid"), "B's key under A's kid");
    assertAnswer(
      await hook(request(`Bearer ${await sign(a, ext(ISS_A, { tenant: 'tenant-a' }, 'someone-else'))}`), ROUTE),
      401,
      ...invalid("the token's claims are not acceptable (issuer, audience, time)"),
      'audience',
    );
    const old = await sign(a, ext(ISS_A, { tenant: 'tenant-a' }), { exp: Math.floor(Date.now() / 1000) - 3600 });
    assertAnswer(await hook(request(`Bearer ${old}`), ROUTE), 401, ...invalid('the token has expired'), 'expired');
  });

  it('answers 503 when the issuer\'s JWKS cannot be fetched', async () => {
    const res = await hook(request(`Bearer ${await sign(a, ext('https://down.test', { tenant: 'tenant-down' }))}`), ROUTE);
    assert.ok(res !== undefined);
    assert.deepEqual([res.status, (res.body as { code: string }).code], [503, 'ERR_AUTH_UNAVAILABLE']);
  });

  it('takes issuers from the Tenant Manager, caches its answers, and fails closed when it is down', async () => {
    const token = await sign(c, ext(ISS_C, { tenant: 'tenant-c' }));
    const req = request(`Bearer ${token}`);
    assert.equal(await hook(req, ROUTE), undefined);
    assert.equal((req.auth as { tenantId: string }).tenantId, 'tenant-c');
    assert.equal(await hook(request(`Bearer ${token}`), ROUTE), undefined);
    assert.deepEqual(tm.hits.filter((h) => h.includes('tenant-c')), ['/api/v1/tenants/tenant-c'], 'asked once, then cached');
    assert.equal(manager.requests, 1);

    // C's issuer speaking for a tenant the Tenant Manager gives another (or no) issuer: not external,
    // and the built-in verifier refuses a signature that is not fleetgate's.
    for (const tenant of ['tenant-unknown', 'tenant-creating']) {
      const res = await hook(request(`Bearer ${await sign(c, ext(ISS_C, { tenant }))}`), ROUTE);
      assertAnswer(res, 401, ...invalid('the token is not valid'), tenant);
    }

    tmDown = true;
    assert.equal(await hook(request(`Bearer ${token}`), ROUTE), undefined, 'the cached answer still serves');
    const res = await hook(request(`Bearer ${await sign(c, ext(ISS_C, { tenant: 'tenant-new' }))}`), ROUTE);
    assert.ok(res !== undefined);
    assert.deepEqual([res.status, res.headers?.['retry-after'], (res.body as { code: string }).code], [503, '1', 'ERR_AUTH_UNAVAILABLE'], 'nothing cached: refused');
    tmDown = false;
  });

  it('never asks the Tenant Manager about built-in tokens', async () => {
    const before = manager.requests;
    const t = await sign(own, { iss: BUILTIN, aud: AUD, sub: 's', tenant: 'tenant-x', scope: PERM });
    const req = request(`Bearer ${t}`);
    assert.equal(await hook(req, ROUTE), undefined);
    assert.equal((req.auth as { tenantId: string }).tenantId, 'tenant-x');
    assert.equal(manager.requests, before);
  });
});
