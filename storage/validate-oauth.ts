/**
 * Checks at the repository edge for the authorization server's domains, the same for every
 * backend. Messages name the field and the rule, never the value (see validate.ts).
 */
import { invalidArgument } from './errors.js';
import {
  OAUTH_AUTH_METHODS,
  SECRET_SLOTS,
  type ListOptions,
  type NewClientSecret,
  type OAuthAuthMethod,
  type OAuthClient,
  type OAuthClientPatch,
  type SecretRotation,
  type SecretSlot,
  type ServiceAccount,
  type SigningKey,
} from './types.js';
import { Limits, checkEpoch, checkKey, checkListOptions, checkNullableEpoch, checkSecretHash, checkVersion } from './validate.js';

export const OAuthLimits = {
  name: 255,
  description: 1024,
  /** One scope token, role, permission or group name. */
  item: 255,
  items: 1000,
  /** Serialized size of one JSON column (scopes, jwks, attributes, keys). */
  json: 65_535,
  /** One year: a longer access token is a configuration mistake. */
  maxTtlMinutes: 525_600,
  jti: 255,
  alg: 16,
  privateJwkEncrypted: 16_384,
} as const;

// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
// Private members of RFC 7518 6.2.2 / 6.3.2 / 6.4: a public JWK carrying one is a leak.
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function checkText(field: string, v: unknown, max: number): void {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) {
    throw invalidArgument(`${field} must be a non-empty string of at most ${max} characters`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function checkJsonSize(field: string, v: unknown): void {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    text = undefined;
  }
  if (text === undefined || text.length > OAuthLimits.json) {
    throw invalidArgument(`${field} must be JSON of at most ${OAuthLimits.json} characters`);
  }
}

function checkNames(field: string, v: unknown, pattern?: RegExp): void {
  if (!Array.isArray(v) || v.length > OAuthLimits.items) {
    throw invalidArgument(`${field} must be an array of at most ${OAuthLimits.items} names`);
  }
  for (const s of v) {
    if (typeof s !== 'string' || s.length === 0 || s.length > OAuthLimits.item || (pattern !== undefined && !pattern.test(s))) {
      throw invalidArgument(`${field}[] must be non-empty strings of at most ${OAuthLimits.item} characters${pattern ? ' (RFC 6749 3.3 scope tokens)' : ''}`);
    }
  }
  if (new Set(v).size !== v.length) throw invalidArgument(`${field} must not repeat a name`);
  checkJsonSize(field, v);
}

function checkObject(field: string, v: unknown): void {
  if (!isPlainObject(v)) throw invalidArgument(`${field} must be a plain JSON object`);
  checkJsonSize(field, v);
}

function checkAuthMethod(field: string, v: unknown): asserts v is OAuthAuthMethod {
  if (!OAUTH_AUTH_METHODS.includes(v as OAuthAuthMethod)) throw invalidArgument(`${field} must be one of ${OAUTH_AUTH_METHODS.join(', ')}`);
}

function checkTtl(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > OAuthLimits.maxTtlMinutes) {
    throw invalidArgument(`${field} must be an integer in 1..${OAuthLimits.maxTtlMinutes}`);
  }
}

function checkJwks(field: string, v: unknown): void {
  if (v === null) return;
  if (!isPlainObject(v) || !Array.isArray(v['keys'])) throw invalidArgument(`${field} must be null or a JWK Set ({ keys: [...] })`);
  for (const k of v['keys'] as unknown[]) checkPublicJwk(`${field}.keys[]`, k);
  checkJsonSize(field, v);
}

function checkPublicJwk(field: string, v: unknown): void {
  if (!isPlainObject(v) || typeof v['kty'] !== 'string') throw invalidArgument(`${field} must be a JWK object with kty`);
  if (PRIVATE_JWK_MEMBERS.some((m) => m in v)) throw invalidArgument(`${field} must be a public JWK (private members refused)`);
}

export function checkClientId(v: unknown): void {
  checkKey('clientId', v);
}

export function checkOAuthClient(c: OAuthClient): void {
  checkKey('clientId', c.clientId);
  checkKey('tenantId', c.tenantId);
  checkText('name', c.name, OAuthLimits.name);
  checkAuthMethod('authMethod', c.authMethod);
  checkTtl('accessTokenTtlMinutes', c.accessTokenTtlMinutes);
  checkNames('scopes', c.scopes, SCOPE_TOKEN);
  checkJwks('jwks', c.jwks);
  if (typeof c.seeded !== 'boolean') throw invalidArgument('seeded must be a boolean');
  checkVersion('version', c.version);
  checkEpoch('createdAt', c.createdAt);
  checkEpoch('updatedAt', c.updatedAt);
}

export function checkOAuthClientPatch(p: OAuthClientPatch): void {
  checkEpoch('patch.updatedAt', p.updatedAt);
  if (p.name !== undefined) checkText('patch.name', p.name, OAuthLimits.name);
  if (p.authMethod !== undefined) checkAuthMethod('patch.authMethod', p.authMethod);
  if (p.accessTokenTtlMinutes !== undefined) checkTtl('patch.accessTokenTtlMinutes', p.accessTokenTtlMinutes);
  if (p.scopes !== undefined) checkNames('patch.scopes', p.scopes, SCOPE_TOKEN);
  if (p.jwks !== undefined) checkJwks('patch.jwks', p.jwks);
}

export function checkNewSecret(s: NewClientSecret): void {
  checkSecretHash(s.secretHash);
  checkEpoch('createdAt', s.createdAt);
  checkNullableEpoch('expiresAt', s.expiresAt);
}

export function checkRotation(s: SecretRotation): void {
  checkNewSecret(s);
  checkNullableEpoch('previousExpiresAt', s.previousExpiresAt);
}

export function checkSlot(v: unknown): asserts v is SecretSlot {
  if (!SECRET_SLOTS.includes(v as SecretSlot)) throw invalidArgument(`slot must be one of ${SECRET_SLOTS.join(', ')}`);
}

export function checkServiceAccount(a: ServiceAccount): void {
  checkKey('id', a.id);
  checkKey('tenantId', a.tenantId);
  checkText('name', a.name, OAuthLimits.name);
  if (a.description !== null && (typeof a.description !== 'string' || a.description.length > OAuthLimits.description)) {
    throw invalidArgument(`description must be null or a string of at most ${OAuthLimits.description} characters`);
  }
  if (typeof a.active !== 'boolean') throw invalidArgument('active must be a boolean');
  if (a.clientId !== null) checkKey('clientId', a.clientId);
  checkNames('roles', a.roles);
  checkNames('permissions', a.permissions);
  checkNames('groups', a.groups);
  checkObject('attributes', a.attributes);
  checkVersion('version', a.version);
  checkEpoch('createdAt', a.createdAt);
  checkEpoch('updatedAt', a.updatedAt);
}

export function checkJti(v: unknown): void {
  checkKey('jti', v, OAuthLimits.jti);
}

export function checkSigningKey(k: SigningKey): void {
  checkKey('kid', k.kid);
  checkText('alg', k.alg, OAuthLimits.alg);
  checkPublicJwk('publicJwk', k.publicJwk);
  checkJsonSize('publicJwk', k.publicJwk);
  checkText('privateJwkEncrypted', k.privateJwkEncrypted, OAuthLimits.privateJwkEncrypted);
  // A JSON object here is a clear JWK passed by mistake: the caller must encrypt it (a JWE).
  if (/^\s*\{/.test(k.privateJwkEncrypted)) throw invalidArgument('privateJwkEncrypted must be encrypted, not a clear JWK');
  checkEpoch('createdAt', k.createdAt);
  checkEpoch('activatesAt', k.activatesAt);
  checkNullableEpoch('retiresAt', k.retiresAt);
}

/** Pages of records that have no state: a `states` filter is refused. */
export function checkPageOptions(opts: ListOptions<never>): void {
  if ((opts as { states?: unknown }).states !== undefined) throw invalidArgument('states is not a filter of this list');
  checkListOptions(opts);
}
