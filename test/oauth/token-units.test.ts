/**
 * The token service's pure parts: the strict form reader, the failure window, the sealing of
 * private keys, the presented client authentication, the scope decision, the node:crypto
 * signer (verified by jose), the access token it assembles, and the shard's view of blocks.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { test } from 'node:test';
import { ManualClock } from '../../runtime/index.js';
import { presented } from '../../actors/oauth/token/client-auth.js';
import { OAuthError } from '../../actors/oauth/token/errors.js';
import { derToJose } from '../../actors/oauth/token/ecdsa.js';
import { parseForm } from '../../actors/oauth/token/form.js';
import { grantedScopes, issueAccessToken } from '../../actors/oauth/token/grants/client-credentials.js';
import { KeyEncryptionKey } from '../../actors/oauth/token/kek.js';
import { signerOf, type ActiveKey } from '../../actors/oauth/token/keys.js';
import { BatchSigner } from '../../actors/oauth/token/sign-batch.js';
import { BlockedView, FailureWindow, LocalLimiter } from '../../actors/oauth/token/limiter.js';
import { basicHeader } from './token-helpers.js';

const FORM = 'application/x-www-form-urlencoded';
const oauthErr = (error: string, description?: string) => (e: unknown) =>
  e instanceof OAuthError && e.error === error && (description === undefined || e.description === description);

test('form: percent and plus decoding, UTF-8, empty values as absent, charset parameter allowed', () => {
  const f = parseForm(`${FORM}; charset=UTF-8`, Buffer.from('a=x%20y+z&b=%C3%A9&c=&&d'));
  assert.deepEqual([...f], [['a', 'x y z'], ['b', 'é']]);
  assert.deepEqual([...parseForm(FORM, Buffer.alloc(0))], []);
});

test('form: duplicates, bad escapes, bad UTF-8, wrong type, too many parameters are invalid_request', () => {
  assert.throws(() => parseForm(FORM, Buffer.from('a=1&a=2')), oauthErr('invalid_request', 'the parameter a is given more than once'));
  assert.throws(() => parseForm(FORM, Buffer.from('a=&a=2')), oauthErr('invalid_request'));
  assert.throws(() => parseForm(FORM, Buffer.from('a=%4')), oauthErr('invalid_request', 'the request body is not valid form encoding'));
  assert.throws(() => parseForm(FORM, Buffer.from('a=%FF')), oauthErr('invalid_request', 'the request body is not valid form encoding'));
  // Overlong, surrogate, truncated and split sequences; an escape that is not two hex digits.
  for (const bad of ['a=%C0%AF', 'a=%ED%A0%80', 'a=%C3', 'a=%C3\u00a9', 'a=%zz', 'a%G1=1']) {
    assert.throws(() => parseForm(FORM, Buffer.from(bad)), oauthErr('invalid_request', 'the request body is not valid form encoding'), bad);
  }
  assert.deepEqual([...parseForm(FORM, Buffer.from('s=a%2Bb+c%25&t=\u00e9%C3%A9'))], [['s', 'a+b c%'], ['t', 'éé']]);
  assert.throws(() => parseForm(FORM, Buffer.from([0x61, 0x3d, 0xff])), oauthErr('invalid_request', 'the request body is not UTF-8'));
  assert.throws(() => parseForm('text/plain', Buffer.from('a=1')), oauthErr('invalid_request'));
  assert.throws(() => parseForm(undefined, Buffer.from('a=1')), oauthErr('invalid_request'));
  const many = Array.from({ length: 65 }, (_, i) => `p${i}=1`).join('&');
  assert.throws(() => parseForm(FORM, Buffer.from(many)), oauthErr('invalid_request'));
});

test('failure window: refused at maxFailures within the window, free again when the oldest leaves it', () => {
  const w = new FailureWindow({ maxFailures: 3, windowMs: 1000 });
  w.record(0);
  w.record(100);
  assert.equal(w.retryAfterMs(100), 0);
  w.record(200);
  assert.equal(w.retryAfterMs(200), 800);
  assert.equal(w.retryAfterMs(999), 1);
  assert.equal(w.retryAfterMs(1000), 0);
  w.record(1000); // the window now holds 100, 200, 1000
  assert.equal(w.retryAfterMs(1000), 100);
  assert.equal(w.idle(1999), false);
  assert.equal(w.idle(2000), true);
  // A late notice from another replica (older time) is placed in order.
  const v = new FailureWindow({ maxFailures: 2, windowMs: 1000 });
  v.record(500);
  v.record(100);
  assert.equal(v.retryAfterMs(500), 600);
});

test('local limiter: the worst key decides; the map stays bounded', async () => {
  const clock = new ManualClock(0);
  const l = new LocalLimiter({ maxFailures: 1, windowMs: 1000 }, clock, 2);
  l.recordFailure(['addr:a']);
  assert.equal(await l.retryAfterMs(['addr:a', 'client:x']), 1000);
  assert.equal(await l.retryAfterMs(['addr:b', 'client:x']), 0);
  l.recordFailure(['addr:b', 'client:y']);
  l.recordFailure(['addr:c']);
  assert.equal(await l.retryAfterMs(['addr:c']), 1000);
});

test('key encryption: round trip, bound to the kid, refused under another key; never JSON', () => {
  const k = new KeyEncryptionKey(randomBytes(32).toString('base64'));
  const sealed = k.seal('kid-1', '{"d":"secret"}');
  assert.match(sealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.equal(k.open('kid-1', sealed), '{"d":"secret"}');
  assert.throws(() => k.open('kid-2', sealed), { code: 'ERR_SIGNING_KEYS_UNAVAILABLE' });
  assert.throws(() => new KeyEncryptionKey(randomBytes(32).toString('base64')).open('kid-1', sealed), { code: 'ERR_SIGNING_KEYS_UNAVAILABLE' });
  assert.throws(() => new KeyEncryptionKey(randomBytes(16).toString('base64')), TypeError);
});

test('presented client authentication', () => {
  const m = (o: Record<string, string>) => new Map(Object.entries(o));
  assert.deepEqual(presented(basicHeader('a b', 's:+x'), m({})), { method: 'client_secret_basic', clientId: 'a b', secret: 's:+x' });
  assert.deepEqual(presented(undefined, m({ client_id: 'c', client_secret: 's' })), { method: 'client_secret_post', clientId: 'c', secret: 's' });
  assert.throws(() => presented(undefined, m({})), oauthErr('invalid_client'));
  assert.throws(() => presented('Basic !!!', m({})), (e: unknown) => oauthErr('invalid_client')(e) && (e as OAuthError).headers['www-authenticate'] === 'Basic realm="fleetgate"');
  assert.throws(() => presented(`Basic ${Buffer.from('nocolon').toString('base64')}`, m({})), oauthErr('invalid_client'));
  assert.throws(() => presented(undefined, m({ client_secret: 's' })), oauthErr('invalid_request'));
  assert.throws(() => presented(undefined, m({ client_assertion: 'x' })), oauthErr('invalid_request'));
  assert.throws(() => presented(undefined, m({ client_assertion: 'x', client_assertion_type: 'urn:other' })), oauthErr('invalid_request'));
  assert.throws(() => presented(undefined, m({ client_id: 'c', client_secret: 's', client_assertion: 'x' })), oauthErr('invalid_request'));
  assert.throws(() => presented(undefined, m({ client_id: 'c\u0001', client_secret: 's' })), oauthErr('invalid_client'));
  assert.throws(() => presented(undefined, m({ client_id: 'c', client_secret: 'x'.repeat(1025) })), oauthErr('invalid_client'));
  // Bearer in the header is not client authentication: the form's method counts.
  assert.equal(presented('Bearer abc', m({ client_id: 'c', client_secret: 's' })).method, 'client_secret_post');
});

test('scopes: none asked = all; a subset in the client order; beyond or malformed = invalid_scope', () => {
  const client = { clientId: 'c', tenantId: 't', name: 'c', authMethod: 'client_secret_basic' as const, accessTokenTtlMinutes: 30, scopes: ['a', 'b', 'c'], jwks: null, serviceAccount: null };
  assert.deepEqual(grantedScopes(undefined, client), ['a', 'b', 'c']);
  assert.deepEqual(grantedScopes('c a a', client), ['a', 'c']);
  assert.throws(() => grantedScopes('a d', client), oauthErr('invalid_scope'));
  assert.throws(() => grantedScopes('a\\b', client), oauthErr('invalid_scope', 'the scope parameter is malformed (RFC 6749 3.3)'));
});

test('signer: node:crypto JWS for ES256, RS256 and EdDSA verifies with jose; the token has every claim', async () => {
  for (const alg of ['ES256', 'RS256', 'EdDSA'] as const) {
    const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    const key = signerOf(`${alg.toLowerCase()}-k-1`, alg, await exportJWK(pair.privateKey));
    const client = {
      clientId: 'c1', tenantId: 'acme', name: 'c1', authMethod: 'client_secret_basic' as const, accessTokenTtlMinutes: 30, scopes: ['a', 'b'], jwks: null,
      serviceAccount: { id: 'sa-1', roles: ['r'], permissions: ['p:w'], groups: ['g'], attributes: {} },
    };
    const nowMs = Date.now();
    const issued = await issueAccessToken(client, ['b'], { key, signer: new BatchSigner(), issuer: 'https://as.example', audience: 'fleetgate', nowMs, maxTtlSeconds: 600 });
    const { payload, protectedHeader } = await jwtVerify(issued.accessToken, pair.publicKey, { algorithms: [alg], typ: 'at+jwt', issuer: 'https://as.example', audience: 'fleetgate' });
    assert.deepEqual(protectedHeader, { alg, kid: `${alg.toLowerCase()}-k-1`, typ: 'at+jwt' });
    const iat = Math.floor(nowMs / 1000);
    assert.deepEqual(payload, {
      iss: 'https://as.example', sub: 'sa-1', aud: 'fleetgate', exp: iat + 600, iat, nbf: iat, jti: issued.jti,
      client_id: 'c1', scope: 'b', tenant: 'acme', roles: ['r'], permissions: ['p:w'], groups: ['g'],
    });
    assert.deepEqual([issued.expiresIn, issued.exp, issued.scope], [600, iat + 600, 'b']);
    // A flipped signature byte is refused: the signature covers the signing input.
    const [h, c, sig] = issued.accessToken.split('.') as [string, string, string];
    const raw = Buffer.from(sig, 'base64url');
    raw[0] = (raw[0] as number) ^ 1;
    await assert.rejects(jwtVerify(`${h}.${c}.${raw.toString('base64url')}`, pair.publicKey));
  }
  const ec = await generateKeyPair('ES256', { extractable: true });
  const ecJwk = await exportJWK(ec.privateKey);
  assert.throws(() => signerOf('k', 'RS256', ecJwk), { code: 'ERR_SIGNING_KEYS_UNAVAILABLE' });
});

test('blocked view: the longest wait decides, expired blocks go, a block only moves later; bounded', () => {
  const v = new BlockedView(2);
  v.block('addr:a', 1000, 0);
  v.block('addr:a', 500, 0);
  assert.equal(v.retryAfterMs(['client:x', 'addr:a'], 100), 900);
  v.block('client:x', 1500, 100);
  assert.equal(v.retryAfterMs(['client:x', 'addr:a'], 100), 1400);
  assert.equal(v.retryAfterMs(['addr:a'], 1000), 0);
  v.block('addr:b', 2000, 1000);
  v.block('addr:c', 2000, 1000);
  assert.equal(v.size, 2);
  assert.equal(v.retryAfterMs(['addr:c'], 1000), 1000);
  v.block('addr:d', 10, 20);
  assert.equal(v.retryAfterMs(['addr:d'], 20), 0);
});

test('ECDSA DER to JWS: every P-256 and P-384 signature verifies in the ieee-p1363 form; bad DER is refused', () => {
  for (const [curve, size, hash] of [['P-256', 32, 'sha256'], ['P-384', 48, 'sha384']] as const) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    let short = 0;
    // 2,000 signatures: about one in 128 has an r or s shorter than the curve (about 15 expected).
    for (let i = 0; i < 2000; i++) {
      const data = randomBytes(40);
      const der = cryptoSign(hash, data, privateKey);
      const jose = derToJose(der, size);
      assert.equal(jose.length, 2 * size);
      assert.ok(cryptoVerify(hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose), `${curve} signature ${i} does not verify`);
      const rLen = der[3]!;
      const sLen = der[4 + rLen + 1]!;
      if (rLen < size || sLen < size) short++;
    }
    assert.ok(short > 0, `${curve}: no short INTEGER was exercised`);
  }
  const good = cryptoSign('sha256', Buffer.from('x'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  assert.throws(() => derToJose(Buffer.concat([good, Buffer.from([0])]), 32), /trailing bytes/);
  assert.throws(() => derToJose(good.subarray(0, good.length - 1), 32), /truncated/);
  assert.throws(() => derToJose(Buffer.from([0x31, 0x00]), 32), /SEQUENCE expected/);
  assert.throws(() => derToJose(good, 16), /larger than the curve/);
});

/** A key that counts the flushes its signatures were made in: the signatures of one flush run
 *  in one callback, and a microtask runs only after that callback returns. */
function countingKey(log: { flushes: number; order: string[] }, fail?: string): ActiveKey {
  let inFlush = false;
  return {
    kid: 'k', alg: 'ES256', headerPrefix: 'h.',
    sign(input: string): Buffer {
      if (!inFlush) {
        inFlush = true;
        log.flushes++;
        queueMicrotask(() => {
          inFlush = false;
        });
      }
      if (input === fail) throw new Error('key failed');
      log.order.push(input);
      return Buffer.from(`sig:${input}`);
    },
  };
}

test('batch signer: nothing is signed before the loop turns; one flush signs what one pass asked for', async () => {
  const log = { flushes: 0, order: [] as string[] };
  const key = countingKey(log);
  const signer = new BatchSigner(64);
  const asked = ['a', 'b', 'c', 'd', 'e'].map((s) => signer.sign(key, s));
  assert.deepEqual(log.order, [], 'signed synchronously');
  const sigs = await Promise.all(asked);
  assert.deepEqual(sigs.map((b) => b.toString()), ['sig:a', 'sig:b', 'sig:c', 'sig:d', 'sig:e']);
  assert.equal(log.flushes, 1);
  // A request after the flush is signed by a new one.
  assert.equal((await signer.sign(key, 'f')).toString(), 'sig:f');
  assert.equal(log.flushes, 2);
});

test('batch signer: at most maxBatch a flush, in order; a failing signature rejects only its own request', async () => {
  const log = { flushes: 0, order: [] as string[] };
  const key = countingKey(log, 'bad');
  const signer = new BatchSigner(2);
  const results = await Promise.allSettled(['1', '2', 'bad', '4', '5'].map((s) => signer.sign(key, s)));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  assert.equal((results[2] as PromiseRejectedResult).reason.message, 'key failed');
  assert.deepEqual(log.order, ['1', '2', '4', '5']);
  assert.equal(log.flushes, 3);
  assert.throws(() => new BatchSigner(0), TypeError);
});

test('batch signer: a turn stops after its time budget, so slow (RSA) signatures leave room for I/O', async () => {
  const log = { flushes: 0, order: [] as string[] };
  const counting = countingKey(log);
  const slow: ActiveKey = {
    ...counting,
    sign(input: string): Buffer {
      const until = performance.now() + 5; // longer than a turn's budget
      while (performance.now() < until);
      return counting.sign(input);
    },
  };
  const signer = new BatchSigner(64);
  await Promise.all(['1', '2', '3'].map((s) => signer.sign(slow, s)));
  assert.deepEqual(log.order, ['1', '2', '3']);
  assert.equal(log.flushes, 3, 'one slow signature a turn');
});

