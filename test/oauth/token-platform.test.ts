/**
 * The token service inside the whole platform (two shard workers, the client registry actors,
 * the hashing pool, embedded storage, the in-process bus), from outside with real clients:
 * openid-client for discovery and the grant (basic and post), jose verifying against
 * /oauth2/jwks, private_key_jwt, introspection and revocation, the failure limit counted by
 * the limiter actors whichever shard a request lands on, and the bus notices between replicas.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import * as oidc from 'openid-client';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startTestPlatform, type TestPlatform } from '../credentials/harness.js';
import { AUTH_FAILURE_SUBJECT } from '../../actors/oauth/token/limiter.js';
import { postForm } from './token-helpers.js';

const BASIC = 'it-basic-secret-0123456789';
const POST = 'it-post-secret-0123456789';

describe('token service in the platform', () => {
  let p: TestPlatform;
  let priv: CryptoKey;
  before(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    priv = pair.privateKey as CryptoKey;
    const pub = { ...(await exportJWK(pair.publicKey)), kid: 'it-k1', alg: 'ES256', use: 'sig' };
    const dir = mkdtempSync(join(tmpdir(), 'fleetgate-token-it-'));
    const seedFile = join(dir, 'seed.json');
    process.env.FG_IT_BASIC_SECRET = BASIC;
    process.env.FG_IT_POST_SECRET = POST;
    writeFileSync(
      seedFile,
      JSON.stringify({
        roles: { ingestor: ['ingest:write'] },
        groups: ['ops'],
        permissions: ['ingest:write'],
        clients: {
          confidential: [
            { client_id: 'it-basic', client_secret_env_var_name: 'FG_IT_BASIC_SECRET', scope: 'ingest:write ingest:read', access_token_ttl_minutes: 10, tenant: 'acme' },
            { client_id: 'it-post', client_secret_env_var_name: 'FG_IT_POST_SECRET', client_authentication_method: 'client_secret_post', scope: 'x', tenant: 'acme' },
            { client_id: 'it-jwt', client_authentication_method: 'private_key_jwt', scope: 'x y', jwks: { keys: [pub] }, tenant: 'acme' },
          ],
        },
        serviceAccounts: [{ id: 'sa-it', name: 'ingest', clientId: 'it-basic', roles: ['ingestor'], groups: ['ops'], tenant: 'acme' }],
      }),
    );
    p = await startTestPlatform({ 'oauth.seedFile': seedFile, 'oauth.rateLimit.maxFailures': 4, 'auth.admin.bootstrap': false }, dir);
  });
  after(async () => {
    await p.stop();
  });

  test('openid-client: discovery, client_secret_basic and client_secret_post; jose verifies every claim against /oauth2/jwks', async () => {
    const basic = await oidc.discovery(new URL(p.base), 'it-basic', undefined, oidc.ClientSecretBasic(BASIC), { execute: [oidc.allowInsecureRequests], algorithm: 'oauth2' });
    const jwks = createRemoteJWKSet(new URL(`${p.base}/oauth2/jwks`));
    // Several grants: the two shards answer in turn and sign with the same stored key.
    const tokens = await Promise.all([1, 2, 3, 4].map(() => oidc.clientCredentialsGrant(basic, { scope: 'ingest:write' })));
    for (const t of tokens) {
      assert.equal(t.expires_in, 600);
      const { payload, protectedHeader } = await jwtVerify(t.access_token, jwks, { issuer: p.base, audience: 'fleetgate', typ: 'at+jwt' });
      assert.equal(protectedHeader.alg, 'ES256');
      assert.equal(payload.sub, 'sa-it');
      assert.equal(payload.client_id, 'it-basic');
      assert.equal(payload.scope, 'ingest:write');
      assert.equal(payload.tenant, 'acme');
      assert.deepEqual(payload.roles, ['ingestor']);
      assert.ok((payload.permissions as string[]).includes('ingest:write'));
      assert.deepEqual(payload.groups, ['ops']);
      assert.equal((payload.exp as number) - (payload.iat as number), 600);
    }
    assert.equal(new Set(tokens.map((t) => t.access_token)).size, 4);

    const post = await oidc.discovery(new URL(p.base), 'it-post', undefined, oidc.ClientSecretPost(POST), { execute: [oidc.allowInsecureRequests], algorithm: 'oauth2' });
    const t = await oidc.clientCredentialsGrant(post);
    assert.equal(t.scope, 'x');
    const intro = await oidc.tokenIntrospection(post, t.access_token);
    assert.equal(intro.active, true);
    assert.equal(intro.client_id, 'it-post');
    await oidc.tokenRevocation(post, t.access_token);
    assert.equal((await oidc.tokenIntrospection(post, t.access_token)).active, false);
  });

  test('private_key_jwt with a jose-made assertion; the same assertion again is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const a = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'it-k1' }).setIssuer('it-jwt').setSubject('it-jwt').setAudience(`${p.base}/oauth2/token`)
      .setIssuedAt(now).setExpirationTime(now + 60).setJti(crypto.randomUUID()).sign(priv);
    const form = { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a };
    const r = await postForm(`${p.base}/oauth2/token`, form);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.scope, 'x y');
    const again = await postForm(`${p.base}/oauth2/token`, form);
    assert.deepEqual([again.status, again.body], [401, { error: 'invalid_client', error_description: 'client authentication failed' }]);
  });

  test('RFC 6749 errors through the whole platform: bad secret (Basic challenge), wrong method, bad scope', async () => {
    const bad = await postForm(`${p.base}/oauth2/token`, { grant_type: 'client_credentials' }, { auth: ['it-post', 'nope-nope-nope'], headers: { 'x-forwarded-for': '198.51.100.7' } });
    assert.deepEqual([bad.status, bad.body, bad.headers.get('www-authenticate')], [401, { error: 'invalid_client', error_description: 'client authentication failed' }, 'Basic realm="fleetgate"']);
    const scope = await postForm(`${p.base}/oauth2/token`, { grant_type: 'client_credentials', scope: 'admin' }, { auth: ['it-basic', BASIC] });
    assert.deepEqual([scope.status, scope.body.error], [400, 'invalid_scope']);
  });

  test('the verifier is provided to the other modules and refuses a revoked token (admin API and introspection)', async () => {
    const t = await postForm(`${p.base}/oauth2/token`, { grant_type: 'client_credentials' }, { auth: ['it-basic', BASIC] });
    assert.equal(t.status, 200);
    // An admin route the token's permissions do not cover: authenticated (403), not refused (401).
    const admin = async () => (await fetch(`${p.base}/api/v1/basic-credentials`, { headers: { authorization: `Bearer ${t.body.access_token}` } })).status;
    assert.equal(await admin(), 403);
    const rv = await postForm(`${p.base}/oauth2/revoke`, { token: t.body.access_token }, { auth: ['it-basic', BASIC] });
    assert.equal(rv.status, 200);
    const i = await postForm(`${p.base}/oauth2/introspect`, { token: t.body.access_token }, { auth: ['it-basic', BASIC] });
    assert.deepEqual(i.body, { active: false });
    assert.equal(await admin(), 401);
  });

  test('the failure limit holds across shards: 429 with Retry-After after maxFailures, whichever shard answers', async () => {
    const from = { 'x-forwarded-for': '198.51.100.20' };
    for (let i = 0; i < 4; i++) {
      const r = await postForm(`${p.base}/oauth2/token`, { grant_type: 'client_credentials' }, { auth: ['it-basic', `wrong-${i}-xxxxxxxx`], headers: { 'x-forwarded-for': `198.51.100.${30 + i}` } });
      assert.equal(r.status, 401);
    }
    // Fresh connections each time (fetch may reuse one): the limit is the actors', not a shard's.
    for (let i = 0; i < 4; i++) {
      const r = await postForm(`${p.base}/oauth2/token`, { grant_type: 'client_credentials' }, { auth: ['it-basic', BASIC], headers: { ...from, connection: 'close' } });
      assert.equal(r.status, 429, JSON.stringify(r.body));
      assert.deepEqual(r.body, { error: 'slow_down', error_description: 'too many failed client authentications; retry later' });
      assert.ok(Number(r.headers.get('retry-after')) >= 1 && Number(r.headers.get('retry-after')) <= 60);
    }
  });

  test('failures announced on the bus by another replica count here', async () => {
    const enc = new TextEncoder();
    const ok = await postForm(`${p.base}/oauth2/token`, { grant_type: 'client_credentials', client_id: 'it-post', client_secret: POST });
    assert.equal(ok.status, 200);
    for (let i = 0; i < 4; i++) {
      p.platform.bus.publish(AUTH_FAILURE_SUBJECT, enc.encode(JSON.stringify({ replica: 'other-replica', keys: ['client:it-post'], at: Date.now() })));
    }
    await p.platform.bus.flush();
    let status = 0;
    for (let i = 0; i < 50 && status !== 429; i++) {
      status = (await postForm(`${p.base}/oauth2/token`, { grant_type: 'client_credentials', client_id: 'it-post', client_secret: POST })).status;
    }
    assert.equal(status, 429);
  });

});
