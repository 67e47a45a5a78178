/**
 * The shard-local answer cache of client authentication, on a manual clock: it answers until the
 * answer's end, forgets a client on a drop, refuses an answer that was asked for before a drop,
 * stays bounded, and keys on a digest that holds no secret.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../runtime/index.js';
import { RENEW_RETRY_MS, ShardAuthCache } from '../../actors/oauth/clients/shard-cache.js';
import type { ClientIdentity } from '../../actors/oauth/contract.js';

const client = (clientId: string): ClientIdentity => ({
  clientId,
  tenantId: 'acme',
  name: clientId,
  authMethod: 'client_secret_basic',
  accessTokenTtlMinutes: 30,
  scopes: ['read'],
  jwks: null,
  serviceAccount: null,
});

test('answers until the end it was given, then asks again', () => {
  const clock = new ManualClock(1_000);
  const c = new ShardAuthCache(10, clock);
  const d = c.digest('svc', 'client_secret_basic', 'the-secret');
  assert.ok(!d.includes('the-secret'));
  assert.notEqual(d, c.digest('svc', 'client_secret_post', 'the-secret'), 'the method is part of the key');
  assert.notEqual(d, new ShardAuthCache(10, clock).digest('svc', 'client_secret_basic', 'the-secret'), 'the key is per cache');
  c.set(d, 'svc', { client: client('svc'), slot: 'previous' }, 5_000, c.ticket());
  assert.equal(c.get(d)?.slot, 'previous');
  clock.advance(3_999);
  assert.equal(c.get(d)?.client.clientId, 'svc');
  clock.advance(1);
  assert.equal(c.get(d), undefined, 'ended at validUntil');
  assert.equal(c.size, 0);
  c.set(d, 'svc', { client: client('svc'), slot: 'current' }, clock.now(), c.ticket());
  assert.equal(c.size, 0, 'an answer that already ended is not stored');
});

test('a drop forgets every answer of that client only, and voids answers asked for before it', () => {
  const clock = new ManualClock(0);
  const c = new ShardAuthCache(10, clock);
  const a1 = c.digest('a', 'client_secret_basic', 's1');
  const a2 = c.digest('a', 'client_secret_basic', 's2');
  const b1 = c.digest('b', 'client_secret_basic', 's1');
  for (const [d, id] of [[a1, 'a'], [a2, 'a'], [b1, 'b']] as const) c.set(d, id, { client: client(id), slot: 'current' }, 60_000, c.ticket());
  const inFlight = c.ticket();
  c.drop('a');
  assert.equal(c.get(a1), undefined);
  assert.equal(c.get(a2), undefined);
  assert.equal(c.get(b1)?.client.clientId, 'b');
  c.set(a1, 'a', { client: client('a'), slot: 'current' }, 60_000, inFlight);
  assert.equal(c.get(a1), undefined, 'asked before the drop, answered after it: not kept');
  c.set(a1, 'a', { client: client('a'), slot: 'current' }, 60_000, c.ticket());
  assert.equal(c.get(a1)?.client.clientId, 'a');
});

test('bounded: the least recently used answer goes, and its client index with it', () => {
  const c = new ShardAuthCache(3, new ManualClock(0));
  const ds = ['a', 'b', 'c', 'd'].map((id) => [c.digest(id, 'client_secret_basic', 'x'), id] as const);
  for (const [d, id] of ds) c.set(d, id, { client: client(id), slot: 'current' }, 1_000, c.ticket());
  assert.equal(c.size, 3);
  assert.equal(c.get(ds[0]![0]), undefined);
  c.drop('a'); // nothing left of a: must not throw or count wrongly
  assert.equal(c.size, 3);
  c.drop('d');
  assert.equal(c.size, 2);
});

test('renewal: claimed once past the middle of an answer\'s life, then once a second until replaced', () => {
  const clock = new ManualClock(0);
  const c = new ShardAuthCache(10, clock);
  const d = c.digest('svc', 'client_secret_basic', 's');
  c.set(d, 'svc', { client: client('svc'), slot: 'current' }, 30_000, c.ticket());
  clock.advance(14_999);
  assert.equal(c.claimRenewal(c.get(d)!), false, 'first half: no renewal');
  clock.advance(1);
  assert.equal(c.claimRenewal(c.get(d)!), true, 'middle reached');
  assert.equal(c.claimRenewal(c.get(d)!), false, 'one claim at a time');
  clock.advance(RENEW_RETRY_MS - 1);
  assert.equal(c.claimRenewal(c.get(d)!), false);
  clock.advance(1);
  assert.equal(c.claimRenewal(c.get(d)!), true, 'claimed again when no answer came within the retry time');
  // An answer that ends no later (the actor's copy was still being re-read): asked for again
  // after the retry time.
  c.set(d, 'svc', { client: client('svc'), slot: 'current' }, 30_000, c.ticket());
  assert.equal(c.claimRenewal(c.get(d)!), false);
  clock.advance(RENEW_RETRY_MS);
  assert.equal(c.claimRenewal(c.get(d)!), true);
  // The renewed answer starts a new life.
  c.set(d, 'svc', { client: client('svc'), slot: 'current' }, clock.now() + 30_000, c.ticket());
  assert.equal(c.claimRenewal(c.get(d)!), false);
  clock.advance(15_000);
  assert.equal(c.claimRenewal(c.get(d)!), true);
  const inFlight = c.ticket();
  c.forget(d);
  assert.equal(c.get(d), undefined);
  c.set(d, 'svc', { client: client('svc'), slot: 'current' }, clock.now() + 30_000, inFlight);
  assert.equal(c.get(d), undefined, 'a success asked for before the refusal is not stored after it');
});
