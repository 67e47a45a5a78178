/**
 * The shard's session index: sessions by credential, token and endpoint, undone on close; and
 * the revocation marks that let a check answered before a revocation event refuse a session the
 * event could not find.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { revokedTokenKey, SessionIndex } from '../../actors/frontdoor/registry.js';

const facts = (credentialKeys: string[]) => ({ conn: { shard: 0, id: 'tcp-1' }, listener: 'tcp' as const, tenantId: 'acme', basic: true, x509: false, credentialKeys });

test('sessions are found by credential, token and endpoint until they close', () => {
  const ix = new SessionIndex();
  ix.open('c1', facts(['acme/cred-1']));
  ix.addToken('c1', 'tok-1', 'ep-1');
  ix.addToken('ghost', 'tok-1', 'ep-1'); // not open: ignored
  assert.deepEqual([...ix.byCredential('acme/cred-1')], ['c1']);
  assert.deepEqual([...ix.byToken('tok-1')], ['c1']);
  assert.deepEqual([...ix.byEndpoint('ep-1')], ['c1']);
  ix.close('c1');
  assert.equal(ix.byCredential('acme/cred-1').size + ix.byToken('tok-1').size + ix.byEndpoint('ep-1').size, 0);
  assert.equal(ix.size, 0);
});

test('a revocation noted after a mark is seen by that mark only; token keys cannot meet credential keys', () => {
  const ix = new SessionIndex();
  ix.noteRevoked('acme/cred-0');
  const mark = ix.revocationMark();
  assert.equal(ix.revokedSince('acme/cred-0', mark), false, 'revoked before the check began: the check itself says so');
  ix.noteRevoked('acme/cred-1');
  ix.noteRevoked(revokedTokenKey('tok-1'));
  assert.equal(ix.revokedSince('acme/cred-1', mark), true);
  assert.equal(ix.revokedSince(revokedTokenKey('tok-1'), mark), true);
  assert.equal(ix.revokedSince('tok-1', mark), false);
  assert.equal(ix.revokedSince('acme/cred-2', mark), false);
  assert.equal(ix.revokedSince('acme/cred-1', ix.revocationMark()), false, 'a later check is not refused');
  ix.noteRevoked('acme/cred-0');
  assert.equal(ix.revokedSince('acme/cred-0', mark), true, 'revoked again after the mark (suspended, resumed, suspended)');
});

test('the remembered revocations are bounded, oldest first', () => {
  const ix = new SessionIndex();
  const mark = ix.revocationMark();
  for (let i = 0; i <= 100_000; i++) ix.noteRevoked(`acme/c-${i}`);
  assert.equal(ix.revokedSince('acme/c-0', mark), false, 'the oldest is forgotten past 100,000');
  assert.equal(ix.revokedSince('acme/c-1', mark), true);
  assert.equal(ix.revokedSince('acme/c-100000', mark), true);
});
