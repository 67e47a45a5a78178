/**
 * Row mapping of the authorization server's tables, shared by every dialect (same snake_case
 * columns). JSON columns are `jsonb` on Postgres (the driver parses them) and LONGTEXT on
 * MariaDB (a string parsed here); booleans are BOOLEAN on Postgres and TINYINT(1) on MariaDB.
 * A value of the wrong shape is a storage fault (ERR_STORAGE_UNAVAILABLE), as in rows.ts.
 */
import { unavailable } from './errors.js';
import { int, nullableInt, str, type Row } from './rows.js';
import {
  OAUTH_AUTH_METHODS,
  SECRET_SLOTS,
  type ClientSecret,
  type OAuthAuthMethod,
  type OAuthClient,
  type OAuthClientPatch,
  type SecretSlot,
  type ServiceAccount,
  type SigningKey,
} from './types.js';

function rowFault(column: string): Error {
  return unavailable(new TypeError(`unexpected value type in column ${column}`));
}

function json(row: Row, column: string): unknown {
  const v = row[column];
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw rowFault(column);
  }
}

function object(row: Row, column: string): Record<string, unknown> {
  const v = json(row, column);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw rowFault(column);
  return v as Record<string, unknown>;
}

function nullableObject(row: Row, column: string): Record<string, unknown> | null {
  return row[column] === null || json(row, column) === null ? null : object(row, column);
}

function strings(row: Row, column: string): string[] {
  const v = json(row, column);
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw rowFault(column);
  return v as string[];
}

function bool(row: Row, column: string): boolean {
  const v = row[column];
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  throw rowFault(column);
}

function nullableStr(row: Row, column: string): string | null {
  return row[column] === null ? null : str(row, column);
}

function oneOf<T extends string>(row: Row, column: string, allowed: readonly T[]): T {
  const v = row[column];
  if (!allowed.includes(v as T)) throw rowFault(column);
  return v as T;
}

/** JSON text for a parameter: drivers would otherwise send a JS array as a SQL array. */
export function jsonParam(v: unknown): string {
  return JSON.stringify(v);
}

/** JSON with object keys sorted, to compare stored and given values whatever the key order. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

export const OAUTH_CLIENT_COLUMNS = [
  'client_id', 'tenant_id', 'name', 'auth_method', 'access_token_ttl_minutes', 'scopes', 'jwks', 'seeded',
  'version', 'created_at', 'updated_at',
] as const;

export function toOAuthClient(row: Row): OAuthClient {
  return {
    clientId: str(row, 'client_id'),
    tenantId: str(row, 'tenant_id'),
    name: str(row, 'name'),
    authMethod: oneOf<OAuthAuthMethod>(row, 'auth_method', OAUTH_AUTH_METHODS),
    accessTokenTtlMinutes: int(row, 'access_token_ttl_minutes'),
    scopes: strings(row, 'scopes'),
    jwks: nullableObject(row, 'jwks'),
    seeded: bool(row, 'seeded'),
    version: int(row, 'version'),
    createdAt: int(row, 'created_at'),
    updatedAt: int(row, 'updated_at'),
  };
}

export function oauthClientValues(c: OAuthClient): unknown[] {
  return [
    c.clientId, c.tenantId, c.name, c.authMethod, c.accessTokenTtlMinutes, jsonParam(c.scopes),
    c.jwks === null ? null : jsonParam(c.jwks), c.seeded, c.version, c.createdAt, c.updatedAt,
  ];
}

/** The SET list of a client update: a fixed whitelist of columns, `undefined` fields left out. */
export function oauthClientPatchColumns(p: OAuthClientPatch): Array<[column: string, value: unknown]> {
  const out: Array<[string, unknown]> = [['updated_at', p.updatedAt]];
  if (p.name !== undefined) out.push(['name', p.name]);
  if (p.authMethod !== undefined) out.push(['auth_method', p.authMethod]);
  if (p.accessTokenTtlMinutes !== undefined) out.push(['access_token_ttl_minutes', p.accessTokenTtlMinutes]);
  if (p.scopes !== undefined) out.push(['scopes', jsonParam(p.scopes)]);
  if (p.jwks !== undefined) out.push(['jwks', p.jwks === null ? null : jsonParam(p.jwks)]);
  return out;
}

export const CLIENT_SECRET_COLUMNS = ['client_id', 'slot', 'secret_hash', 'created_at', 'expires_at'] as const;

export function toClientSecret(row: Row): ClientSecret {
  return {
    clientId: str(row, 'client_id'),
    slot: oneOf<SecretSlot>(row, 'slot', SECRET_SLOTS),
    secretHash: str(row, 'secret_hash'),
    createdAt: int(row, 'created_at'),
    expiresAt: nullableInt(row, 'expires_at'),
  };
}

/** current before previous. */
export function bySlot(a: ClientSecret, b: ClientSecret): number {
  return SECRET_SLOTS.indexOf(a.slot) - SECRET_SLOTS.indexOf(b.slot);
}

export const SERVICE_ACCOUNT_COLUMNS = [
  'id', 'tenant_id', 'name', 'description', 'active', 'client_id', 'roles', 'permissions', 'groups_json', 'attributes',
  'version', 'created_at', 'updated_at',
] as const;

export function toServiceAccount(row: Row): ServiceAccount {
  return {
    id: str(row, 'id'),
    tenantId: str(row, 'tenant_id'),
    name: str(row, 'name'),
    description: nullableStr(row, 'description'),
    active: bool(row, 'active'),
    clientId: nullableStr(row, 'client_id'),
    roles: strings(row, 'roles'),
    permissions: strings(row, 'permissions'),
    groups: strings(row, 'groups_json'),
    attributes: object(row, 'attributes'),
    version: int(row, 'version'),
    createdAt: int(row, 'created_at'),
    updatedAt: int(row, 'updated_at'),
  };
}

export function serviceAccountValues(a: ServiceAccount): unknown[] {
  return [
    a.id, a.tenantId, a.name, a.description, a.active, a.clientId, jsonParam(a.roles), jsonParam(a.permissions),
    jsonParam(a.groups), jsonParam(a.attributes), a.version, a.createdAt, a.updatedAt,
  ];
}

/** The fields an upsert compares: a change of any of them (and only them) bumps the version. */
export function serviceAccountContent(a: ServiceAccount): string {
  return canonicalJson([a.tenantId, a.name, a.description, a.active, a.clientId, a.roles, a.permissions, a.groups, a.attributes]);
}

/** The SET list of an upsert that changed the account (id, tenant and createdAt stay). */
export function serviceAccountContentColumns(a: ServiceAccount): Array<[column: string, value: unknown]> {
  return [
    ['name', a.name], ['description', a.description], ['active', a.active], ['client_id', a.clientId],
    ['roles', jsonParam(a.roles)], ['permissions', jsonParam(a.permissions)], ['groups_json', jsonParam(a.groups)],
    ['attributes', jsonParam(a.attributes)], ['updated_at', a.updatedAt],
  ];
}

export const SIGNING_KEY_COLUMNS = [
  'kid', 'alg', 'public_jwk', 'private_jwk_encrypted', 'created_at', 'activates_at', 'retires_at',
] as const;

export function toSigningKey(row: Row): SigningKey {
  return {
    kid: str(row, 'kid'),
    alg: str(row, 'alg'),
    publicJwk: object(row, 'public_jwk'),
    privateJwkEncrypted: str(row, 'private_jwk_encrypted'),
    createdAt: int(row, 'created_at'),
    activatesAt: int(row, 'activates_at'),
    retiresAt: nullableInt(row, 'retires_at'),
  };
}

export function signingKeyValues(k: SigningKey): unknown[] {
  return [k.kid, k.alg, jsonParam(k.publicJwk), k.privateJwkEncrypted, k.createdAt, k.activatesAt, k.retiresAt];
}
