/** Records and assertions shared by the storage contract suites. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  StorageError,
  type ClientCredential,
  type EndpointToken,
  type OAuthClient,
  type ServiceAccount,
  type SigningKey,
} from '../../storage/index.js';

// Every test works in its own tenant / endpoint, so tests never see each other's rows and
// the suite can run against a database that earlier runs left data in.
const RUN = randomBytes(4).toString('hex');
let seq = 0;
export function uniq(prefix: string): string {
  seq += 1;
  return `${prefix}-${RUN}-${seq}`;
}

/** A fixed epoch (2023-11-14T22:13:20Z); tests add offsets, no clock is read. */
export const T0 = 1_700_000_000_000;

// Shapes of real hashes; storage treats them as opaque strings.
export const ARGON2_HASH = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$OK8hQxXbX0Z0rY1nCw5f2Vb8k7m3QzQ9L2l1mZ8P0sU';
export const BCRYPT_HASH = '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';

export function credential(tenantId: string, n: number, over: Partial<ClientCredential> = {}): ClientCredential {
  return {
    id: `${tenantId}-c${String(n).padStart(3, '0')}`,
    tenantId,
    username: `user-${n}`,
    secretHash: ARGON2_HASH,
    state: 'Inactive',
    version: 1,
    createdAt: T0 + n,
    updatedAt: T0 + n,
    lastUsedAt: null,
    ...over,
  };
}

export function lookupHash(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

export function token(tenantId: string, endpointId: string, n: number, over: Partial<EndpointToken> = {}): EndpointToken {
  return {
    tokenId: `${endpointId}-k${String(n).padStart(5, '0')}`,
    tenantId,
    appName: 'app-a',
    endpointId,
    lookupHash: lookupHash(`${endpointId}/${n}`),
    state: 'Inactive',
    version: 1,
    createdAt: T0 + n,
    updatedAt: T0 + n,
    lastUsedAt: null,
    ...over,
  };
}

export function oauthClient(tenantId: string, n: number, over: Partial<OAuthClient> = {}): OAuthClient {
  return {
    clientId: `${tenantId}-oc${String(n).padStart(3, '0')}`,
    tenantId,
    name: `Confidential Client: ${n}`,
    authMethod: 'client_secret_basic',
    accessTokenTtlMinutes: 30,
    scopes: ['read', 'write'],
    jwks: null,
    seeded: false,
    version: 1,
    createdAt: T0 + n,
    updatedAt: T0 + n,
    ...over,
  };
}

export function serviceAccount(tenantId: string, n: number, over: Partial<ServiceAccount> = {}): ServiceAccount {
  return {
    id: `${tenantId}-sa${String(n).padStart(3, '0')}`,
    tenantId,
    name: `svc-${n}`,
    description: `Service account ${n}`,
    active: true,
    clientId: null,
    roles: ['USER'],
    permissions: [],
    groups: [],
    attributes: {},
    version: 1,
    createdAt: T0 + n,
    updatedAt: T0 + n,
    ...over,
  };
}

export function signingKey(prefix: string, n: number, over: Partial<SigningKey> = {}): SigningKey {
  return {
    kid: `${prefix}-k${n}`,
    alg: 'ES256',
    publicJwk: { kty: 'EC', crv: 'P-256', x: `x${n}`, y: `y${n}`, kid: `${prefix}-k${n}` },
    privateJwkEncrypted: `eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..iv${n}.ct${n}.tag${n}`,
    createdAt: T0 + n,
    activatesAt: T0 + n,
    retiresAt: null,
    ...over,
  };
}

/** Asserts a StorageError with exactly this code (and, when given, exactly this data). */
export async function rejectsWithCode(p: Promise<unknown>, code: string, data?: Record<string, unknown>): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StorageError, `expected a StorageError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (data !== undefined) assert.deepEqual(err.data, data);
    return true;
  });
}

/** Outcome counts of settled promises, for "exactly one wins" races. */
export function settleCounts(results: PromiseSettledResult<unknown>[]): { won: number; codes: string[] } {
  const codes = results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => String((r.reason as { code?: unknown }).code));
  return { won: results.length - codes.length, codes };
}
