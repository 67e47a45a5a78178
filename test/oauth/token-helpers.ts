/**
 * The token service on a real HTTP server in the test process, without the shard cluster: real
 * storage (embedded PGlite in a temporary directory), a manual clock, an in-memory client registry
 * implementing the OAuthClients contract, the failure limiter of one process, and an audit log
 * whose lines the tests read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { ManualClock } from '../../runtime/index.js';
import { openBackend, type SigningKeyRepository, type StorageBackend } from '../../storage/index.js';
import { startHttpServer, type HttpServer } from '../../transports/http/index.js';
import type { ClientAuthOutcome, ClientIdentity, OAuthClients } from '../../actors/oauth/contract.js';
import { KeyEncryptionKey } from '../../actors/oauth/token/kek.js';
import { SigningKeys, type SigningAlg } from '../../actors/oauth/token/keys.js';
import { LocalLimiter } from '../../actors/oauth/token/limiter.js';
import { tokenRoutes } from '../../actors/oauth/token/routes.js';
import { TokenService } from '../../actors/oauth/token/service.js';
import { BuiltInVerifier } from '../../actors/oauth/token/verify.js';

export const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;

/** An OAuthClients of fixed clients with plaintext secrets (the registry's hashing is not under test here). */
export class MemoryClients implements OAuthClients {
  readonly #clients = new Map<string, { identity: ClientIdentity; secret: string | null }>();
  /** Set to make every call reject as the registry does when it cannot decide. */
  failing = false;

  add(identity: Partial<ClientIdentity> & { clientId: string }, secret: string | null = null): ClientIdentity {
    const full: ClientIdentity = {
      tenantId: 'acme',
      name: identity.clientId,
      authMethod: 'client_secret_basic',
      accessTokenTtlMinutes: 30,
      scopes: [],
      jwks: null,
      serviceAccount: null,
      ...identity,
    };
    this.#clients.set(full.clientId, { identity: full, secret });
    return full;
  }

  async authenticateSecret(clientId: string, secret: string, method: 'client_secret_basic' | 'client_secret_post'): Promise<ClientAuthOutcome> {
    if (this.failing) throw Object.assign(new Error('storage down'), { code: 'ERR_STORAGE_UNAVAILABLE' });
    const c = this.#clients.get(clientId);
    if (c === undefined) return { ok: false, refusal: 'unknown_client' };
    if (c.identity.authMethod !== method) return { ok: false, refusal: 'method_not_allowed' };
    if (c.secret === null) return { ok: false, refusal: 'no_secret' };
    if (c.secret !== secret) return { ok: false, refusal: 'bad_secret' };
    return { ok: true, client: c.identity, slot: 'current' };
  }

  async identity(clientId: string): Promise<ClientIdentity | null> {
    if (this.failing) throw Object.assign(new Error('storage down'), { code: 'ERR_STORAGE_UNAVAILABLE' });
    return this.#clients.get(clientId)?.identity ?? null;
  }
}

export interface TokenHarnessOptions {
  alg?: SigningAlg;
  issuer?: string | null;
  requireHttps?: boolean;
  trustedProxies?: string[];
  maxFailures?: number;
  windowMs?: number;
  rotationMs?: number;
  overlapMs?: number;
  refreshMs?: number;
}

export interface TokenHarness {
  base: string;
  clock: ManualClock;
  clients: MemoryClients;
  storage: StorageBackend;
  keys: SigningKeys;
  verifier: BuiltInVerifier;
  service: TokenService;
  audit(): Array<Record<string, unknown>>;
  /** A second view of the same storage, as another replica or shard would have. */
  otherKeys(over?: { alg?: SigningAlg; repo?: SigningKeyRepository }): SigningKeys;
  close(): Promise<void>;
}

function captured(): { log: Logger; lines: () => Array<Record<string, unknown>> } {
  const text: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb): void {
      text.push(chunk.toString());
      cb();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines: () => text.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

let shared: Promise<{ storage: StorageBackend; dir: string }> | undefined;

/**
 * One embedded database per test file (opening one costs seconds): each harness starts from no
 * signing keys and no revoked tokens. Call closeSharedStorage() once, after the file's tests.
 */
async function sharedStorage(): Promise<StorageBackend> {
  shared ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetgate-oauth-'));
    const storage = await openBackend({ kind: 'pglite', dataDir: dir });
    await storage.migrate();
    return { storage, dir };
  })();
  const { storage } = await shared;
  for (const k of await storage.signingKeys.list()) await storage.signingKeys.retire(k.kid, 0);
  await storage.signingKeys.deleteRetiredBefore(1);
  await storage.revokedTokens.purgeExpired(Number.MAX_SAFE_INTEGER);
  return storage;
}

export async function closeSharedStorage(): Promise<void> {
  if (shared === undefined) return;
  const { storage, dir } = await shared;
  shared = undefined;
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}

export async function startTokenHarness(o: TokenHarnessOptions = {}): Promise<TokenHarness> {
  const storage = await sharedStorage();
  const clock = new ManualClock(Date.now());
  const audit = captured();
  const kek = new KeyEncryptionKey(randomBytes(32).toString('base64'));
  const keyOpts = {
    repo: storage.signingKeys,
    kek,
    alg: o.alg ?? 'ES256',
    rotationMs: o.rotationMs ?? 30 * DAY,
    overlapMs: o.overlapMs ?? 2 * DAY,
    refreshMs: o.refreshMs ?? 5000,
    clock,
    audit: audit.log,
  } as const;
  const keys = new SigningKeys(keyOpts);
  const issuer = o.issuer ?? null;
  const verifier = new BuiltInVerifier({ keys, revoked: storage.revokedTokens, audience: 'fleetgate', issuer, clock, skewMs: 30_000 });
  const clients = new MemoryClients();
  const service = new TokenService({
    clients,
    keys,
    verifier,
    revoked: storage.revokedTokens,
    limiter: new LocalLimiter({ maxFailures: o.maxFailures ?? 10, windowMs: o.windowMs ?? 60_000 }, clock),
    clock,
    audit: audit.log,
    audience: 'fleetgate',
    issuer,
    requireHttps: o.requireHttps ?? false,
    skewMs: 30_000,
    maxTtlMs: keyOpts.overlapMs,
  });
  await keys.refresh();
  const server: HttpServer = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    routes: tokenRoutes(service),
    trustedProxies: o.trustedProxies ?? ['127.0.0.1', '::1'],
    log: pino({ level: 'silent' }),
  });
  return {
    base: `http://127.0.0.1:${server.port}`,
    clock,
    clients,
    storage,
    keys,
    verifier,
    service,
    audit: audit.lines,
    otherKeys: (over = {}) => new SigningKeys({ ...keyOpts, ...over }),
    async close() {
      await server.close();
    },
  };
}

/** POSTs a form; `auth` is [id, secret] for client_secret_basic (RFC 6749 2.3.1 encoding). */
export async function postForm(
  url: string,
  params: Record<string, string> | string,
  opts: { auth?: [string, string]; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...opts.headers };
  if (opts.auth) headers.authorization = basicHeader(opts.auth[0], opts.auth[1]);
  const body = typeof params === 'string' ? params : new URLSearchParams(params).toString();
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed as any };
}

export function basicHeader(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}
