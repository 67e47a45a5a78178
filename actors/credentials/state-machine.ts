/**
 * The credential state machine shared by CCM client credentials and CM endpoint tokens:
 *
 *   Inactive --(first successful use)--> Active <--> Suspended
 *                                          \            /
 *                                           +-> Revoked <+   (terminal)
 *
 * Inactive -> Active happens only through use (never by an operator), so that "Active" always
 * means "has been used". Operators move Active <-> Suspended, and Active or Suspended to Revoked.
 * Every other edge is refused, Inactive -> Revoked included: an unused credential is deleted.
 */
import type { CredentialState } from '../../storage/index.js';
import { CredentialError, CredentialCodes } from './errors.js';

/** Transitions an operator may request (REST, 16/ECAP status transition). */
const OPERATOR: Readonly<Record<CredentialState, readonly CredentialState[]>> = {
  Inactive: [],
  Active: ['Suspended', 'Revoked'],
  Suspended: ['Active', 'Revoked'],
  Revoked: [],
};

export function canTransition(from: CredentialState, to: CredentialState): boolean {
  return OPERATOR[from].includes(to);
}

/** Throws ERR_ILLEGAL_TRANSITION naming the current state and what it allows. */
export function assertTransition(what: string, from: CredentialState, to: CredentialState): void {
  if (canTransition(from, to)) return;
  const allowed = OPERATOR[from];
  const hint =
    from === 'Inactive' && to === 'Active'
      ? 'an Inactive credential becomes Active by its first successful use'
      : from === 'Revoked'
        ? 'Revoked is terminal'
        : allowed.length === 0
          ? `nothing but use changes an ${from} credential (delete it instead)`
        : `from ${from} it may go to ${allowed.join(' or ')}`;
  throw new CredentialError(CredentialCodes.ILLEGAL_TRANSITION, `cannot move ${what} from ${from} to ${to}: ${hint}`, {
    data: { currentState: from, requestedState: to },
  });
}

/** States in which a credential authenticates (after which Inactive becomes Active). */
export function usable(state: CredentialState): boolean {
  return state === 'Inactive' || state === 'Active';
}

/** A move out of Active, or any deletion, is announced as a revocation (22/CAP, 16/ECAP): the
 *  sessions that used the credential must be closed. */
export function revokes(from: CredentialState, to: CredentialState | 'Deleted'): boolean {
  return to === 'Deleted' || (from === 'Active' && to !== 'Active');
}
