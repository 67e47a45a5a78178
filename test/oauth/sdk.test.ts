/**
 * The calling-service SDK against a small token server written here on node:http (every rule
 * of the client side: both authentication methods, single flight, refresh ahead of expiry on
 * an injected clock, RFC 6749 5.2 errors, backoff, discovery, the 401 retry, close), and, when
 * the platform's token service is present, against the real platform's POST /oauth2/token.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createTokenSource, OAuthSdkCodes, TokenRequestError, type TokenSourceOptions } from '../../transports/oauth-sdk/index.js';
import { startTestPlatform, type TestPlatform } from '../credentials/harness.js';

const CLIENT_ID = 'svc:reporting';
const SECRET = 'p@ss:wörd+/ &=x';

interface TokenCall {
  readonly authorization: string | undefined;
  readonly form: URLSearchParams;
}

type Answer = (call: TokenCall, n: number) => { status: number; body: unknown; headers?: Record<string, string>; delay?: Promise<void> };

/** A token server: POST /token answers with `answer`, GET metadata, and /api checks the bearer. */
class TokenServer {
  readonly server: Server;
  readonly calls: TokenCall[] = [];
  readonly apiCalls: Array<{ authorization: string | undefined; body: string }> = [];
  answer: Answer = (_c, n) => ({ status: 200, body: { access_token: `tok-${n}`, token_type: 'Bearer', expires_in: 600 } });
  /** Tokens /api refuses with 401 invalid_token. */
  readonly refused = new Set<string>();
  /** Path component of the issuer (RFC 8414 3.1 test). */
  issuerPath = '';
  metadataIssuer: string | undefined;
  port = 0;

  constructor() {
    this.server = createServer((req, res) => void this.#handle(req, res));
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  reset(): void {
    this.calls.length = 0;
    this.apiCalls.length = 0;
    this.refused.clear();
    this.answer = (_c, n) => ({ status: 200, body: { access_token: `tok-${n}`, token_type: 'Bearer', expires_in: 600 } });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === `/.well-known/oauth-authorization-server${this.issuerPath}`) {
      const issuer = this.metadataIssuer ?? `${this.base}${this.issuerPath}`;
      return json(res, 200, { issuer, token_endpoint: `${this.base}/token`, token_endpoint_auth_methods_supported: ['client_secret_basic'] });
    }
    if (req.method === 'POST' && url === '/token') {
      const call = { authorization: req.headers.authorization, form: new URLSearchParams(body) };
      this.calls.push(call);
      const a = this.answer(call, this.calls.length);
      await a.delay;
      return json(res, a.status, a.body, a.headers);
    }
    if (url === '/api') {
      this.apiCalls.push({ authorization: req.headers.authorization, body });
      const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      if (this.refused.has(token)) {
        return json(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="revoked"' });
      }
      if (token === 'no-challenge') return json(res, 401, {});
      return json(res, 200, { echo: body });
    }
    json(res, 404, {});
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** RFC 6749 2.3.1, the server side: split, then form-decode each half. */
function decodeBasic(header: string | undefined): [string, string] {
  if (header === undefined || !header.startsWith('Basic ')) assert.fail(`Basic authorization expected, got ${String(header)}`);
  const pair = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const i = pair.indexOf(':');
  const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return [dec(pair.slice(0, i)), dec(pair.slice(i + 1))];
}

class FakeClock {
  t = 1_700_000_000_000;
  now = (): number => this.t;
}

/** Waits (polling, bounded) until `f` holds: for a background refresh to land. */
async function until(f: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await f()) return;
    await sleep(2);
  }
  assert.fail(`never happened: ${what}`);
}

describe('oauth SDK: token source against a local token server', () => {
  const srv = new TokenServer();
  let clock: FakeClock;
  const source = (o: Partial<TokenSourceOptions> = {}) =>
    createTokenSource({ tokenUrl: `${srv.base}/token`, clientId: CLIENT_ID, clientSecret: SECRET, clock: clock.now, random: () => 1, ...o });

  before(() => srv.start());
  after(() => new Promise<void>((r) => srv.server.close(() => r())));
  const fresh = () => {
    srv.reset();
    clock = new FakeClock();
  };

  it('client_secret_basic: form-encoded id and secret, grant and scope in the body, token cached', async () => {
    fresh();
    const s = source({ scope: ['devices.read', 'devices.write'] });
    assert.equal(await s.token(), 'tok-1');
    assert.equal(await s.token(), 'tok-1');
    assert.equal(srv.calls.length, 1);
    const c = srv.calls[0]!;
    assert.deepEqual(decodeBasic(c.authorization), [CLIENT_ID, SECRET]);
    assert.deepEqual([...c.form.entries()], [['grant_type', 'client_credentials'], ['scope', 'devices.read devices.write']]);
  });

  it('client_secret_post: credentials in the body, no Authorization header, no scope when none asked', async () => {
    fresh();
    const s = source({ authMethod: 'client_secret_post' });
    assert.equal(await s.token(), 'tok-1');
    const c = srv.calls[0]!;
    assert.equal(c.authorization, undefined);
    assert.deepEqual(Object.fromEntries(c.form), { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: SECRET });
  });

  it('single flight: 200 concurrent callers cause one request and all get its token', async () => {
    fresh();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    srv.answer = (_c, n) => ({ status: 200, body: { access_token: `tok-${n}`, token_type: 'bearer', expires_in: 600 }, delay: gate });
    const s = source();
    const all = Promise.all(Array.from({ length: 200 }, () => s.token()));
    await until(() => srv.calls.length === 1, 'the request arrived');
    release();
    const tokens = await all;
    assert.deepEqual(new Set(tokens), new Set(['tok-1']));
    assert.equal(srv.calls.length, 1);
  });

  it('refreshes ahead of expiry: default skew min(60 s, 10 %), the old token served while one request runs', async () => {
    fresh();
    const s = source();
    const t0 = clock.t;
    assert.equal(await s.token(), 'tok-1'); // expires_in 600 s: skew 60 s, refresh at 540 s
    clock.t = t0 + 539_999;
    assert.equal(await s.token(), 'tok-1');
    assert.equal(srv.calls.length, 1);
    clock.t = t0 + 540_000;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    srv.answer = (_c, n) => ({ status: 200, body: { access_token: `tok-${n}`, token_type: 'Bearer', expires_in: 100 }, delay: gate });
    assert.equal(await s.token(), 'tok-1', 'still valid: served at once');
    assert.equal(await s.token(), 'tok-1');
    await until(() => srv.calls.length === 2, 'the background request arrived');
    release();
    await until(async () => (await s.token()) === 'tok-2', 'the new token is served');
    assert.equal(srv.calls.length, 2);
    // expires_in 100 s: 10 % = 10 s skew, so refresh at 90 s after the request was sent.
    const sent = clock.t;
    clock.t = sent + 89_999;
    assert.equal(await s.token(), 'tok-2');
    assert.equal(srv.calls.length, 2);
  });

  it('a caller with no valid token waits for the request; an explicit skew is capped at half the lifetime', async () => {
    fresh();
    const s = source({ refreshSkewMs: 1_000_000 });
    const t0 = clock.t;
    assert.equal(await s.token(), 'tok-1'); // 600 s lifetime, skew capped to 300 s
    clock.t = t0 + 299_999;
    assert.equal(await s.token(), 'tok-1');
    assert.equal(srv.calls.length, 1);
    clock.t = t0 + 600_000; // expired: must wait for the new one
    assert.equal(await s.token(), 'tok-2');
  });

  it('without expires_in the JWT exp - iat gives the lifetime', async () => {
    fresh();
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({ iat: 1000, exp: 1200 })}.sig`;
    srv.answer = () => ({ status: 200, body: { access_token: jwt, token_type: 'Bearer' } });
    const s = source({ refreshSkewMs: 0 });
    const t0 = clock.t;
    assert.equal(await s.token(), jwt);
    clock.t = t0 + 199_999;
    await s.token();
    assert.equal(srv.calls.length, 1);
    clock.t = t0 + 200_000;
    await s.token();
    assert.equal(srv.calls.length, 2);
  });

  it('an RFC 6749 5.2 error is a TokenRequestError with error, description and status, and never the secret', async () => {
    fresh();
    srv.answer = () => ({
      status: 401,
      body: { error: 'invalid_client', error_description: 'client authentication failed' },
      headers: { 'www-authenticate': 'Basic realm="fleetgate"' },
    });
    const s = source();
    const err = await s.token().then(() => assert.fail('resolved'), (e: unknown) => e);
    assert.ok(err instanceof TokenRequestError);
    assert.equal(err.code, 'ERR_TOKEN_REQUEST');
    assert.equal(err.error, 'invalid_client');
    assert.equal(err.errorDescription, 'client authentication failed');
    assert.equal(err.status, 401);
    assert.equal(err.message, 'token request refused with HTTP 401 invalid_client: client authentication failed');
    assert.ok(!JSON.stringify({ m: err.message, d: err.data, s: err.stack }).includes(SECRET));
  });

  it('backs off after failures: callers in the window get the last error without a request; doubling, bounded', async () => {
    fresh();
    srv.answer = () => ({ status: 400, body: { error: 'invalid_scope' } });
    const s = source({ backoff: { initialMs: 1000, maxMs: 3000 } });
    const first = await s.token().catch((e: unknown) => e);
    assert.equal((first as TokenRequestError).error, 'invalid_scope');
    assert.equal(srv.calls.length, 1);
    clock.t += 999;
    assert.equal(await s.token().catch((e: unknown) => e), first, 'the same error, no new request');
    assert.equal(srv.calls.length, 1);
    clock.t += 1; // 1 s after the first failure
    await s.token().catch(() => undefined);
    assert.equal(srv.calls.length, 2);
    clock.t += 1999; // second failure: 2 s
    await s.token().catch(() => undefined);
    assert.equal(srv.calls.length, 2);
    clock.t += 1;
    await s.token().catch(() => undefined);
    assert.equal(srv.calls.length, 3);
    clock.t += 2999; // third failure: 4 s nominal, capped at 3 s
    await s.token().catch(() => undefined);
    assert.equal(srv.calls.length, 3);
    clock.t += 1;
    srv.answer = (_c, n) => ({ status: 200, body: { access_token: `tok-${n}`, token_type: 'Bearer', expires_in: 600 } });
    assert.equal(await s.token(), 'tok-4', 'a success ends the backoff');
  });

  it('429 with Retry-After: no new request before the server said', async () => {
    fresh();
    srv.answer = () => ({ status: 429, body: { error: 'slow_down' }, headers: { 'retry-after': '5' } });
    const s = source({ backoff: { initialMs: 100, maxMs: 60_000 } });
    const e = (await s.token().catch((x: unknown) => x)) as TokenRequestError;
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterMs, 5000);
    clock.t += 4999;
    await s.token().catch(() => undefined);
    assert.equal(srv.calls.length, 1);
    clock.t += 1;
    await s.token().catch(() => undefined);
    assert.equal(srv.calls.length, 2);
  });

  it('a 200 that is not a Bearer token answer, or an oversized one, is ERR_TOKEN_RESPONSE', async () => {
    fresh();
    srv.answer = () => ({ status: 200, body: { access_token: 'x', token_type: 'MAC', expires_in: 60 } });
    await assert.rejects(source().token(), { code: OAuthSdkCodes.TOKEN_RESPONSE, message: 'the token type is "MAC", not Bearer' });
    srv.answer = () => ({ status: 200, body: { token_type: 'Bearer' } });
    await assert.rejects(source().token(), { code: OAuthSdkCodes.TOKEN_RESPONSE, message: 'the token answer has no access_token' });
    srv.answer = () => ({ status: 200, body: { access_token: 'x', token_type: 'Bearer', expires_in: -5 } });
    await assert.rejects(source().token(), { code: OAuthSdkCodes.TOKEN_RESPONSE, message: 'expires_in is not a positive number of seconds' });
    srv.answer = () => ({ status: 200, body: { access_token: 'x'.repeat(70_000), token_type: 'Bearer' } });
    await assert.rejects(source().token(), { code: OAuthSdkCodes.TOKEN_RESPONSE });
    srv.answer = () => ({ status: 502, body: '<html>bad gateway</html>' });
    await assert.rejects(source().token(), { code: 'ERR_TOKEN_REQUEST', error: 'http_502', status: 502 });
  });

  it('an unreachable endpoint is ERR_TOKEN_NETWORK naming the URL, not the secret', async () => {
    fresh();
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const port = (dead.address() as { port: number }).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const s = source({ tokenUrl: `http://127.0.0.1:${port}/token` });
    const e = (await s.token().catch((x: unknown) => x)) as Error & { code: string };
    assert.equal(e.code, OAuthSdkCodes.NETWORK);
    assert.equal(e.message, `token endpoint http://127.0.0.1:${port}/token could not be reached: ECONNREFUSED`);
    assert.ok(!e.message.includes(SECRET));
  });

  it('discovery: RFC 8414 metadata URL with the issuer path, token endpoint used, issuer mismatch refused', async () => {
    fresh();
    srv.issuerPath = '/tenants/acme';
    try {
      const s = source({ tokenUrl: undefined, issuer: `${srv.base}/tenants/acme` });
      assert.equal(await s.token(), 'tok-1');
      assert.equal(await s.token(), 'tok-1');
      srv.metadataIssuer = 'https://evil.example';
      const bad = source({ tokenUrl: undefined, issuer: `${srv.base}/tenants/acme` });
      await assert.rejects(bad.token(), {
        code: OAuthSdkCodes.DISCOVERY,
        message: `${srv.base}/.well-known/oauth-authorization-server/tenants/acme names issuer "https://evil.example", not "${srv.base}/tenants/acme" (RFC 8414 3.3)`,
      });
      srv.metadataIssuer = undefined;
      const post = source({ tokenUrl: undefined, issuer: `${srv.base}/tenants/acme`, authMethod: 'client_secret_post' });
      await assert.rejects(post.token(), { code: OAuthSdkCodes.DISCOVERY });
      assert.equal(srv.calls.length, 1, 'no credentials sent after a failed discovery');
    } finally {
      srv.issuerPath = '';
      srv.metadataIssuer = undefined;
    }
  });

  it('authorizedFetch: bearer added; a 401 invalid_token drops that token and retries once, body replayed', async () => {
    fresh();
    const s = source();
    srv.refused.add('tok-1');
    const res = await s.authorizedFetch(`${srv.base}/api`, { method: 'POST', body: 'payload-1', headers: { 'x-trace': 't' } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { echo: 'payload-1' });
    assert.deepEqual(srv.apiCalls, [
      { authorization: 'Bearer tok-1', body: 'payload-1' },
      { authorization: 'Bearer tok-2', body: 'payload-1' },
    ]);
    assert.equal(await s.token(), 'tok-2');
    // Refused again after the retry: the 401 is the answer, no loop.
    srv.refused.add('tok-2');
    srv.refused.add('tok-3');
    const again = await s.authorizedFetch(`${srv.base}/api`);
    assert.equal(again.status, 401);
    assert.equal(srv.apiCalls.length, 4);
    assert.equal(srv.calls.length, 3);
  });

  it('authorizedFetch: a 401 without an invalid_token challenge is returned as is', async () => {
    fresh();
    srv.answer = () => ({ status: 200, body: { access_token: 'no-challenge', token_type: 'Bearer', expires_in: 600 } });
    const s = source();
    const res = await s.authorizedFetch(`${srv.base}/api`);
    assert.equal(res.status, 401);
    assert.equal(srv.apiCalls.length, 1);
    assert.equal(srv.calls.length, 1);
  });

  it('invalidate(token) drops only that token; invalidate() drops whatever is held', async () => {
    fresh();
    const s = source();
    assert.equal(await s.token(), 'tok-1');
    s.invalidate('some-older-token');
    assert.equal(await s.token(), 'tok-1');
    s.invalidate('tok-1');
    assert.equal(await s.token(), 'tok-2');
    s.invalidate();
    assert.equal(await s.token(), 'tok-3');
  });

  it('close(): the waiting caller and every later one get ERR_TOKEN_SOURCE_CLOSED', async () => {
    fresh();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    srv.answer = (_c, n) => ({ status: 200, body: { access_token: `tok-${n}`, token_type: 'Bearer', expires_in: 600 }, delay: gate });
    const s = source();
    const waiting = s.token();
    await until(() => srv.calls.length === 1, 'the request arrived');
    s.close();
    await assert.rejects(waiting, { code: OAuthSdkCodes.CLOSED, message: 'the token source is closed' });
    await assert.rejects(s.token(), { code: OAuthSdkCodes.CLOSED });
    release();
  });

  it('misuse is a TypeError at construction, without the secret in it', () => {
    const base = { tokenUrl: 'http://127.0.0.1:1/token', clientId: 'c', clientSecret: SECRET };
    const bad: Array<[Partial<TokenSourceOptions>, RegExp]> = [
      [{ tokenUrl: undefined }, /exactly one of tokenUrl and issuer/],
      [{ issuer: 'http://127.0.0.1:1' }, /exactly one of tokenUrl and issuer/],
      [{ tokenUrl: 'ftp://x/token' }, /tokenUrl must be an http\(s\) URL/],
      [{ tokenUrl: 'http://u:p@x/token' }, /without credentials/],
      [{ clientId: '' }, /clientId must be a non-empty string/],
      [{ clientSecret: '' }, /clientSecret must be a non-empty string/],
      [{ authMethod: 'private_key_jwt' as never }, /authMethod must be client_secret_basic or client_secret_post/],
      [{ scope: 'a "b' }, /is not a scope token/],
      [{ refreshSkewMs: -1 }, /refreshSkewMs must be a number >= 0/],
      [{ backoff: { initialMs: 500, maxMs: 100 } }, /backoff.maxMs must be a number >= 500/],
    ];
    for (const [o, re] of bad) {
      assert.throws(() => createTokenSource({ ...base, ...o } as TokenSourceOptions), (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, re);
        assert.ok(!e.message.includes(SECRET));
        return true;
      });
    }
  });
});

describe('oauth SDK: against the platform token service', () => {
  const SEED_ENV = 'FLEETGATE_TEST_SDK_CLIENT_SECRET';
  const PLATFORM_SECRET = 'sdk-platform-secret-0123456789';
  let tp: TestPlatform;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetgate-sdk-'));
    const seedFile = join(dir, 'seed.json');
    writeFileSync(seedFile, JSON.stringify({
      clients: {
        confidential: [
          { client_id: 'reporting', client_secret_env_var_name: SEED_ENV, scope: 'client.write telemetry.read', tenant: 'acme' },
          { client_id: 'ingest', client_secret_env_var_name: SEED_ENV, client_authentication_method: 'client_secret_post', scope: 'client.write', tenant: 'acme' },
        ],
      },
    }));
    process.env[SEED_ENV] = PLATFORM_SECRET;
    tp = await startTestPlatform({ 'oauth.seedFile': seedFile, 'auth.admin.bootstrap': false, 'api.auth': 'bearer', 'mqtt.tcp.enabled': false });
  });
  after(async () => {
    await tp?.stop();
    delete process.env[SEED_ENV];
    rmSync(dir, { recursive: true, force: true });
  });

  it('discovers the token endpoint, gets a JWT that verifies against /oauth2/jwks, and caches it', async () => {
    const s = createTokenSource({ issuer: tp.base, clientId: 'reporting', clientSecret: PLATFORM_SECRET, scope: 'telemetry.read' });
    const jwt = await s.token();
    assert.equal(await s.token(), jwt);
    const { payload, protectedHeader } = await jwtVerify(jwt, createRemoteJWKSet(new URL(`${tp.base}/oauth2/jwks`)), { issuer: tp.base, audience: 'fleetgate' });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload['client_id'], 'reporting');
    assert.equal(payload['scope'], 'telemetry.read');
    assert.equal(payload['tenant'], 'acme');
    s.close();
  });

  it('authorizedFetch calls an admin API with the bearer token, and after a revocation refreshes and retries once', async () => {
    const s = createTokenSource({ tokenUrl: `${tp.base}/oauth2/token`, clientId: 'ingest', clientSecret: PLATFORM_SECRET, authMethod: 'client_secret_post' });
    const first = await s.authorizedFetch(`${tp.base}/clients/ingest/secret`);
    assert.equal(first.status, 200, await first.clone().text());
    const old = await s.token();
    const revoke = await fetch(`${tp.base}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: old, client_id: 'ingest', client_secret: PLATFORM_SECRET }).toString(),
    });
    assert.equal(revoke.status, 200);
    const again = await s.authorizedFetch(`${tp.base}/clients/ingest/secret`);
    assert.equal(again.status, 200, await again.clone().text());
    assert.notEqual(await s.token(), old, 'a fresh token replaced the revoked one');
    s.close();
  });

  it('a wrong secret is a TokenRequestError invalid_client 401', async () => {
    const s = createTokenSource({ tokenUrl: `${tp.base}/oauth2/token`, clientId: 'reporting', clientSecret: 'not-the-secret' });
    const e = await s.token().then(() => assert.fail('resolved'), (x: unknown) => x);
    assert.ok(e instanceof TokenRequestError);
    assert.equal(e.error, 'invalid_client');
    assert.equal(e.status, 401);
    assert.ok(!e.message.includes('not-the-secret'));
  });
});
