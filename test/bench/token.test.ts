/**
 * The `token` bench: its lean HTTP client's answer parser (fed one byte at a time), the
 * oidc-provider peer (the configured client gets an ES256 at+jwt, a wrong secret gets
 * invalid_client, stop ends the process), and the whole scenario through runBenchCli with tiny
 * counts: against the peer as --target, and fleetgate in-process vs oidc-provider. The checks
 * are the JSON shape and zero errors, never the figures.
 */
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { runBenchCli } from '../../bench/cli.js';
import { BENCH_TOKEN_PROFILE, oidcProviderPeer } from '../../bench/peers/oidc-provider.js';
import type { Peer, PeerStartInfo } from '../../bench/peers/peer.js';
import { checkTokenAnswer } from '../../bench/scenarios/token-generator.js';
import { parseAnswer } from '../../bench/scenarios/token-http.js';
import { parseConcurrencies, SECRET_ENV } from '../../bench/scenarios/token.js';
import { captureIo } from './helpers.js';

const CLIENT_ID = 'bench-client';
const SECRET = 'token-bench-test-secret-0123456789';

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function tokenRequest(url: string, authorization: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&scope=${encodeURIComponent(BENCH_TOKEN_PROFILE.scopes.join(' '))}`,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('token bench: HTTP answer parser', () => {
  const feed = (text: string) => {
    const bytes = Buffer.from(text, 'latin1');
    for (let i = 0; i < bytes.length; i++) assert.equal(parseAnswer(bytes.subarray(0, i)), undefined, `complete after ${i} bytes`);
    return parseAnswer(bytes);
  };

  it('reads a Content-Length answer only once every byte is there', () => {
    const text = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}';
    const r = feed(text);
    assert.equal(r?.answer.status, 200);
    assert.equal(r?.answer.body.toString(), '{"a":1}');
    assert.equal(r?.used, text.length);
  });

  it('reads a chunked answer only once the last chunk is there', () => {
    const r = feed('HTTP/1.1 401 Unauthorized\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{"er\r\n3\r\nr":\r\n3\r\n"x"\r\n1\r\n}\r\n0\r\n\r\n');
    assert.equal(r?.answer.status, 401);
    assert.equal(r?.answer.body.toString(), '{"err":"x"}');
  });

  it('refuses what is not HTTP/1.x or has no usable length', () => {
    assert.throws(() => parseAnswer(Buffer.from('SSH-2.0-x\r\n\r\n')), { code: 'ERR_HTTP_PROTOCOL' });
    assert.throws(() => parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')), { code: 'ERR_HTTP_PROTOCOL', message: 'unusable content-length undefined' });
  });

  it('counts refusals by their RFC 6749 error code, and a 200 without a Bearer token as a bad answer', () => {
    const ans = (status: number, body: unknown) => ({ status, body: Buffer.from(JSON.stringify(body)) });
    assert.doesNotThrow(() => checkTokenAnswer(ans(200, { access_token: 'x', token_type: 'bearer' })));
    assert.throws(() => checkTokenAnswer(ans(401, { error: 'invalid_client' })), { code: 'OAUTH_invalid_client' });
    assert.throws(() => checkTokenAnswer(ans(503, 'busy')), { code: 'HTTP_503' });
    assert.throws(() => checkTokenAnswer(ans(200, { access_token: 'x', token_type: 'DPoP' })), { code: 'ERR_TOKEN_ANSWER' });
  });

  it('parses --concurrencies: sorted, deduplicated, bounded', () => {
    assert.deepEqual(parseConcurrencies('32,1,8,8'), [1, 8, 32]);
    assert.equal(parseConcurrencies('1,x'), '--concurrencies must be a comma-separated list of integers from 1 to 10000, got "1,x"');
    assert.equal(parseConcurrencies('1,2,3,4,5,6,7,8,9'), '--concurrencies takes at most 8 values, got 9');
  });
});

describe('token bench: oidc-provider peer', () => {
  let peer: Peer;
  let info: PeerStartInfo;
  before(async () => {
    assert.equal(await oidcProviderPeer.unavailableReason(), undefined);
    peer = oidcProviderPeer.create({ credentials: [{ username: CLIENT_ID, password: SECRET }] });
    info = await peer.start();
  });
  after(() => peer.stop());

  it('issues the bench token format to the configured client and refuses a wrong secret', async () => {
    assert.match(info.target, /^http:\/\/127\.0\.0\.1:\d+\/oauth2\/token$/);
    const ok = await tokenRequest(info.target, basic(CLIENT_ID, SECRET));
    assert.equal(ok.status, 200);
    assert.equal(ok.body['token_type'], 'Bearer');
    assert.equal(ok.body['expires_in'], BENCH_TOKEN_PROFILE.accessTokenTtlSeconds);
    const jwt = ok.body['access_token'] as string;
    assert.deepEqual(decodeProtectedHeader(jwt), { alg: 'ES256', typ: 'at+jwt', kid: 'bench-es256' });
    const claims = decodeJwt(jwt);
    assert.equal(claims.aud, 'fleetgate');
    assert.equal(claims['client_id'], CLIENT_ID);
    assert.equal(claims.sub, CLIENT_ID);
    assert.equal(claims['scope'], BENCH_TOKEN_PROFILE.scopes.join(' '));
    assert.equal(claims['tenant'], 'bench');
    assert.deepEqual([claims['roles'], claims['permissions'], claims['groups']], [[], [], []]);
    const bad = await tokenRequest(info.target, basic(CLIENT_ID, 'wrong'));
    assert.deepEqual(bad, { status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
  });

  it('runs the scenario with --target at the peer: every step, the JSON shape, no errors', async () => {
    const saved = process.env[SECRET_ENV];
    process.env[SECRET_ENV] = SECRET;
    try {
      const io = captureIo();
      const code = await runBenchCli(
        ['token', '--target', info.target, '--client-id', CLIENT_ID, '--concurrencies', '1,4', '--count', '40', '--warmup', '0', '--quiet'],
        io,
      );
      const json = JSON.parse(io.out.at(-1) ?? '{}') as Record<string, unknown>;
      assert.equal(json['failure'], undefined, JSON.stringify(json['failure']));
      assert.equal(json['scenario'], 'token');
      for (const k of ['tokensPerSec', 'p50Ms', 'p99Ms', 'p99AtHalfRateMs', 'halfRatePerSec', 'c1TokensPerSec', 'c1P99Ms', 'c4TokensPerSec', 'c4P99Ms', 'bestConcurrency']) {
        assert.equal(typeof json[k], 'number', `${k} in ${io.out.at(-1)}`);
      }
      assert.match(String(json['tokenFormat']), /^jwt ES256 at\+jwt \d+B$/);
      assert.equal(json['concurrencies'], '1,4');
      assert.equal(json['errors'], 0, JSON.stringify(json['errors_by_code']));
      assert.equal(JSON.stringify(json).includes(SECRET), false, 'the secret is not in the result');
      assert.equal(code, 0);
    } finally {
      if (saved === undefined) delete process.env[SECRET_ENV];
      else process.env[SECRET_ENV] = saved;
    }
  });

  it('--target without the secret in the environment is a usage error (exit 2)', async () => {
    const saved = process.env[SECRET_ENV];
    delete process.env[SECRET_ENV];
    try {
      const io = captureIo();
      assert.equal(await runBenchCli(['token', '--target', info.target, '--quiet'], io), 2);
      assert.equal(io.err.at(-1), `fleetgate bench: --target needs the client secret in the environment variable ${SECRET_ENV}`);
    } finally {
      if (saved !== undefined) process.env[SECRET_ENV] = saved;
    }
  });

  it('stop ends the peer process', async () => {
    const p = oidcProviderPeer.create({ credentials: [{ username: CLIENT_ID, password: SECRET }] });
    const i = await p.start();
    await p.stop();
    await assert.rejects(access(`/proc/${i.pid as number}`));
  });
});

describe('token bench: fleetgate in-process vs oidc-provider', () => {
  it('runs both sides with the same client: figures per side, vs, ratio, no errors', async () => {
    const io = captureIo();
    const code = await runBenchCli(
      ['token', '--vs', 'oidc-provider', '--rounds', '1', '--concurrencies', '1,4', '--count', '40', '--warmup', '0',
        '--memory-cost', '1024', '--time-cost', '1', '--threads', '2', '--quiet'],
      io,
    );
    const last = io.out.at(-1);
    assert.ok(last !== undefined, `nothing on stdout; stderr:\n${io.err.join('\n')}`);
    assert.equal(io.out.length, 1, 'stdout carries the result line only');
    const json = JSON.parse(last) as Record<string, unknown>;
    assert.equal(json['failure'], undefined, JSON.stringify(json['failure']));
    const vs = json['vs'] as Record<string, unknown>;
    const ratio = json['ratio'] as Record<string, unknown>;
    assert.equal(vs['peer'], 'oidc-provider');
    for (const k of ['tokensPerSec', 'p50Ms', 'p99Ms', 'p99AtHalfRateMs', 'c1TokensPerSec', 'c4TokensPerSec']) {
      assert.equal(typeof json[k], 'number', `fleetgate ${k}`);
      assert.equal(typeof vs[k], 'number', `oidc-provider ${k}`);
    }
    assert.equal(typeof ratio['tokensPerSec'], 'number');
    assert.match(String(json['tokenFormat']), /^jwt ES256 at\+jwt \d+B$/);
    assert.match(String(vs['tokenFormat']), /^jwt ES256 at\+jwt \d+B$/);
    assert.equal(json['errors'], 0, JSON.stringify(json['errors_by_code']));
    assert.equal(vs['errors'], 0, JSON.stringify(vs['errors_by_code']));
    assert.equal(code, 0);
  });
});
