/**
 * Applies the seed file at start-up, once per process, on the main thread after migrations and
 * before the shards start (bin/platform.ts), as seed 003 describes it:
 *  - confidential clients are created when missing and never updated; the secret is read from
 *    the named environment variable and stored as an argon2id hash only. A missing variable
 *    stops start-up naming the client and the variable, before anything is written;
 *  - service accounts are created or updated at every start; their role, permission and group
 *    names must resolve (roles and groups declared in the file, or built in; permissions that a
 *    fleetgate route declares, or declared in the file), else start-up stops naming the name.
 *    A role stands for its permissions: the stored permissions are the account's own plus its
 *    roles', so that a token carries what a route checks;
 *  - public clients are not served by this machine-to-machine server: they are logged, not stored.
 */
import type { Logger } from '../../../runtime/index.js';
import { hasCode } from '../../../runtime/index.js';
import { StorageCodes, type OAuthClient, type OAuthClientRepository, type ServiceAccount, type ServiceAccountRepository } from '../../../storage/index.js';
import { Permissions as CredentialPermissions } from '../../credentials/routes.js';
import { OAuthClientCodes, OAuthClientError } from './errors.js';
import { ClientPermissions } from './permissions.js';
import type { SeedFile, SeedServiceAccount } from './seed-file.js';

/** Every permission a fleetgate admin route declares. */
export function routePermissions(): string[] {
  return [...Object.values(CredentialPermissions), ...Object.values(ClientPermissions)];
}

/** Roles known without a declaration: ADMIN may do everything, USER may read. A role declared
 *  in the seed file under the same name replaces the built-in one. */
export function builtInRoles(): Record<string, string[]> {
  const all = routePermissions();
  return {
    ADMIN: all,
    USER: all.filter((p) => p.endsWith(':read') || p.endsWith('.read')),
  };
}

export interface SeedOptions {
  clients: OAuthClientRepository;
  serviceAccounts: ServiceAccountRepository;
  /** Where the client secrets are read from (the process environment). */
  env: Readonly<Record<string, string | undefined>>;
  defaultTenant: string;
  /** Lifetime of a seeded secret (APP_CLIENT_SECRET_TTL). */
  secretTtlMs: number;
  now: number;
  /** argon2id of a secret. */
  hash(secret: string): Promise<string>;
  log: Logger;
}

export interface SeedReport {
  created: string[];
  existing: string[];
  accountsCreated: string[];
  accountsUpdated: string[];
  accountsUnchanged: string[];
  publicIgnored: string[];
}

function fail(where: string, message: string, data: Record<string, unknown> = {}): never {
  throw new OAuthClientError(OAuthClientCodes.SEED_INVALID, `seed file: ${where}: ${message}`, { data: { where, ...data } });
}

/** Resolves an account's names; returns the permissions to store (own plus its roles'). */
function resolveNames(a: SeedServiceAccount, seed: SeedFile): string[] {
  const roles = { ...builtInRoles(), ...seed.roles };
  const permissions = new Set([...routePermissions(), ...seed.permissions]);
  const groups = new Set(seed.groups);
  const at = `serviceAccounts[${a.id}]`;
  for (const [role, perms] of Object.entries(seed.roles)) {
    for (const p of perms) if (!permissions.has(p)) fail(`roles.${role}`, `unknown permission "${p}"`, { permission: p });
  }
  for (const r of a.roles) if (!Object.hasOwn(roles, r)) fail(`${at}.roles`, `unknown role "${r}" (declare it under roles:)`, { role: r });
  for (const p of a.permissions) if (!permissions.has(p)) fail(`${at}.permissions`, `unknown permission "${p}" (declare it under permissions:)`, { permission: p });
  for (const g of a.groups) if (!groups.has(g)) fail(`${at}.groups`, `unknown group "${g}" (declare it under groups:)`, { group: g });
  const effective = new Set(a.permissions);
  for (const r of a.roles) for (const p of roles[r]!) effective.add(p);
  return [...effective];
}

export async function applySeed(seed: SeedFile, o: SeedOptions): Promise<SeedReport> {
  const report: SeedReport = { created: [], existing: [], accountsCreated: [], accountsUpdated: [], accountsUnchanged: [], publicIgnored: [...seed.publicClientIds] };
  if (seed.publicClientIds.length > 0) {
    o.log.warn({ clients: seed.publicClientIds }, 'seed: public clients are not served by this machine-to-machine authorization server; ignored');
  }
  // Everything that can be checked is checked before the first write.
  const resolved = new Map(seed.serviceAccounts.map((a) => [a.id, resolveNames(a, seed)]));
  const stored = new Map<string, OAuthClient | null>();
  for (const c of seed.clients) stored.set(c.clientId, await o.clients.get(c.clientId));
  for (const a of seed.serviceAccounts) {
    if (a.clientId === null || stored.has(a.clientId)) continue;
    const client = await o.clients.get(a.clientId);
    if (client === null) fail(`serviceAccounts[${a.id}].clientId`, `unknown client "${a.clientId}"`, { clientId: a.clientId });
    stored.set(a.clientId, client);
  }
  const secrets = new Map<string, string>();
  for (const c of seed.clients) {
    const have = stored.get(c.clientId)!;
    if (c.secretEnvVar === null || (have !== null && !(await incomplete(o, have)))) continue;
    const value = o.env[c.secretEnvVar];
    if (value === undefined || value.length === 0) {
      fail(`clients.confidential[${c.clientId}]`, `environment variable ${c.secretEnvVar} (client_secret_env_var_name) is not set`, {
        clientId: c.clientId,
        variable: c.secretEnvVar,
      });
    }
    if (value.length > 1024) fail(`clients.confidential[${c.clientId}]`, `environment variable ${c.secretEnvVar} holds more than 1024 characters`);
    secrets.set(c.clientId, value);
  }

  const seedIds = new Set(seed.clients.map((c) => c.clientId));
  for (const c of seed.clients) {
    let have = stored.get(c.clientId)!;
    const tenantId = c.tenant ?? o.defaultTenant;
    if (have === null) {
      have = await o.clients.create({
        clientId: c.clientId,
        tenantId,
        name: c.name,
        authMethod: c.authMethod,
        accessTokenTtlMinutes: c.accessTokenTtlMinutes,
        scopes: c.scopes,
        jwks: c.jwks,
        seeded: true,
        version: 1,
        createdAt: o.now,
        updatedAt: o.now,
      });
      report.created.push(c.clientId);
    } else if (!secrets.has(c.clientId)) {
      report.existing.push(c.clientId);
      if (have.tenantId !== tenantId) o.log.warn({ clientId: c.clientId, tenantId: have.tenantId, seedTenant: tenantId }, 'seed: client exists in another tenant; not changed');
      continue;
    }
    const secret = secrets.get(c.clientId);
    if (secret !== undefined) {
      await o.clients.setSecret(c.clientId, have.version, { secretHash: await o.hash(secret), createdAt: o.now, expiresAt: o.now + o.secretTtlMs });
    }
    o.log.info({ audit: true, action: 'client-seeded', clientId: c.clientId, tenantId }, 'seed: client created');
  }

  for (const a of seed.serviceAccounts) {
    const at = `serviceAccounts[${a.id}]`;
    let tenantId = a.tenant ?? o.defaultTenant;
    if (a.clientId !== null) {
      const client = seedIds.has(a.clientId) ? await o.clients.get(a.clientId) : stored.get(a.clientId)!;
      if (client === null) fail(`${at}.clientId`, `unknown client "${a.clientId}"`, { clientId: a.clientId });
      if (a.tenant !== null && client.tenantId !== a.tenant) fail(`${at}.clientId`, `client "${a.clientId}" is in tenant ${client.tenantId}, not ${a.tenant}`);
      tenantId = client.tenantId;
    }
    const before = await o.serviceAccounts.get(a.id);
    const account: ServiceAccount = {
      id: a.id,
      tenantId,
      name: a.name,
      description: a.description,
      active: a.active,
      clientId: a.clientId,
      roles: a.roles,
      permissions: resolved.get(a.id)!,
      groups: a.groups,
      attributes: a.attributes,
      version: 1,
      createdAt: o.now,
      updatedAt: o.now,
    };
    let after: ServiceAccount;
    try {
      after = await o.serviceAccounts.upsert(account);
    } catch (err) {
      if (hasCode(err, StorageCodes.DUPLICATE)) {
        fail(at, a.clientId === null ? 'the id is taken in another tenant' : `the id is taken in another tenant, or client ${a.clientId} is linked to another service account`);
      }
      throw err;
    }
    if (before === null) report.accountsCreated.push(a.id);
    else if (after.version !== before.version) report.accountsUpdated.push(a.id);
    else report.accountsUnchanged.push(a.id);
  }
  o.log.info(
    { created: report.created.length, existing: report.existing.length, accountsCreated: report.accountsCreated.length, accountsUpdated: report.accountsUpdated.length },
    'seed applied',
  );
  return report;
}

/** A seeded client whose creation stopped before its secret was written (a crash between the
 *  two writes): the next start completes it instead of leaving it without a secret forever. */
async function incomplete(o: SeedOptions, c: OAuthClient): Promise<boolean> {
  return c.seeded && c.version === 1 && c.authMethod !== 'private_key_jwt' && (await o.clients.secrets(c.clientId)).length === 0;
}
