/**
 * The client registry without worker threads, for tests that drive time: a real Shard and
 * Router on a ManualClock, the real OAuthClientActor and ClientRegistry, real storage (PGlite
 * in a temporary directory), the real hashing pool and an in-process bus. Several "replicas"
 * can share one backend and one bus, each with its own replica id, actor copy and cache, to test
 * the cross-replica change notices.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashPool, keysPerShard, ManualClock } from '../../runtime/index.js';
import { rootLogger } from '../../runtime/log.js';
import type { RuntimeSettings } from '../../runtime/messages.js';
import { Router } from '../../runtime/router.js';
import { Shard } from '../../runtime/shard.js';
import { openBackend, type StorageBackend } from '../../storage/index.js';
import { InProcessBus } from '../../transports/bus/index.js';
import { SecretCache } from '../../actors/credentials/secret-cache.js';
import { OAuthClientActor } from '../../actors/oauth/clients/client-actor.js';
import { OAUTH_CLIENT_DEPS, type OAuthClientDeps } from '../../actors/oauth/clients/deps.js';
import { clientChangeListener, clientEvents } from '../../actors/oauth/clients/events.js';
import { OAUTH_CLIENT } from '../../actors/oauth/clients/protocol.js';
import { ClientRegistry } from '../../actors/oauth/clients/registry.js';
import { AUTH_CACHE_KEY_PREFIX, authCacheActorKind, OAUTH_AUTH_CACHE, ShardAuthCache } from '../../actors/oauth/clients/shard-cache.js';
import type { SecretLifecycle } from '../../actors/oauth/clients/secret-rules.js';

export const DAY = 86_400_000;
export const LIFECYCLE: SecretLifecycle = { ttlMs: 365 * DAY, previousGraceMs: 7 * DAY, rotationRequiredBeforeExpiryMs: 28 * DAY };

const SETTINGS: RuntimeSettings = { mailboxCapacity: 256, idlePassivationMs: 3_600_000, askTimeoutMs: 30_000, maxBatch: 64, turnBudget: 1000, drainTimeoutMs: 1000 };

export interface Replica {
  registry: ClientRegistry;
  cache: SecretCache;
  /** The shard's answer cache, in front of the actor (and so of `cache`). */
  local: ShardAuthCache;
  shard: Shard;
  stop(): void;
}

export interface ClientSystem {
  clock: ManualClock;
  backend: StorageBackend;
  hasher: HashPool;
  bus: InProcessBus;
  replica(id: string, opts?: { stateTtlMs?: number }): Promise<Replica>;
  close(): Promise<void>;
}

export async function clientSystem(lifecycle: SecretLifecycle = LIFECYCLE): Promise<ClientSystem> {
  rootLogger().level = 'silent';
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-oauth-clients-'));
  const backend = await openBackend({ kind: 'pglite', dataDir: join(dir, 'pglite') });
  await backend.migrate();
  const hasher = new HashPool({ threads: 1, maxQueue: 256, memoryCost: 1024, timeCost: 1, parallelism: 1 });
  const bus = new InProcessBus();
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const dummyHash = await hasher.hash(randomBytes(16).toString('hex'));
  const stops: Array<() => void> = [];
  return {
    clock,
    backend,
    hasher,
    bus,
    async replica(id, opts = {}) {
      const log = rootLogger();
      const cache = new SecretCache({ maxEntries: 1000, ttlMs: 3_600_000 });
      const events = clientEvents(bus, id);
      const deps: OAuthClientDeps = {
        clients: backend.oauthClients,
        serviceAccounts: backend.serviceAccounts,
        hasher,
        cache,
        events,
        lifecycle,
        stateTtlMs: opts.stateTtlMs ?? 30_000,
        dummyHash,
        audit: log,
        authCacheKeys: keysPerShard(OAUTH_AUTH_CACHE, AUTH_CACHE_KEY_PREFIX, 1),
      };
      const shard = new Shard(0, SETTINGS, clock, log, { [OAUTH_CLIENT_DEPS]: deps });
      const router = new Router(0, 1, shard, clock, SETTINGS.askTimeoutMs, SETTINGS.maxBatch);
      shard.register({ name: OAUTH_CLIENT, create: (ctx) => new OAuthClientActor(ctx) });
      const local = new ShardAuthCache(1000, clock);
      shard.register(authCacheActorKind(local));
      const registry = new ClientRegistry({
        actors: router,
        clients: backend.oauthClients,
        serviceAccounts: backend.serviceAccounts,
        events,
        clock,
        audit: log,
        dummyVerify: (s) => hasher.verify(s, dummyHash).then(() => undefined),
        local,
      });
      const listener = clientChangeListener(bus, router, id, log);
      await listener.start();
      const stop = () => void listener.stop();
      stops.push(stop);
      return { registry, cache, local, shard, stop };
    },
    async close() {
      for (const s of stops.splice(0)) s();
      await bus.close();
      await hasher.close();
      await backend.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a client straight in storage (as the seed or the bootstrap would). */
export async function createClient(
  backend: StorageBackend,
  clientId: string,
  over: Partial<Parameters<StorageBackend['oauthClients']['create']>[0]> = {},
): Promise<void> {
  await backend.oauthClients.create({
    clientId,
    tenantId: 'acme',
    name: `Confidential Client: ${clientId}`,
    authMethod: 'client_secret_basic',
    accessTokenTtlMinutes: 30,
    scopes: ['read', 'write'],
    jwks: null,
    seeded: false,
    version: 1,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  });
}

/** Lets the bus deliver and the shard run what is queued. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};
