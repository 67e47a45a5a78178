/**
 * The seed file of confidential clients and service accounts (seed 003 format), read and checked
 * strictly before anything is written: an unknown field, a wrong type or a repeated id stops
 * start-up with a message that names the entry and the field.
 *
 *   roles:            { NAME: [permission, ...] }     optional, fleetgate's addition
 *   groups:           [NAME, ...]                      optional, fleetgate's addition
 *   permissions:      [NAME, ...]                      optional: permissions of other services
 *   clients:
 *     public:         [...]                            accepted, not served (M2M server)
 *     confidential:   [{ client_id, client_secret_env_var_name, client_name?,
 *                        client_authentication_method?, access_token_ttl_minutes?, scope?,
 *                        jwks?, tenant? }]
 *   serviceAccounts:  [{ id, name?, description?, active?, clientId?, roles?, permissions?,
 *                        groups?, attributes?, tenant? }]
 *
 * YAML or JSON (JSON is YAML); the file is small configuration, so it is bounded at 1 MiB.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import type { OAuthAuthMethod } from '../../../storage/index.js';
import { OAuthClientCodes, OAuthClientError } from './errors.js';
import { CLIENT_ID, OBJECT_ID } from './protocol.js';

export const SEED_MAX_BYTES = 1024 * 1024;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,255}$/;
const NAME = /^[^\s\u0000-\u001f\u007f]{1,255}$/;
const MAX_ITEMS = 10_000;
const MAX_TTL_MINUTES = 525_600;

export interface SeedClient {
  clientId: string;
  /** Null for private_key_jwt clients, which have keys, not a secret. */
  secretEnvVar: string | null;
  name: string;
  authMethod: OAuthAuthMethod;
  accessTokenTtlMinutes: number;
  scopes: string[];
  jwks: Record<string, unknown> | null;
  /** Null: the default tenant (setting oauth.defaultTenant). */
  tenant: string | null;
}

export interface SeedServiceAccount {
  id: string;
  name: string;
  description: string | null;
  active: boolean;
  clientId: string | null;
  roles: string[];
  permissions: string[];
  groups: string[];
  attributes: Record<string, unknown>;
  tenant: string | null;
}

export interface SeedFile {
  roles: Record<string, string[]>;
  groups: string[];
  permissions: string[];
  publicClientIds: string[];
  clients: SeedClient[];
  serviceAccounts: SeedServiceAccount[];
}

function fail(where: string, message: string): never {
  throw new OAuthClientError(OAuthClientCodes.SEED_INVALID, `seed file: ${where}: ${message}`, { data: { where } });
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function object(where: string, v: unknown, allowed: readonly string[]): Obj {
  if (!isObj(v)) fail(where, 'must be a mapping');
  for (const k of Object.keys(v)) if (!allowed.includes(k)) fail(where, `unknown field "${k}" (known: ${allowed.join(', ')})`);
  return v;
}

function list(where: string, v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(where, 'must be a list');
  if (v.length > MAX_ITEMS) fail(where, `must have at most ${MAX_ITEMS} entries`);
  return v;
}

function string(where: string, v: unknown, pattern: RegExp, rule: string): string {
  if (typeof v !== 'string' || !pattern.test(v)) fail(where, `must be ${rule}`);
  return v;
}

function names(where: string, v: unknown, pattern: RegExp = NAME): string[] {
  const out = list(where, v).map((s, i) => string(`${where}[${i}]`, s, pattern, 'a name of 1 to 255 characters without spaces'));
  const dup = out.find((s, i) => out.indexOf(s) !== i);
  if (dup !== undefined) fail(where, `"${dup}" appears twice`);
  return out;
}

const CLIENT_FIELDS = [
  'client_id', 'client_secret_env_var_name', 'client_name', 'client_authentication_method', 'access_token_ttl_minutes', 'scope', 'jwks', 'tenant',
] as const;
const ACCOUNT_FIELDS = ['id', 'name', 'description', 'active', 'clientId', 'roles', 'permissions', 'groups', 'attributes', 'tenant'] as const;
const METHODS: readonly OAuthAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

function client(where: string, raw: unknown): SeedClient {
  const o = object(where, raw, CLIENT_FIELDS);
  const clientId = string(`${where}.client_id`, o['client_id'], CLIENT_ID, 'a client id of 1 to 128 characters of A-Z a-z 0-9 . _ ~ -');
  const at = `clients.confidential[${clientId}]`;
  const authMethod = o['client_authentication_method'] ?? 'client_secret_basic';
  if (!METHODS.includes(authMethod as OAuthAuthMethod)) fail(`${at}.client_authentication_method`, `must be one of ${METHODS.join(', ')}`);
  let secretEnvVar: string | null = null;
  let jwks: Record<string, unknown> | null = null;
  if (authMethod === 'private_key_jwt') {
    if (o['client_secret_env_var_name'] !== undefined) fail(`${at}.client_secret_env_var_name`, 'is not used by a private_key_jwt client (it has keys, not a secret)');
    if (!isObj(o['jwks']) || !Array.isArray(o['jwks']['keys'])) fail(`${at}.jwks`, 'is required for private_key_jwt: a JWK Set { keys: [...] }');
    jwks = o['jwks'];
  } else {
    secretEnvVar = string(`${at}.client_secret_env_var_name`, o['client_secret_env_var_name'], ENV_NAME, 'the name of an environment variable');
    if (o['jwks'] !== undefined) fail(`${at}.jwks`, `is only for private_key_jwt clients, not ${String(authMethod)}`);
  }
  const ttl = o['access_token_ttl_minutes'] ?? 30;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_MINUTES) {
    fail(`${at}.access_token_ttl_minutes`, `must be an integer between 1 and ${MAX_TTL_MINUTES}`);
  }
  const scope = o['scope'] ?? '';
  if (typeof scope !== 'string') fail(`${at}.scope`, 'must be a space-separated string of scopes');
  const scopes = names(`${at}.scope`, scope.split(' ').filter((s) => s.length > 0), SCOPE_TOKEN);
  const name = o['client_name'] === undefined ? `Confidential Client: ${clientId}` : string(`${at}.client_name`, o['client_name'], /^.{1,255}$/s, 'a name of 1 to 255 characters');
  const tenant = o['tenant'] === undefined ? null : string(`${at}.tenant`, o['tenant'], OBJECT_ID, 'a tenant id of 1 to 128 characters of A-Z a-z 0-9 . _ ~ -');
  return { clientId, secretEnvVar, name, authMethod: authMethod as OAuthAuthMethod, accessTokenTtlMinutes: ttl, scopes, jwks, tenant };
}

function account(where: string, raw: unknown): SeedServiceAccount {
  const o = object(where, raw, ACCOUNT_FIELDS);
  const id = string(`${where}.id`, o['id'], OBJECT_ID, 'an id of 1 to 128 characters of A-Z a-z 0-9 . _ ~ -');
  const at = `serviceAccounts[${id}]`;
  const name = o['name'] === undefined ? id : string(`${at}.name`, o['name'], /^.{1,255}$/s, 'a name of 1 to 255 characters');
  const description = o['description'] === undefined || o['description'] === null ? null : string(`${at}.description`, o['description'], /^.{0,1024}$/s, 'a text of at most 1024 characters');
  const active = o['active'] ?? true;
  if (typeof active !== 'boolean') fail(`${at}.active`, 'must be true or false');
  const clientId = o['clientId'] === undefined || o['clientId'] === null ? null : string(`${at}.clientId`, o['clientId'], CLIENT_ID, 'a client id');
  const attributes = o['attributes'] ?? {};
  if (!isObj(attributes)) fail(`${at}.attributes`, 'must be a mapping');
  const tenant = o['tenant'] === undefined ? null : string(`${at}.tenant`, o['tenant'], OBJECT_ID, 'a tenant id of 1 to 128 characters of A-Z a-z 0-9 . _ ~ -');
  return {
    id,
    name,
    description,
    active,
    clientId,
    roles: names(`${at}.roles`, o['roles']),
    permissions: names(`${at}.permissions`, o['permissions']),
    groups: names(`${at}.groups`, o['groups']),
    attributes,
    tenant,
  };
}

/** Checks a parsed seed document. */
export function checkSeed(doc: unknown): SeedFile {
  if (doc === null || doc === undefined) doc = {};
  const top = object('top level', doc, ['roles', 'groups', 'permissions', 'clients', 'serviceAccounts']);
  const roles: Record<string, string[]> = {};
  if (top['roles'] !== undefined && top['roles'] !== null) {
    if (!isObj(top['roles'])) fail('roles', 'must be a mapping of role name to a list of permissions');
    for (const [role, perms] of Object.entries(top['roles'])) {
      string(`roles.${role}`, role, NAME, 'a role name of 1 to 255 characters without spaces');
      roles[role] = names(`roles.${role}`, perms);
    }
  }
  const clientsTop = top['clients'] === undefined || top['clients'] === null ? {} : object('clients', top['clients'], ['public', 'confidential']);
  const publicClientIds = list('clients.public', clientsTop['public']).map((p, i) => {
    if (!isObj(p) || typeof p['client_id'] !== 'string') fail(`clients.public[${i}]`, 'must be a mapping with a client_id');
    return p['client_id'];
  });
  const clients = list('clients.confidential', clientsTop['confidential']).map((c, i) => client(`clients.confidential[${i}]`, c));
  const serviceAccounts = list('serviceAccounts', top['serviceAccounts']).map((a, i) => account(`serviceAccounts[${i}]`, a));
  const dupClient = clients.find((c, i) => clients.findIndex((x) => x.clientId === c.clientId) !== i);
  if (dupClient !== undefined) fail(`clients.confidential[${dupClient.clientId}]`, 'client_id appears twice');
  const dupAccount = serviceAccounts.find((a, i) => serviceAccounts.findIndex((x) => x.id === a.id) !== i);
  if (dupAccount !== undefined) fail(`serviceAccounts[${dupAccount.id}]`, 'id appears twice');
  const dupLink = serviceAccounts.find((a, i) => a.clientId !== null && serviceAccounts.findIndex((x) => x.clientId === a.clientId) !== i);
  if (dupLink !== undefined) fail(`serviceAccounts[${dupLink.id}].clientId`, `client ${dupLink.clientId} is linked to two service accounts`);
  return {
    roles,
    groups: names('groups', top['groups']),
    permissions: names('permissions', top['permissions']),
    publicClientIds,
    clients,
    serviceAccounts,
  };
}

/** Reads and checks the seed file. */
export function readSeedFile(path: string): SeedFile {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > SEED_MAX_BYTES) fail(path, `is ${size} bytes; at most ${SEED_MAX_BYTES} are read`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof OAuthClientError) throw err;
    fail(path, `cannot be read (${(err as { code?: string }).code ?? 'error'})`);
  }
  let doc: unknown;
  try {
    doc = parse(text, { uniqueKeys: true, maxAliasCount: 100, prettyErrors: true });
  } catch (err) {
    fail(path, `is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  return checkSeed(doc);
}
