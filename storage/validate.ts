/**
 * Checks at the repository edge, the same for every backend. Each rule mirrors a column
 * limit of the schema, so that a bad value is ERR_INVALID_ARGUMENT here rather than a driver
 * error (which would read as ERR_STORAGE_UNAVAILABLE) or, worse, a silently truncated value.
 * Messages name the field and the rule, never the value.
 */
import { invalidArgument } from './errors.js';
import {
  CREDENTIAL_STATES,
  type ClientCredential,
  type ClientCredentialPatch,
  type CredentialState,
  type EndpointToken,
  type EndpointTokenPatch,
  type ListOptions,
} from './types.js';

/** Column widths, shared by both dialects' migrations. */
export const Limits = {
  id: 128,
  username: 255,
  secretHash: 512,
  lookupHash: 128,
  maxPageSize: 1000,
  /** Versions are stored as 32-bit INTEGER. */
  maxVersion: 2_147_483_647,
} as const;

// Argon2 PHC strings and bcrypt modular-crypt strings; anything else is refused, which also
// keeps a plaintext passed by mistake out of the database.
const SECRET_HASH = /^\$(argon2id|argon2i|argon2d|2a|2b|2y)\$[\x21-\x7e]+$/;
const LOOKUP_HASH = /^[0-9a-f]{32,128}$/;

export function checkKey(field: string, v: unknown, max: number = Limits.id): void {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) {
    throw invalidArgument(`${field} must be a non-empty string of at most ${max} characters`);
  }
}

export function checkEpoch(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw invalidArgument(`${field} must be a non-negative integer of epoch milliseconds`);
  }
}

export function checkNullableEpoch(field: string, v: unknown): void {
  if (v !== null) checkEpoch(field, v);
}

export function checkVersion(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > Limits.maxVersion) {
    throw invalidArgument(`${field} must be an integer in 0..${Limits.maxVersion}`);
  }
}

function checkState(field: string, v: unknown): asserts v is CredentialState {
  if (!CREDENTIAL_STATES.includes(v as CredentialState)) {
    throw invalidArgument(`${field} must be one of ${CREDENTIAL_STATES.join(', ')}`);
  }
}

export function checkSecretHash(v: unknown): void {
  if (typeof v !== 'string' || v.length > Limits.secretHash || !SECRET_HASH.test(v)) {
    throw invalidArgument(`secretHash must be an argon2 PHC or bcrypt string of at most ${Limits.secretHash} characters`);
  }
}

export function checkLookupHash(v: unknown): void {
  if (typeof v !== 'string' || !LOOKUP_HASH.test(v)) {
    throw invalidArgument('lookupHash must be 32..128 lower-case hex characters');
  }
}

export function checkClientCredential(c: ClientCredential): void {
  checkKey('id', c.id);
  checkKey('tenantId', c.tenantId);
  checkKey('username', c.username, Limits.username);
  checkSecretHash(c.secretHash);
  checkState('state', c.state);
  checkVersion('version', c.version);
  checkEpoch('createdAt', c.createdAt);
  checkEpoch('updatedAt', c.updatedAt);
  checkNullableEpoch('lastUsedAt', c.lastUsedAt);
}

export function checkEndpointToken(t: EndpointToken): void {
  checkKey('tokenId', t.tokenId);
  checkKey('tenantId', t.tenantId);
  checkKey('appName', t.appName);
  checkKey('endpointId', t.endpointId);
  checkLookupHash(t.lookupHash);
  checkState('state', t.state);
  checkVersion('version', t.version);
  checkEpoch('createdAt', t.createdAt);
  checkEpoch('updatedAt', t.updatedAt);
  checkNullableEpoch('lastUsedAt', t.lastUsedAt);
}

export function checkClientCredentialPatch(p: ClientCredentialPatch): void {
  checkEpoch('patch.updatedAt', p.updatedAt);
  if (p.state !== undefined) checkState('patch.state', p.state);
  if (p.secretHash !== undefined) checkSecretHash(p.secretHash);
  if (p.lastUsedAt !== undefined) checkNullableEpoch('patch.lastUsedAt', p.lastUsedAt);
}

export function checkEndpointTokenPatch(p: EndpointTokenPatch): void {
  checkEpoch('patch.updatedAt', p.updatedAt);
  if (p.state !== undefined) checkState('patch.state', p.state);
  if (p.lastUsedAt !== undefined) checkNullableEpoch('patch.lastUsedAt', p.lastUsedAt);
}

export function checkOptionalVersion(v: number | undefined): void {
  if (v !== undefined) checkVersion('expectedVersion', v);
}

/** Returns the state filter to apply, or null for "all states". */
export function checkListOptions(opts: ListOptions<CredentialState>): CredentialState[] | null {
  const { offset, limit, order, states } = opts;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw invalidArgument('offset must be a non-negative integer');
  }
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > Limits.maxPageSize) {
    throw invalidArgument(`limit must be an integer in 1..${Limits.maxPageSize}`);
  }
  if (order !== 'ASC' && order !== 'DESC') throw invalidArgument('order must be ASC or DESC');
  if (states === undefined) return null;
  // An empty filter is refused rather than read as "all" or "none": both readings are plausible.
  if (!Array.isArray(states) || states.length === 0) throw invalidArgument('states, when given, must be a non-empty array');
  for (const s of states) checkState('states[]', s);
  return [...new Set(states)];
}
