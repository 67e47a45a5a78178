import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertTransition, canTransition, revokes, usable } from '../../actors/credentials/state-machine.js';
import type { CredentialState } from '../../storage/index.js';

const STATES: CredentialState[] = ['Inactive', 'Active', 'Suspended', 'Revoked'];

// The whole table: what an operator may request, from every state to every state.
const ALLOWED = new Set(['Active>Suspended', 'Active>Revoked', 'Suspended>Active', 'Suspended>Revoked']);

describe('credential state machine', () => {
  for (const from of STATES) {
    for (const to of STATES) {
      const allowed = ALLOWED.has(`${from}>${to}`);
      it(`${from} -> ${to} is ${allowed ? 'allowed' : 'refused, naming the current state'}`, () => {
        assert.equal(canTransition(from, to), allowed);
        if (allowed) {
          assertTransition('credential x', from, to);
          return;
        }
        assert.throws(
          () => assertTransition('credential x', from, to),
          (e: unknown) => {
            const err = e as { code: string; message: string; data: Record<string, unknown> };
            assert.equal(err.code, 'ERR_ILLEGAL_TRANSITION');
            assert.deepEqual(err.data, { currentState: from, requestedState: to });
            assert.ok(err.message.startsWith(`cannot move credential x from ${from} to ${to}: `), err.message);
            return true;
          },
        );
      });
    }
  }

  it('explains why Inactive -> Active is not an operator move', () => {
    assert.throws(() => assertTransition('t', 'Inactive', 'Active'), { message: 'cannot move t from Inactive to Active: an Inactive credential becomes Active by its first successful use' });
    assert.throws(() => assertTransition('t', 'Revoked', 'Active'), { message: 'cannot move t from Revoked to Active: Revoked is terminal' });
  });

  it('authenticates only Inactive and Active credentials', () => {
    assert.deepEqual(STATES.filter(usable), ['Inactive', 'Active']);
  });

  it('announces a revocation when leaving Active and on every deletion', () => {
    assert.equal(revokes('Active', 'Suspended'), true);
    assert.equal(revokes('Active', 'Revoked'), true);
    assert.equal(revokes('Suspended', 'Revoked'), false);
    assert.equal(revokes('Suspended', 'Active'), false);
    for (const s of STATES) assert.equal(revokes(s, 'Deleted'), true);
  });
});
