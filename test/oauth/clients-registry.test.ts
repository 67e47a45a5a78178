/**
 * The client registry on an injected clock: OAuthClients.authenticateSecret and the secret
 * admin operations through the real OAuthClientActor, real storage and the real hashing pool.
 * Rotation, grace window, expiry and rotationRequired are driven by a ManualClock; two replicas
 * sharing storage and a bus show the change notices and the state TTL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { hasCode } from '../../runtime/index.js';
import { RENEW_RETRY_MS } from '../../actors/oauth/clients/shard-cache.js';
import { clientSystem, createClient, DAY, settle, type ClientSystem, type Replica } from './clients-system.js';

let sys: ClientSystem;
let a: Replica;

before(async () => {
  sys = await clientSystem();
  a = await sys.replica('replica-a');
});
after(() => sys.close());

/** Polls `cond` every 5 ms for up to `ms` of real time (a background read of real storage). */
async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}
const rejectsWith = (p: Promise<unknown>, code: string) => assert.rejects(p, (err: unknown) => hasCode(err, code));

describe('authenticateSecret', () => {
  it('refuses unknown and malformed client ids as unknown_client', async () => {
    assert.deepEqual(await a.registry.authenticateSecret('nobody', 'x'.repeat(43), 'client_secret_basic'), { ok: false, refusal: 'unknown_client' });
    assert.deepEqual(await a.registry.authenticateSecret('bad id/with slash', 'secret', 'client_secret_basic'), { ok: false, refusal: 'unknown_client' });
    assert.deepEqual(await a.registry.authenticateSecret('nobody', 'x'.repeat(5000), 'client_secret_post'), { ok: false, refusal: 'unknown_client' });
    assert.equal(await a.registry.identity('nobody'), null);
  });

  it('says no_secret before one is issued, then accepts the issued one and remembers it', async () => {
    await createClient(sys.backend, 'svc-one');
    assert.deepEqual(await a.registry.authenticateSecret('svc-one', 'anything-at-all', 'client_secret_basic'), { ok: false, refusal: 'no_secret' });
    const issued = await a.registry.issueSecret('acme', 'svc-one');
    assert.equal(issued.clientId, 'svc-one');
    assert.match(issued.clientSecret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(issued.createdAt, new Date(sys.clock.now()).toISOString());
    assert.equal(issued.expiresAt, new Date(sys.clock.now() + 365 * DAY).toISOString());
    const stored = await sys.backend.oauthClients.secrets('svc-one');
    assert.equal(stored.length, 1);
    assert.match(stored[0]!.secretHash, /^\$argon2id\$/);
    assert.ok(!stored[0]!.secretHash.includes(issued.clientSecret));

    const hits = a.cache.hits;
    const localHits = a.local.hits;
    const first = await a.registry.authenticateSecret('svc-one', issued.clientSecret, 'client_secret_basic');
    assert.equal(first.ok, true);
    assert.equal(first.ok && first.slot, 'current');
    assert.equal(a.cache.hits, hits, 'the first verification is a hash on the pool');
    assert.equal(a.local.hits, localHits);
    const second = await a.registry.authenticateSecret('svc-one', issued.clientSecret, 'client_secret_basic');
    assert.equal(second.ok, true);
    assert.equal(a.local.hits, localHits + 1, 'the second one is answered by the shard, without the actor');
    assert.equal(a.cache.hits, hits);
    assert.equal((await a.registry.authenticateSecret('svc-one', issued.clientSecret, 'client_secret_post')).ok, false, 'the method is part of the shard cache key');
    a.local.drop('svc-one');
    assert.equal((await a.registry.authenticateSecret('svc-one', issued.clientSecret, 'client_secret_basic')).ok, true);
    assert.equal(a.cache.hits, hits + 1, 'without the shard entry, the actor answers from its verified-secret cache');
    assert.deepEqual(first.ok && first.client, {
      clientId: 'svc-one',
      tenantId: 'acme',
      name: 'Confidential Client: svc-one',
      authMethod: 'client_secret_basic',
      accessTokenTtlMinutes: 30,
      scopes: ['read', 'write'],
      jwks: null,
      serviceAccount: null,
    });
  });

  it('refuses a wrong secret and the wrong authentication method', async () => {
    const issued = await a.registry.rotateSecret('acme', 'svc-one');
    assert.deepEqual(await a.registry.authenticateSecret('svc-one', 'not-the-secret', 'client_secret_basic'), { ok: false, refusal: 'bad_secret' });
    assert.deepEqual(await a.registry.authenticateSecret('svc-one', issued.clientSecret, 'client_secret_post'), { ok: false, refusal: 'method_not_allowed' });
  });
});

describe('secret lifecycle on the injected clock', () => {
  it('issue refuses a second secret; rotate refuses a client without one', async () => {
    await createClient(sys.backend, 'svc-life');
    await rejectsWith(a.registry.rotateSecret('acme', 'svc-life'), 'ERR_NO_CURRENT_SECRET');
    await a.registry.issueSecret('acme', 'svc-life');
    await rejectsWith(a.registry.issueSecret('acme', 'svc-life'), 'ERR_SECRET_EXISTS');
  });

  it('keeps the previous secret valid inside the grace window and refuses it after', async () => {
    await createClient(sys.backend, 'svc-grace');
    const old = await a.registry.issueSecret('acme', 'svc-grace');
    assert.equal((await a.registry.authenticateSecret('svc-grace', old.clientSecret, 'client_secret_basic')).ok, true);
    sys.clock.advance(10 * DAY);
    const rotatedAt = sys.clock.now();
    const fresh = await a.registry.rotateSecret('acme', 'svc-grace');
    assert.equal(fresh.previousExpiresAt, new Date(rotatedAt + 7 * DAY).toISOString());
    assert.notEqual(fresh.clientSecret, old.clientSecret);

    const viaOld = await a.registry.authenticateSecret('svc-grace', old.clientSecret, 'client_secret_basic');
    assert.equal(viaOld.ok && viaOld.slot, 'previous');
    const viaNew = await a.registry.authenticateSecret('svc-grace', fresh.clientSecret, 'client_secret_basic');
    assert.equal(viaNew.ok && viaNew.slot, 'current');

    sys.clock.advance(7 * DAY - 1);
    assert.equal((await a.registry.authenticateSecret('svc-grace', old.clientSecret, 'client_secret_basic')).ok, true, 'last millisecond of the grace window');
    sys.clock.advance(1);
    assert.deepEqual(await a.registry.authenticateSecret('svc-grace', old.clientSecret, 'client_secret_basic'), { ok: false, refusal: 'secret_expired' });
    assert.equal((await a.registry.authenticateSecret('svc-grace', fresh.clientSecret, 'client_secret_basic')).ok, true);
    const status = await a.registry.secretStatus('acme', 'svc-grace');
    assert.equal(status.previousExpiresAt, new Date(rotatedAt + 7 * DAY).toISOString());
  });

  it('refuses an expired secret and flags rotationRequired from the lead time on', async () => {
    await createClient(sys.backend, 'svc-expiry');
    const issuedAt = sys.clock.now();
    const s = await a.registry.issueSecret('acme', 'svc-expiry');
    assert.equal((await a.registry.authenticateSecret('svc-expiry', s.clientSecret, 'client_secret_basic')).ok, true);
    assert.deepEqual(await a.registry.secretStatus('acme', 'svc-expiry'), {
      clientId: 'svc-expiry',
      hasSecret: true,
      createdAt: new Date(issuedAt).toISOString(),
      expiresAt: new Date(issuedAt + 365 * DAY).toISOString(),
      previousExpiresAt: null,
      rotationRequired: false,
      expired: false,
    });
    sys.clock.set(issuedAt + 365 * DAY - 28 * DAY - 1);
    assert.equal((await a.registry.secretStatus('acme', 'svc-expiry')).rotationRequired, false);
    sys.clock.advance(1);
    assert.equal((await a.registry.secretStatus('acme', 'svc-expiry')).rotationRequired, true);
    assert.equal((await a.registry.authenticateSecret('svc-expiry', s.clientSecret, 'client_secret_basic')).ok, true, 'still valid (cached) before expiry');
    sys.clock.set(issuedAt + 365 * DAY);
    assert.deepEqual(await a.registry.authenticateSecret('svc-expiry', s.clientSecret, 'client_secret_basic'), { ok: false, refusal: 'secret_expired' });
    assert.deepEqual(await a.registry.authenticateSecret('svc-expiry', 'a-wrong-secret', 'client_secret_basic'), { ok: false, refusal: 'bad_secret' });
    const status = await a.registry.secretStatus('acme', 'svc-expiry');
    assert.equal(status.expired, true);
    assert.equal(status.rotationRequired, true);
    // Rotating an expired secret does not revive it through the grace window.
    const fresh = await a.registry.rotateSecret('acme', 'svc-expiry');
    assert.equal(fresh.previousExpiresAt, new Date(issuedAt + 365 * DAY).toISOString());
    assert.deepEqual(await a.registry.authenticateSecret('svc-expiry', s.clientSecret, 'client_secret_basic'), { ok: false, refusal: 'secret_expired' });
    assert.equal((await a.registry.authenticateSecret('svc-expiry', fresh.clientSecret, 'client_secret_basic')).ok, true);
  });

  it('deletes one slot at a time; an empty slot is not found', async () => {
    await createClient(sys.backend, 'svc-delete');
    const first = await a.registry.issueSecret('acme', 'svc-delete');
    await rejectsWith(a.registry.deleteSecret('acme', 'svc-delete', 'previous'), 'ERR_NOT_FOUND');
    await rejectsWith(a.registry.deleteSecret('acme', 'svc-delete', 'both'), 'ERR_INVALID_ARGUMENT');
    const second = await a.registry.rotateSecret('acme', 'svc-delete');
    await a.registry.deleteSecret('acme', 'svc-delete', 'previous');
    assert.deepEqual(await a.registry.authenticateSecret('svc-delete', first.clientSecret, 'client_secret_basic'), { ok: false, refusal: 'bad_secret' });
    assert.equal((await a.registry.authenticateSecret('svc-delete', second.clientSecret, 'client_secret_basic')).ok, true);
    await a.registry.deleteSecret('acme', 'svc-delete', 'current');
    assert.deepEqual(await a.registry.authenticateSecret('svc-delete', second.clientSecret, 'client_secret_basic'), { ok: false, refusal: 'no_secret' });
    assert.equal((await a.registry.secretStatus('acme', 'svc-delete')).hasSecret, false);
    // With no current secret, issuing is allowed again.
    assert.equal(typeof (await a.registry.issueSecret('acme', 'svc-delete')).clientSecret, 'string');
  });

  it('answers another tenant exactly like an unknown client', async () => {
    for (const op of [
      () => a.registry.getClient('other', 'svc-one'),
      () => a.registry.secretStatus('other', 'svc-one'),
      () => a.registry.issueSecret('other', 'svc-one'),
      () => a.registry.rotateSecret('other', 'svc-one'),
      () => a.registry.deleteSecret('other', 'svc-one', 'current'),
      () => a.registry.setJwks('other', 'svc-one', { keys: [] }),
    ]) {
      await rejectsWith(op(), 'ERR_NOT_FOUND');
    }
    assert.equal((await a.registry.secretStatus('acme', 'svc-one')).hasSecret, true, 'nothing changed in acme');
  });

  it('accepts a bcrypt-hashed import and upgrades it to argon2id on first use', async () => {
    await createClient(sys.backend, 'svc-bcrypt');
    const c = (await sys.backend.oauthClients.get('svc-bcrypt'))!;
    const now = sys.clock.now();
    await sys.backend.oauthClients.setSecret('svc-bcrypt', c.version, { secretHash: bcrypt.hashSync('imported-secret-value', 4), createdAt: now, expiresAt: now + DAY });
    const r = await a.registry.authenticateSecret('svc-bcrypt', 'imported-secret-value', 'client_secret_basic');
    assert.equal(r.ok, true);
    const [stored] = await sys.backend.oauthClients.secrets('svc-bcrypt');
    assert.match(stored!.secretHash, /^\$argon2id\$/);
    assert.equal(stored!.expiresAt, now + DAY, 'the upgrade keeps the expiry');
    assert.equal((await a.registry.authenticateSecret('svc-bcrypt', 'imported-secret-value', 'client_secret_basic')).ok, true);
    assert.deepEqual(await a.registry.authenticateSecret('svc-bcrypt', 'imported-secret-valuX', 'client_secret_basic'), { ok: false, refusal: 'bad_secret' });
  });
});

describe('service accounts', () => {
  it('links and unlinks within the tenant; the identity follows', async () => {
    const now = sys.clock.now();
    await createClient(sys.backend, 'svc-linked');
    const base = { name: 'x', description: null, active: true, clientId: null, roles: ['USER'], permissions: ['client.read'], groups: ['ops'], attributes: { team: 'a' }, version: 1, createdAt: now, updatedAt: now };
    await sys.backend.serviceAccounts.upsert({ ...base, id: 'sa-acme', tenantId: 'acme' });
    await sys.backend.serviceAccounts.upsert({ ...base, id: 'sa-other', tenantId: 'other' });
    assert.equal((await a.registry.identity('svc-linked'))!.serviceAccount, null);

    await rejectsWith(a.registry.link('other', 'sa-other', 'svc-linked'), 'ERR_NOT_FOUND');
    await rejectsWith(a.registry.link('acme', 'sa-other', 'svc-linked'), 'ERR_NOT_FOUND');
    await rejectsWith(a.registry.link('other', 'sa-acme', 'svc-linked'), 'ERR_NOT_FOUND');
    const linked = await a.registry.link('acme', 'sa-acme', 'svc-linked');
    assert.equal(linked.clientId, 'svc-linked');
    assert.deepEqual((await a.registry.identity('svc-linked'))!.serviceAccount, {
      id: 'sa-acme',
      roles: ['USER'],
      permissions: ['client.read'],
      groups: ['ops'],
      attributes: { team: 'a' },
    });
    assert.equal((await a.registry.getClient('acme', 'svc-linked')).serviceAccountId, 'sa-acme');

    await rejectsWith(a.registry.unlink('acme', 'sa-acme', 'svc-one'), 'ERR_NOT_FOUND');
    await rejectsWith(a.registry.unlink('other', 'sa-acme', 'svc-linked'), 'ERR_NOT_FOUND');
    await a.registry.unlink('acme', 'sa-acme', 'svc-linked');
    assert.equal((await a.registry.identity('svc-linked'))!.serviceAccount, null);
    assert.equal((await sys.backend.serviceAccounts.get('sa-acme'))!.clientId, null);
  });
});

describe('two replicas', () => {
  it('a rotation on one is seen by the other at once through the change notice', async () => {
    const b = await sys.replica('replica-b');
    await createClient(sys.backend, 'svc-shared');
    const s1 = await a.registry.issueSecret('acme', 'svc-shared');
    // b hears of the new secret; an answer asked for while a change is heard is not kept.
    await settle();
    assert.equal((await b.registry.authenticateSecret('svc-shared', s1.clientSecret, 'client_secret_basic')).ok, true);
    const hits = b.local.hits;
    assert.equal((await b.registry.authenticateSecret('svc-shared', s1.clientSecret, 'client_secret_basic')).ok, true);
    assert.equal(b.local.hits, hits + 1);

    const s2 = await a.registry.rotateSecret('acme', 'svc-shared');
    await settle();
    const viaNew = await b.registry.authenticateSecret('svc-shared', s2.clientSecret, 'client_secret_basic');
    assert.equal(viaNew.ok && viaNew.slot, 'current', 'replica b knows the new secret without waiting for its state TTL');
    const viaOld = await b.registry.authenticateSecret('svc-shared', s1.clientSecret, 'client_secret_basic');
    assert.equal(viaOld.ok && viaOld.slot, 'previous');

    await a.registry.deleteSecret('acme', 'svc-shared', 'previous');
    await settle();
    assert.deepEqual(await b.registry.authenticateSecret('svc-shared', s1.clientSecret, 'client_secret_basic'), { ok: false, refusal: 'bad_secret' });
    b.stop();
  });

  it('a busy client\'s shard answer is renewed in the background before it runs out', async () => {
    const r = await sys.replica('replica-renew', { stateTtlMs: 30_000 });
    r.stop(); // no notices: only the state TTL and the renewal are at work
    await createClient(sys.backend, 'svc-renew');
    const s = await a.registry.issueSecret('acme', 'svc-renew');
    const auth = () => r.registry.authenticateSecret('svc-renew', s.clientSecret, 'client_secret_basic');
    const digest = r.local.digest('svc-renew', 'client_secret_basic', s.clientSecret);
    assert.equal((await auth()).ok, true); // the actor loads its state now: trusted 30 s
    const firstEnd = r.local.get(digest)!.validUntil;
    sys.clock.advance(16_000);
    let hits = r.local.hits;
    assert.equal((await auth()).ok, true);
    assert.equal(r.local.hits, hits + 1, 'past the middle: still answered by the shard');
    // That request asked the actor in the background, which began re-reading its state and
    // answered from the copy in hand; a later request (half of the rest of the answer's life on)
    // asks again and gets the new copy's answer.
    const extended = (): boolean => r.local.get(digest)!.validUntil > firstEnd;
    for (let i = 0; i < 12 && !extended(); i++) {
      await waitFor(() => false, 50); // the actor's background read of storage
      sys.clock.advance(RENEW_RETRY_MS);
      assert.equal((await auth()).ok, true);
      await waitFor(extended, 2_000);
    }
    const end = r.local.get(digest)!.validUntil;
    assert.ok(end > firstEnd, 'renewed');
    sys.clock.advance(firstEnd - sys.clock.now() + 1);
    hits = r.local.hits;
    assert.equal((await auth()).ok, true);
    assert.equal(r.local.hits, hits + 1, 'past the first answer\'s end, still answered by the shard: no wait for the actor');
  });

  it('a renewal that the actor refuses removes the shard answer before its end', async () => {
    const r = await sys.replica('replica-renew-refused', { stateTtlMs: 30_000 });
    r.stop();
    await createClient(sys.backend, 'svc-renew-gone');
    const s1 = await a.registry.issueSecret('acme', 'svc-renew-gone');
    await a.registry.rotateSecret('acme', 'svc-renew-gone');
    const auth = () => r.registry.authenticateSecret('svc-renew-gone', s1.clientSecret, 'client_secret_basic');
    const start = sys.clock.now();
    assert.equal((await auth()).ok, true);
    await a.registry.deleteSecret('acme', 'svc-renew-gone', 'previous'); // r does not hear of it
    sys.clock.advance(16_000);
    assert.equal((await auth()).ok, true, 'stale, inside the TTL: the answer in hand is given while the renewal runs');
    const digest = r.local.digest('svc-renew-gone', 'client_secret_basic', s1.clientSecret);
    let refused = false;
    for (let i = 0; i < 12 && !refused; i++) {
      await waitFor(() => false, 50); // the actor's background read of storage
      sys.clock.advance(RENEW_RETRY_MS);
      refused = !(await auth()).ok;
      // A renewal asked now removes the answer when the actor refuses.
      if (!refused) await waitFor(() => r.local.get(digest) === undefined, 2_000);
    }
    assert.ok(refused, 'refused once the renewal brought the actor\'s re-read answer');
    assert.ok(sys.clock.now() - start < 30_000, 'before the state TTL would have ended it');
    assert.deepEqual(await auth(), { ok: false, refusal: 'bad_secret' });
  });

  it('without the notice, the other replica trusts its copy only until the state TTL', async () => {
    const c = await sys.replica('replica-c', { stateTtlMs: 30_000 });
    c.stop(); // c never hears a notice
    await createClient(sys.backend, 'svc-ttl');
    const s1 = await a.registry.issueSecret('acme', 'svc-ttl');
    const s2 = await a.registry.rotateSecret('acme', 'svc-ttl');
    assert.equal((await c.registry.authenticateSecret('svc-ttl', s1.clientSecret, 'client_secret_basic')).ok, true);
    await a.registry.deleteSecret('acme', 'svc-ttl', 'previous');
    await settle();
    assert.equal((await c.registry.authenticateSecret('svc-ttl', s1.clientSecret, 'client_secret_basic')).ok, true, 'stale copy, inside the TTL');
    sys.clock.advance(30_001);
    assert.deepEqual(await c.registry.authenticateSecret('svc-ttl', s1.clientSecret, 'client_secret_basic'), { ok: false, refusal: 'bad_secret' });
    assert.equal((await c.registry.authenticateSecret('svc-ttl', s2.clientSecret, 'client_secret_basic')).ok, true);
  });
});
