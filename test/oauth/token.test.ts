/**
 * The token service over real HTTP (tokens harness: real storage, manual clock, in-memory client
 * registry): the client_credentials grant with openid-client, the JWT checked by jose against
 * /oauth2/jwks, private_key_jwt, every RFC 6749 5.2 error body, introspection, revocation, the
 * failure limit, HTTPS behind a proxy, and signing-key rotation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import * as oidc from 'openid-client';
import { hasCode } from '../../runtime/index.js';
import { BuiltInVerifier } from '../../actors/oauth/token/verify.js';
import { closeSharedStorage, DAY, MINUTE, postForm, startTokenHarness, type TokenHarness } from './token-helpers.js';

after(() => closeSharedStorage());

const BASIC_SECRET = 'basic-secret-0123456789';
const POST_SECRET = 'post secret with spaces+plus:colon';
const SA = { id: 'sa-ingest', roles: ['ingestor'], permissions: ['client.write'], groups: ['ops'], attributes: {} };

function seed(h: TokenHarness): void {
  h.clients.add({ clientId: 'svc-basic', scopes: ['telemetry:read', 'telemetry:write', 'client.write'], serviceAccount: SA, accessTokenTtlMinutes: 15 }, BASIC_SECRET);
  h.clients.add({ clientId: 'svc-post', authMethod: 'client_secret_post', scopes: ['a', 'b'] }, POST_SECRET);
  h.clients.add({ clientId: 'svc-other-tenant', tenantId: 'globex', scopes: ['a'] }, 'globex-secret-000');
}

async function token(h: TokenHarness, id = 'svc-basic', secret = BASIC_SECRET, extra: Record<string, string> = {}): Promise<string> {
  const r =
    id === 'svc-post'
      ? await postForm(`${h.base}/oauth2/token`, { grant_type: 'client_credentials', client_id: id, client_secret: secret, ...extra })
      : await postForm(`${h.base}/oauth2/token`, { grant_type: 'client_credentials', ...extra }, { auth: [id, secret] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.access_token as string;
}

describe('token endpoint with openid-client and jose', () => {
  let h: TokenHarness;
  before(async () => {
    h = await startTokenHarness();
    seed(h);
  });
  after(() => h.close());

  test('RFC 8414 metadata names every endpoint under the request issuer', async () => {
    const res = await fetch(`${h.base}/.well-known/oauth-authorization-server`);
    assert.equal(res.status, 200);
    const m = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(m, {
      issuer: h.base,
      token_endpoint: `${h.base}/oauth2/token`,
      jwks_uri: `${h.base}/oauth2/jwks`,
      introspection_endpoint: `${h.base}/oauth2/introspect`,
      revocation_endpoint: `${h.base}/oauth2/revoke`,
      grant_types_supported: ['client_credentials'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      introspection_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      revocation_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
    });
  });

  test('client_secret_basic: discovery and clientCredentialsGrant; every claim checked against /oauth2/jwks', async () => {
    const config = await oidc.discovery(new URL(h.base), 'svc-basic', undefined, oidc.ClientSecretBasic(BASIC_SECRET), {
      execute: [oidc.allowInsecureRequests],
      algorithm: 'oauth2',
    });
    const t = await oidc.clientCredentialsGrant(config, { scope: 'telemetry:write telemetry:read' });
    assert.equal(t.token_type, 'bearer');
    assert.equal(t.expires_in, 15 * 60);
    assert.equal(t.scope, 'telemetry:read telemetry:write');

    const jwks = createRemoteJWKSet(new URL(`${h.base}/oauth2/jwks`));
    const { payload, protectedHeader } = await jwtVerify(t.access_token, jwks, {
      issuer: h.base,
      audience: 'fleetgate',
      typ: 'at+jwt',
      currentDate: new Date(h.clock.now()),
    });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(typeof protectedHeader.kid, 'string');
    const now = Math.floor(h.clock.now() / 1000);
    assert.equal(payload.iss, h.base);
    assert.equal(payload.sub, 'sa-ingest');
    assert.equal(payload.aud, 'fleetgate');
    assert.equal(payload.iat, now);
    assert.equal(payload.nbf, now);
    assert.equal(payload.exp, now + 15 * 60);
    assert.match(String(payload.jti), /^[0-9a-f-]{36}$/);
    assert.equal(payload.client_id, 'svc-basic');
    assert.equal(payload.scope, 'telemetry:read telemetry:write');
    assert.equal(payload.tenant, 'acme');
    assert.deepEqual(payload.roles, ['ingestor']);
    assert.deepEqual(payload.permissions, ['client.write']);
    assert.deepEqual(payload.groups, ['ops']);

    const claims = await h.verifier.verify(t.access_token);
    assert.equal(claims.jti, payload.jti);
  });

  test('client_secret_post: the grant with openid-client; no scope asked = all of them; no service account = client as sub', async () => {
    const config = await oidc.discovery(new URL(h.base), 'svc-post', undefined, oidc.ClientSecretPost(POST_SECRET), {
      execute: [oidc.allowInsecureRequests],
      algorithm: 'oauth2',
    });
    const t = await oidc.clientCredentialsGrant(config);
    assert.equal(t.scope, 'a b');
    assert.equal(t.expires_in, 30 * 60);
    const claims = await h.verifier.verify(t.access_token);
    assert.equal(claims.sub, 'svc-post');
    assert.deepEqual([claims.roles, claims.permissions, claims.groups], [[], [], []]);
  });

  test('a token answer is not cached and its audit line carries no secret and no token', async () => {
    const ok = await postForm(`${h.base}/oauth2/token`, { grant_type: 'client_credentials', client_id: 'svc-post', client_secret: POST_SECRET, scope: 'a' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    assert.equal(ok.headers.get('pragma'), 'no-cache');
    assert.deepEqual(Object.keys(ok.body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(ok.body.token_type, 'Bearer');
    const lines = h.audit();
    const issued = lines.filter((l) => l.event === 'token.issued' && l.clientId === 'svc-post' && l.scope === 'a');
    assert.ok(issued.length >= 1);
    assert.equal(issued.at(-1)!.tenant, 'acme');
    assert.equal(typeof issued.at(-1)!.jti, 'string');
    const all = JSON.stringify(lines);
    assert.ok(!all.includes(POST_SECRET) && !all.includes(BASIC_SECRET) && !all.includes(ok.body.access_token), 'no secret or token in the audit log');
  });
});

describe('private_key_jwt', () => {
  let h: TokenHarness;
  let priv: CryptoKey;
  before(async () => {
    h = await startTokenHarness();
    const pair = await generateKeyPair('ES256', { extractable: true });
    priv = pair.privateKey as CryptoKey;
    const pub = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    h.clients.add({ clientId: 'svc-jwt', authMethod: 'private_key_jwt', scopes: ['x', 'y'], jwks: { keys: [pub] } });
    h.clients.add({ clientId: 'svc-basic', scopes: ['x'] }, BASIC_SECRET);
  });
  after(() => h.close());

  const assertion = (o: { aud?: string; exp?: number; jti?: string; iss?: string; key?: CryptoKey } = {}) => {
    const now = Math.floor(h.clock.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(o.iss ?? 'svc-jwt')
      .setSubject('svc-jwt')
      .setAudience(o.aud ?? `${h.base}/oauth2/token`)
      .setIssuedAt(now)
      .setExpirationTime(o.exp ?? now + 60)
      .setJti(o.jti ?? crypto.randomUUID())
      .sign(o.key ?? priv);
  };
  const grant = async (a: string, extra: Record<string, string> = {}) =>
    postForm(`${h.base}/oauth2/token`, {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: a,
      ...extra,
    });

  test('a jose-made assertion gets a token; the issuer is accepted as audience too', async () => {
    const r = await grant(await assertion(), { scope: 'y' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.scope, 'y');
    const c = await h.verifier.verify(r.body.access_token);
    assert.equal(c.client_id, 'svc-jwt');
    const r2 = await grant(await assertion({ aud: h.base }), { client_id: 'svc-jwt' });
    assert.equal(r2.status, 200, JSON.stringify(r2.body));
    assert.equal(r2.body.scope, 'x y');
  });

  test('openid-client PrivateKeyJwt', async () => {
    const config = await oidc.discovery(new URL(h.base), 'svc-jwt', undefined, oidc.PrivateKeyJwt({ key: priv, kid: 'k1' }), {
      execute: [oidc.allowInsecureRequests],
      algorithm: 'oauth2',
    });
    // openid-client stamps iat/exp from the real clock; the harness clock started at the real time.
    const t = await oidc.clientCredentialsGrant(config, { scope: 'x' });
    assert.equal(t.scope, 'x');
  });

  test('replayed jti, too long a lifetime, wrong audience, wrong key, wrong issuer: invalid_client', async () => {
    const refused = { error: 'invalid_client', error_description: 'client authentication failed' };
    const once = await assertion({ jti: 'one-time' });
    assert.equal((await grant(once)).status, 200);
    const replay = await grant(once);
    assert.equal(replay.status, 401);
    assert.deepEqual(replay.body, refused);
    assert.equal(replay.headers.get('www-authenticate'), null, 'no Basic challenge when Basic was not tried');

    const long = await grant(await assertion({ exp: Math.floor(h.clock.now() / 1000) + 3600 }));
    assert.deepEqual([long.status, long.body], [401, refused]);
    const aud = await grant(await assertion({ aud: 'https://elsewhere.example/token' }));
    assert.deepEqual([aud.status, aud.body], [401, refused]);
    const other = (await generateKeyPair('ES256')).privateKey as CryptoKey;
    const key = await grant(await assertion({ key: other }));
    assert.deepEqual([key.status, key.body], [401, refused]);
    const iss = await grant(await assertion({ iss: 'someone-else' }));
    assert.deepEqual([iss.status, iss.body], [401, refused]);
    const reasons = h.audit().filter((l) => l.event === 'client.refused' && l.clientId === 'svc-jwt').map((l) => l.reason);
    assert.ok(reasons.includes('assertion replayed'), JSON.stringify(reasons));
    assert.ok(reasons.includes('assertion lifetime too long'), JSON.stringify(reasons));
  });

  test('a secret client presenting an assertion, and an assertion client presenting a secret: invalid_client', async () => {
    const r = await postForm(`${h.base}/oauth2/token`, { grant_type: 'client_credentials', client_id: 'svc-jwt', client_secret: 'whatever-secret' });
    assert.deepEqual([r.status, r.body.error], [401, 'invalid_client']);
    const a = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer('svc-basic').setSubject('svc-basic').setAudience(`${h.base}/oauth2/token`).setExpirationTime('1m').setJti('j').sign(priv);
    const r2 = await grant(a);
    assert.deepEqual([r2.status, r2.body.error], [401, 'invalid_client']);
  });
});

describe('RFC 6749 5.2 error bodies', () => {
  let h: TokenHarness;
  before(async () => {
    h = await startTokenHarness();
    seed(h);
  });
  after(() => h.close());
  const url = () => `${h.base}/oauth2/token`;

  const expectError = (r: { status: number; headers: Headers; body: any }, status: number, error: string, description: string) => {
    assert.equal(r.status, status);
    assert.deepEqual(r.body, { error, error_description: description });
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(r.headers.get('cache-control'), 'no-store');
  };

  test('bad secret with Basic: 401 invalid_client with a Basic challenge', async () => {
    const r = await postForm(url(), { grant_type: 'client_credentials' }, { auth: ['svc-basic', 'wrong-secret'] });
    expectError(r, 401, 'invalid_client', 'client authentication failed');
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="fleetgate"');
  });

  test('unknown client (post): 401 invalid_client, no challenge', async () => {
    const r = await postForm(url(), { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'whatever-secret' });
    expectError(r, 401, 'invalid_client', 'client authentication failed');
    assert.equal(r.headers.get('www-authenticate'), null);
  });

  test('a method other than the client\'s: invalid_client', async () => {
    const r = await postForm(url(), { grant_type: 'client_credentials', client_id: 'svc-basic', client_secret: BASIC_SECRET });
    expectError(r, 401, 'invalid_client', 'client authentication failed');
    const r2 = await postForm(url(), { grant_type: 'client_credentials' }, { auth: ['svc-post', POST_SECRET] });
    expectError(r2, 401, 'invalid_client', 'client authentication failed');
    assert.equal(r2.headers.get('www-authenticate'), 'Basic realm="fleetgate"');
  });

  test('no client authentication at all: invalid_client', async () => {
    expectError(await postForm(url(), { grant_type: 'client_credentials' }), 401, 'invalid_client', 'client authentication failed');
  });

  test('a scope beyond the client\'s, or malformed: invalid_scope', async () => {
    expectError(await postForm(url(), { grant_type: 'client_credentials', scope: 'a admin' }, { auth: ['svc-basic', BASIC_SECRET] }), 400, 'invalid_scope', 'the requested scope exceeds the scopes granted to the client');
    expectError(await postForm(url(), { grant_type: 'client_credentials', scope: 'telemetry:read "q"' }, { auth: ['svc-basic', BASIC_SECRET] }), 400, 'invalid_scope', 'the scope parameter is malformed (RFC 6749 3.3)');
  });

  test('grant types: unsupported, missing', async () => {
    expectError(await postForm(url(), { grant_type: 'password', username: 'u', password: 'p' }, { auth: ['svc-basic', BASIC_SECRET] }), 400, 'unsupported_grant_type', 'only the client_credentials grant is supported');
    expectError(await postForm(url(), { scope: 'a' }, { auth: ['svc-basic', BASIC_SECRET] }), 400, 'invalid_request', 'grant_type is missing');
    expectError(await postForm(url(), 'grant_type=&scope=a', { auth: ['svc-basic', BASIC_SECRET] }), 400, 'invalid_request', 'grant_type is missing');
  });

  test('duplicate parameters, two methods at once, malformed form, wrong content type: invalid_request', async () => {
    expectError(
      await postForm(url(), 'grant_type=client_credentials&scope=a&scope=b', { auth: ['svc-basic', BASIC_SECRET] }),
      400,
      'invalid_request',
      'the parameter scope is given more than once',
    );
    expectError(
      await postForm(url(), { grant_type: 'client_credentials', client_id: 'svc-basic', client_secret: BASIC_SECRET }, { auth: ['svc-basic', BASIC_SECRET] }),
      400,
      'invalid_request',
      'more than one client authentication method in the request (RFC 6749 2.3)',
    );
    expectError(await postForm(url(), 'grant_type=client_credentials&scope=%zz', { auth: ['svc-basic', BASIC_SECRET] }), 400, 'invalid_request', 'the request body is not valid form encoding');
    expectError(
      await postForm(url(), '{"grant_type":"client_credentials"}', { auth: ['svc-basic', BASIC_SECRET], headers: { 'content-type': 'application/json' } }),
      400,
      'invalid_request',
      'the request body must be application/x-www-form-urlencoded',
    );
    expectError(
      await postForm(url(), { grant_type: 'client_credentials', client_id: 'other' }, { auth: ['svc-basic', BASIC_SECRET] }),
      400,
      'invalid_request',
      'client_id does not match the client of the Authorization header',
    );
  });

  test('Basic credentials are form-urlencoded (RFC 6749 2.3.1): a secret with spaces, + and : works', async () => {
    h.clients.add({ clientId: 'svc b+asic:x', scopes: ['z'] }, POST_SECRET);
    const r = await postForm(url(), { grant_type: 'client_credentials' }, { auth: ['svc b+asic:x', POST_SECRET] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.scope, 'z');
  });

  test('a registry that cannot decide: 503 temporarily_unavailable, never a token', async () => {
    h.clients.failing = true;
    try {
      const r = await postForm(url(), { grant_type: 'client_credentials' }, { auth: ['svc-basic', BASIC_SECRET] });
      expectError(r, 503, 'temporarily_unavailable', 'the authorization server cannot answer now; retry later');
      assert.equal(r.headers.get('retry-after'), '1');
    } finally {
      h.clients.failing = false;
    }
  });
});

describe('introspection and revocation', () => {
  let h: TokenHarness;
  before(async () => {
    h = await startTokenHarness();
    seed(h);
  });
  after(() => h.close());
  const introspect = (t: string, auth: [string, string] = ['svc-basic', BASIC_SECRET]) => postForm(`${h.base}/oauth2/introspect`, { token: t }, { auth });
  const revoke = (t: string, auth: [string, string] = ['svc-basic', BASIC_SECRET]) => postForm(`${h.base}/oauth2/revoke`, { token: t, token_type_hint: 'access_token' }, { auth });

  test('an active token of the caller\'s tenant is described; junk, foreign tenants and expired tokens are inactive', async () => {
    const t = await token(h, 'svc-basic', BASIC_SECRET, { scope: 'telemetry:read' });
    const r = await introspect(t);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const now = Math.floor(h.clock.now() / 1000);
    assert.deepEqual(r.body, {
      active: true,
      scope: 'telemetry:read',
      client_id: 'svc-basic',
      sub: 'sa-ingest',
      aud: 'fleetgate',
      iss: h.base,
      exp: now + 15 * 60,
      iat: now,
      nbf: now,
      jti: r.body.jti,
      token_type: 'Bearer',
      tenant: 'acme',
      roles: ['ingestor'],
      permissions: ['client.write'],
      groups: ['ops'],
    });
    // Another client of the same tenant may introspect it (client_secret_post this time).
    const byPost = await postForm(`${h.base}/oauth2/introspect`, { token: t, client_id: 'svc-post', client_secret: POST_SECRET });
    assert.equal(byPost.body.active, true);
    // A client of another tenant sees nothing.
    assert.deepEqual((await introspect(t, ['svc-other-tenant', 'globex-secret-000'])).body, { active: false });
    assert.deepEqual((await introspect('not-a-jwt')).body, { active: false });
    const tampered = t.slice(0, -4) + (t.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.deepEqual((await introspect(tampered)).body, { active: false });
    h.clock.advance(16 * MINUTE);
    assert.deepEqual((await introspect(t)).body, { active: false });
  });

  test('introspection needs client authentication and a token', async () => {
    const r = await postForm(`${h.base}/oauth2/introspect`, { token: 'x' });
    assert.deepEqual([r.status, r.body], [401, { error: 'invalid_client', error_description: 'client authentication failed' }]);
    const r2 = await postForm(`${h.base}/oauth2/introspect`, {}, { auth: ['svc-basic', BASIC_SECRET] });
    assert.deepEqual([r2.status, r2.body], [400, { error: 'invalid_request', error_description: 'token is missing' }]);
  });

  test('revocation: introspection says inactive and the verifier refuses, until the token expires; another client\'s revocation is ignored', async () => {
    const t = await token(h);
    const mine = await token(h, 'svc-post', POST_SECRET);
    // svc-basic revoking svc-post's token: 200, and nothing happens.
    const ignored = await revoke(mine);
    assert.equal(ignored.status, 200);
    assert.equal((await introspect(mine)).body.active, true);

    const r = await revoke(t);
    assert.equal(r.status, 200);
    assert.equal(r.body, undefined);
    assert.deepEqual((await introspect(t)).body, { active: false });
    await assert.rejects(h.verifier.verify(t), (e: unknown) => hasCode(e, 'ERR_INVALID_TOKEN') && (e as { data: { reason: string } }).data.reason === 'revoked');
    // A verifier that never saw the revocation (another shard or replica) refuses it too.
    const fresh = new BuiltInVerifier({
      keys: h.keys,
      revoked: h.storage.revokedTokens,
      audience: 'fleetgate',
      issuer: null,
      clock: h.clock,
      skewMs: 0,
    });
    await assert.rejects(fresh.verify(t), (e: unknown) => hasCode(e, 'ERR_INVALID_TOKEN'));
    // Revoking junk or again is fine (RFC 7009 2.2).
    assert.equal((await revoke('junk')).status, 200);
    assert.equal((await revoke(t)).status, 200);
    assert.ok(h.audit().some((l) => l.event === 'token.revoked' && l.clientId === 'svc-basic'));
  });
});

describe('the verifier', () => {
  let h: TokenHarness;
  before(async () => {
    h = await startTokenHarness({ issuer: 'https://auth.example.com' });
    seed(h);
  });
  after(() => h.close());

  test('the configured issuer is the iss of every token and is checked', async () => {
    const t = await token(h);
    const c = await h.verifier.verify(t);
    assert.equal(c.iss, 'https://auth.example.com');
    const m = await (await fetch(`${h.base}/.well-known/oauth-authorization-server`)).json() as Record<string, string>;
    assert.equal(m.issuer, 'https://auth.example.com');
    assert.equal(m.token_endpoint, 'https://auth.example.com/oauth2/token');
  });

  test('expired, not-yet-valid, unsigned, wrong audience and foreign keys are ERR_INVALID_TOKEN', async () => {
    const t = await token(h);
    const reason = (r: string) => (e: unknown) => hasCode(e, 'ERR_INVALID_TOKEN') && (e as { data: { reason: string } }).data.reason === r;
    h.clock.advance(16 * MINUTE);
    await assert.rejects(h.verifier.verify(t), reason('expired'));
    const [head, body] = t.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${body}.`;
    await assert.rejects(h.verifier.verify(unsigned), (e: unknown) => hasCode(e, 'ERR_INVALID_TOKEN'));
    const k = (await generateKeyPair('ES256')).privateKey;
    const kid = decodeProtectedHeader(t).kid!;
    const now = Math.floor(h.clock.now() / 1000);
    const forged = await new SignJWT({ client_id: 'x', scope: '', tenant: 'acme', roles: [], permissions: [], groups: [] })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).setIssuer('https://auth.example.com').setSubject('x').setAudience('fleetgate')
      .setIssuedAt(now).setExpirationTime(now + 60).setJti('forged').sign(k);
    await assert.rejects(h.verifier.verify(forged), reason('signature'));
    const unknownKid = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'nope', typ: 'at+jwt' }).setAudience('fleetgate').setExpirationTime(now + 60).sign(k);
    await assert.rejects(h.verifier.verify(unknownKid), reason('unknown key'));
    assert.ok(head);
  });
});

describe('failure limit', () => {
  let h: TokenHarness;
  before(async () => {
    h = await startTokenHarness({ maxFailures: 3, windowMs: 60_000 });
    seed(h);
  });
  after(() => h.close());

  test('after maxFailures failed authentications of a client: 429 slow_down with Retry-After, even with the right secret; over after the window', async () => {
    const url = `${h.base}/oauth2/token`;
    for (let i = 0; i < 3; i++) {
      const r = await postForm(url, { grant_type: 'client_credentials' }, { auth: ['svc-basic', `wrong-${i}-secret`] });
      assert.equal(r.status, 401);
    }
    const r = await postForm(url, { grant_type: 'client_credentials' }, { auth: ['svc-basic', BASIC_SECRET] });
    assert.equal(r.status, 429);
    assert.deepEqual(r.body, { error: 'slow_down', error_description: 'too many failed client authentications; retry later' });
    assert.equal(r.headers.get('retry-after'), '60');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    h.clock.advance(30_000);
    assert.equal((await postForm(url, { grant_type: 'client_credentials' }, { auth: ['svc-basic', BASIC_SECRET] })).headers.get('retry-after'), '30');
    h.clock.advance(30_001);
    assert.equal((await postForm(url, { grant_type: 'client_credentials' }, { auth: ['svc-basic', BASIC_SECRET] })).status, 200);
    assert.ok(h.audit().some((l) => l.event === 'client.limited' && l.clientId === 'svc-basic'));
  });

  test('per source address: failures spread over unknown clients block the address for every client', async () => {
    const url = `${h.base}/oauth2/token`;
    // Another address (behind the trusted loopback proxy) is unaffected.
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    for (let i = 0; i < 3; i++) {
      const r = await postForm(url, { grant_type: 'client_credentials', client_id: `ghost-${i}`, client_secret: 'whatever-secret' }, { headers: from('203.0.113.9') });
      assert.equal(r.status, 401);
    }
    const blocked = await postForm(url, { grant_type: 'client_credentials' }, { auth: ['svc-basic', BASIC_SECRET], headers: from('203.0.113.9') });
    assert.equal(blocked.status, 429);
    const other = await postForm(url, { grant_type: 'client_credentials' }, { auth: ['svc-basic', BASIC_SECRET], headers: from('203.0.113.10') });
    assert.equal(other.status, 200);
  });
});

describe('HTTPS required', () => {
  test('plain HTTP is refused; X-Forwarded-Proto https counts only from a trusted proxy', async () => {
    const trusted = await startTokenHarness({ requireHttps: true });
    const untrusted = await startTokenHarness({ requireHttps: true, trustedProxies: ['10.9.9.9'] });
    try {
      for (const h of [trusted, untrusted]) seed(h);
      const form = { grant_type: 'client_credentials' };
      const plain = await postForm(`${trusted.base}/oauth2/token`, form, { auth: ['svc-basic', BASIC_SECRET] });
      assert.deepEqual([plain.status, plain.body], [400, { error: 'invalid_request', error_description: 'HTTPS required' }]);
      const viaProxy = await postForm(`${trusted.base}/oauth2/token`, form, { auth: ['svc-basic', BASIC_SECRET], headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'auth.example.com' } });
      assert.equal(viaProxy.status, 200, JSON.stringify(viaProxy.body));
      assert.equal((await trusted.verifier.verify(viaProxy.body.access_token)).iss, 'https://auth.example.com');
      const spoofed = await postForm(`${untrusted.base}/oauth2/token`, form, { auth: ['svc-basic', BASIC_SECRET], headers: { 'x-forwarded-proto': 'https' } });
      assert.deepEqual([spoofed.status, spoofed.body.error_description], [400, 'HTTPS required']);
      for (const path of ['/oauth2/introspect', '/oauth2/revoke']) {
        const r = await postForm(`${trusted.base}${path}`, { token: 'x' }, { auth: ['svc-basic', BASIC_SECRET] });
        assert.deepEqual([r.status, r.body.error_description], [400, 'HTTPS required']);
      }
    } finally {
      await trusted.close();
      await untrusted.close();
    }
  });
});

describe('signing keys', () => {
  test('rotation publishes both keys; a token of the previous key verifies until the overlap ends', async () => {
    const h = await startTokenHarness({ rotationMs: 10 * DAY, overlapMs: 1 * DAY, refreshMs: 5000 });
    try {
      seed(h);
      const jwks = async () => ((await (await fetch(`${h.base}/oauth2/jwks`)).json()) as { keys: Array<Record<string, unknown>> }).keys;
      const first = await jwks();
      assert.equal(first.length, 1);
      assert.deepEqual(Object.keys(first[0]!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      const oldToken = await token(h);
      const oldKid = decodeProtectedHeader(oldToken).kid;
      assert.equal(oldKid, first[0]!.kid);

      h.clock.advance(10 * DAY);
      await h.keys.refresh();
      const both = await jwks();
      assert.deepEqual(both.map((k) => k.kid).sort(), [oldKid, both.find((k) => k.kid !== oldKid)!.kid].sort());
      assert.equal(both.length, 2);
      // The new key is published before it signs: every replica sees it first.
      assert.equal(decodeProtectedHeader(await token(h)).kid, oldKid);
      // Inside two refresh periods a shard may still sign from its copy (re-read meanwhile in
      // the background): the new key signs from 2 x refreshMs on.
      h.clock.advance(5000);
      assert.equal(decodeProtectedHeader(await token(h)).kid, oldKid);
      h.clock.advance(5000);
      const newToken = await token(h);
      const newKid = decodeProtectedHeader(newToken).kid;
      assert.notEqual(newKid, oldKid);
      assert.ok(h.audit().some((l) => l.event === 'signing-key.created' && l.kid === newKid && l.replaces === oldKid));

      // Tokens are capped at the overlap, so the previous key outlives every token it signed.
      assert.equal((await h.verifier.verify(newToken)).exp - (await h.verifier.verify(newToken)).iat, 15 * 60);
      const remote = createRemoteJWKSet(new URL(`${h.base}/oauth2/jwks`));
      await jwtVerify(newToken, remote, { currentDate: new Date(h.clock.now()) });

      h.clock.advance(1 * DAY + 5001);
      await h.keys.refresh();
      assert.deepEqual((await jwks()).map((k) => k.kid), [newKid]);
      await assert.rejects(h.verifier.verify(oldToken), (e: unknown) => hasCode(e, 'ERR_INVALID_TOKEN'));
    } finally {
      await h.close();
    }
  });

  test('a token signed just before the rotation still verifies after it, on a verifier that reloads', async () => {
    const h = await startTokenHarness({ rotationMs: 1 * DAY, overlapMs: 1 * DAY });
    try {
      seed(h);
      h.clients.add({ clientId: 'hourly', scopes: [], accessTokenTtlMinutes: 60 }, 'hourly-secret-000');
      h.clock.advance(1 * DAY - 10 * MINUTE);
      await h.keys.refresh(); // not due yet
      const old = await token(h, 'hourly', 'hourly-secret-000');
      h.clock.advance(10 * MINUTE);
      await h.keys.refresh(); // rotated
      h.clock.advance(10_000);
      const fresh = await token(h, 'hourly', 'hourly-secret-000');
      assert.notEqual(decodeProtectedHeader(fresh).kid, decodeProtectedHeader(old).kid);
      h.clock.advance(30 * MINUTE);
      const other = h.otherKeys();
      const verifier = new BuiltInVerifier({ keys: other, revoked: h.storage.revokedTokens, audience: 'fleetgate', issuer: null, clock: h.clock, skewMs: 0 });
      assert.equal((await verifier.verify(old)).client_id, 'hourly');
      assert.equal((await verifier.verify(fresh)).client_id, 'hourly');
      h.clock.advance(21 * MINUTE);
      await assert.rejects(verifier.verify(old), (e: unknown) => hasCode(e, 'ERR_INVALID_TOKEN'));
    } finally {
      await h.close();
    }
  });

  test('racing creators (several shards, several replicas) end with one head key; other replicas see a rotation', async () => {
    const h = await startTokenHarness({ rotationMs: 1 * DAY, overlapMs: 1 * DAY });
    try {
      seed(h);
      h.clock.advance(1 * DAY);
      const replicas = [h.otherKeys(), h.otherKeys(), h.otherKeys(), h.keys];
      await Promise.all(replicas.map((k) => k.refresh()));
      const stored = await h.storage.signingKeys.list();
      assert.equal(stored.filter((k) => k.retiresAt === null).length, 1, JSON.stringify(stored.map((k) => [k.kid, k.retiresAt])));
      assert.equal(stored.length, 2);
      h.clock.advance(5000);
      const kids = await Promise.all(replicas.map(async (k) => (await k.current()).kid));
      assert.equal(new Set(kids).size, 1);
      // A token signed by one replica verifies on a verifier of another that has not reloaded yet.
      const t = await token(h);
      assert.equal(decodeProtectedHeader(t).kid, kids[0]);
      assert.equal(stored.every((k) => !JSON.stringify(k).includes('"d"')), true, 'no clear private key in storage');
    } finally {
      await h.close();
    }
  });

  test('a copy older than refreshMs keeps signing while storage is re-read; one twice as old is waited for', async () => {
    const h = await startTokenHarness({ refreshMs: 5000 });
    try {
      const repo = h.storage.signingKeys;
      let gate: Promise<void> = Promise.resolve();
      let reads = 0;
      const held = new Proxy(repo, {
        get(target, prop) {
          if (prop === 'list') {
            return async () => {
              reads++;
              await gate;
              return target.list();
            };
          }
          const v = Reflect.get(target, prop) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      const keys = h.otherKeys({ repo: held });
      await keys.refresh();
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      const within = (p: Promise<unknown>) => Promise.race([p.then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 300))]);

      h.clock.advance(6000);
      const before = reads;
      assert.equal(await within(keys.current()), 'answered', 'past refreshMs: the copy signs at once');
      assert.equal(reads, before + 1, 'and one read is under way');
      h.clock.advance(5000);
      const late = keys.current();
      assert.equal(await within(late), 'waiting', 'past twice refreshMs: the read is waited for');
      open();
      assert.equal((await late).alg, 'ES256');
    } finally {
      await h.close();
    }
  });

  test('changing the algorithm makes a key of the new algorithm; the old one stays published for the overlap', async () => {
    const h = await startTokenHarness({ overlapMs: 1 * DAY });
    try {
      seed(h);
      const before = await token(h);
      const rsa = h.otherKeys({ alg: 'RS256' });
      await rsa.refresh();
      h.clock.advance(10_000);
      const cur = await rsa.current();
      assert.equal(cur.alg, 'RS256');
      const published = (await rsa.jwks()).keys;
      assert.deepEqual(published.map((k) => k.alg).sort(), ['ES256', 'RS256']);
      await h.keys.refresh();
      assert.ok(await h.verifier.verify(before));
    } finally {
      await h.close();
    }
  });
});
