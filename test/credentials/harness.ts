/**
 * Starts the whole platform in-process for integration tests (real HTTP, real bus, real storage)
 * and gives a small REST client that authenticates the way the platform is configured:
 *  - `api.auth: bearer` (the default): a real access token from POST /oauth2/token, for an OAuth
 *    client of the tenant with exactly the scopes asked for. The client is created straight in
 *    storage by a test-only shard module (test/auth/fixtures/client-provisioning.ts); tokens are
 *    cached per tenant and scopes for the life of the platform.
 *  - `trustedHeaders: true` (`api.auth: trusted-header`): the gateway headers X-Fleetgate-Tenant
 *    and X-Fleetgate-Scopes, for the tests of that mode.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import argon2 from 'argon2';
import { platformModules, startPlatform, type Platform } from '../../bin/platform.js';
import { ADMIN_PERMISSIONS } from '../../actors/auth/permissions.js';
import { loadConfig, rootLogger, settings, type Config } from '../../runtime/index.js';
import { provisionSubject, type ProvisionRequest } from '../auth/fixtures/client-provisioning.js';

/** Every admin permission: the default scopes of `api()`. */
export const ALL_SCOPES = ADMIN_PERMISSIONS.join(' ');
/** Secret of the bootstrap admin client in tests (given, so it is never printed). */
export const TEST_ADMIN_SECRET = 'test-admin-secret-0123456789';

export interface Caller {
  /** Default 'acme'. */
  tenant?: string;
  /** Space-separated; default ALL_SCOPES. */
  scopes?: string;
}

export interface TestPlatform {
  platform: Platform;
  base: string;
  dataDir: string;
  config: Config;
  /** True when the platform runs `api.auth: trusted-header`. */
  trustedHeaders: boolean;
  /** Calls the REST API as tenant `tenant` (default 'acme') with `scopes` (default: all). */
  api(method: string, path: string, body?: unknown, as?: Caller): Promise<{ status: number; headers: Headers; body: any }>;
  /** The headers that authenticate a request as `as`: Authorization, or the gateway headers. */
  authHeaders(as?: Caller): Promise<Record<string, string>>;
  /** An access token of a client of `as.tenant` with exactly `as.scopes` (bearer mode only). */
  token(as?: Caller): Promise<string>;
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

const PROVISIONING_MODULE = new URL('../auth/fixtures/client-provisioning.js', import.meta.url).href;

/** The modules of the platform plus the test-only client provisioning, right after infra. */
export function testModules(): string[] {
  const mods = platformModules();
  return [mods[0]!, PROVISIONING_MODULE, ...mods.slice(1)];
}

export async function startTestPlatform(overrides: Record<string, unknown> = {}, dataDir?: string, opts: { trustedHeaders?: boolean } = {}): Promise<TestPlatform> {
  rootLogger().level = 'warn';
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'fleetgate-it-'));
  const trusted = opts.trustedHeaders === true || overrides['api.auth'] === 'trusted-header';
  const config = loadConfig(settings, {
    env: {},
    overrides: {
      dataDir: dir,
      'listen.host': '127.0.0.1',
      'http.port': 0,
      'management.port': 0,
      // Every listener on a free port: tests (and test files) run platforms side by side.
      'mqtt.tcp.port': 0,
      'mqtt.tls.port': 0,
      'runtime.shards': 2,
      'hashing.threads': 2,
      'hashing.memoryCost': 1024,
      'hashing.timeCost': 1,
      'log.level': 'warn',
      'auth.admin.clientSecret': TEST_ADMIN_SECRET,
      ...(trusted ? { 'api.auth': 'trusted-header' } : {}),
      ...overrides,
    },
  });
  let platform: Platform;
  try {
    platform = await startPlatform(config, { modules: testModules() });
  } catch (err) {
    // A start that fails (a test of a refused configuration) leaves no temp dir behind.
    if (dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const base = `http://127.0.0.1:${platform.httpPort}`;
  const tokens = new Map<string, Promise<string>>();

  const scopesOf = (as: Caller): string[] => [...new Set((as.scopes ?? ALL_SCOPES).split(/\s+/).filter((s) => s.length > 0))].sort();

  async function mint(tenant: string, scopes: string[]): Promise<string> {
    const clientId = `test-${createHash('sha256').update(`${tenant}\n${scopes.join(' ')}`).digest('hex').slice(0, 24)}`;
    // Deterministic, so that a platform restarted on the same data finds the same secret.
    const secret = createHash('sha256').update(`secret of ${clientId}`).digest('base64url');
    const request: ProvisionRequest = {
      clientId,
      tenantId: tenant,
      scopes,
      secretHash: await argon2.hash(secret, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 }),
    };
    const answer = JSON.parse(
      new TextDecoder().decode(await platform.bus.request(provisionSubject(config['service.replicaId']), new TextEncoder().encode(JSON.stringify(request)), { timeoutMs: 10_000 })),
    ) as { ok: boolean; message?: string };
    if (!answer.ok) throw new Error(`could not provision test client ${clientId}: ${answer.message}`);
    const res = await fetch(`${base}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const body = (await res.json()) as { access_token?: string };
    if (res.status !== 200 || typeof body.access_token !== 'string') throw new Error(`no token for ${tenant} [${scopes.join(' ')}]: ${res.status} ${JSON.stringify(body)}`);
    return body.access_token;
  }

  const t: TestPlatform = {
    platform,
    base,
    dataDir: dir,
    config,
    trustedHeaders: trusted,
    token(as = {}) {
      if (trusted) throw new TypeError('token(): the platform runs api.auth trusted-header');
      const tenant = as.tenant ?? 'acme';
      const scopes = scopesOf(as);
      const key = `${tenant}\n${scopes.join(' ')}`;
      let p = tokens.get(key);
      if (p === undefined) {
        p = mint(tenant, scopes);
        p.catch(() => tokens.delete(key));
        tokens.set(key, p);
      }
      return p;
    },
    async authHeaders(as = {}): Promise<Record<string, string>> {
      if (trusted) return { 'x-fleetgate-tenant': as.tenant ?? 'acme', 'x-fleetgate-scopes': as.scopes ?? ALL_SCOPES };
      return { authorization: `Bearer ${await t.token(as)}` };
    },
    async api(method, path, body, as = {}) {
      const headers = await t.authHeaders(as);
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.status, headers: res.headers, body: parsed as any };
    },
    async stop(o = {}) {
      await platform.stop();
      if (!o.keepData && dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
