/**
 * The OAuth client registry on a shard: the OAuthClientActor kind, its dependencies, the
 * `OAuthClients` service under OAUTH_CLIENTS ('oauth.clients') for the token service and the
 * bearer hook, the cross-replica change listener, and the admin routes. Needs the infra module
 * (storage, bus, 'http.routes') before it.
 */
import { randomBytes } from 'node:crypto';
import { keysPerShard, logger, sourcedCounter, type ShardHost } from '../../../runtime/index.js';
import type { OAuthClientRepository, ServiceAccountRepository } from '../../../storage/index.js';
import type { Bus } from '../../../transports/bus/index.js';
import type { Route } from '../../../transports/http/index.js';
import { SecretCache } from '../../credentials/secret-cache.js';
import type { PlatformConfig } from '../../platform-config.js';
import { OAUTH_CLIENTS } from '../contract.js';
import { OAuthClientActor } from './client-actor.js';
import { OAUTH_CLIENT_DEPS, type OAuthClientDeps } from './deps.js';
import { clientChangeListener, clientEvents } from './events.js';
import { secretLifecycle } from './lifecycle.js';
import { OAUTH_CLIENT } from './protocol.js';
import { ClientRegistry } from './registry.js';
import { AUTH_CACHE_KEY_PREFIX, authCacheActorKind, OAUTH_AUTH_CACHE, ShardAuthCache } from './shard-cache.js';
import { clientRoutes } from './routes.js';

export async function setup(host: ShardHost): Promise<void> {
  const cfg = host.config as PlatformConfig;
  const bus = host.dep<Bus>('bus');
  const clients = host.dep<OAuthClientRepository>('storage.oauthClients');
  const serviceAccounts = host.dep<ServiceAccountRepository>('storage.serviceAccounts');
  const replicaId = cfg['service.replicaId'];
  const events = clientEvents(bus, replicaId);
  const audit = logger('audit', { shard: host.shardId });
  const cache = new SecretCache({ maxEntries: cfg['credentials.cache.maxEntries'], ttlMs: cfg['credentials.cache.ttlMs'] });
  const dummyHash = await host.hasher.hash(randomBytes(32).toString('base64'));
  const deps: OAuthClientDeps = {
    clients,
    serviceAccounts,
    hasher: host.hasher,
    cache,
    events,
    lifecycle: secretLifecycle(cfg),
    stateTtlMs: cfg['credentials.stateTtlMs'],
    dummyHash,
    audit,
    authCacheKeys: keysPerShard(OAUTH_AUTH_CACHE, AUTH_CACHE_KEY_PREFIX, host.shardCount),
  };
  host.provide(OAUTH_CLIENT_DEPS, deps);
  host.registerActor({ name: OAUTH_CLIENT, create: (ctx) => new OAuthClientActor(ctx) });
  // Clients are few: the cache holds a handful of secrets each (current, previous, per method).
  const local = new ShardAuthCache(Math.min(cfg['credentials.cache.maxEntries'], 10_000), host.clock);
  host.registerActor(authCacheActorKind(local));

  const registry = new ClientRegistry({
    actors: host.actors,
    clients,
    serviceAccounts,
    events,
    clock: host.clock,
    audit,
    dummyVerify: (secret) => host.hasher.verify(secret, dummyHash).then(() => undefined),
    local,
  });
  host.provide(OAUTH_CLIENTS, registry);
  host.addService(clientChangeListener(bus, host.actors, replicaId, host.log));
  host.dep<Route[]>('http.routes').push(...clientRoutes(registry));

  sourcedCounter(host.metrics, 'fleetgate_oauth_secret_cache_hits_total', 'Client authentications answered from the verified-secret cache', () => cache.hits);
  sourcedCounter(host.metrics, 'fleetgate_oauth_secret_cache_misses_total', 'Client authentications that needed a hash verification', () => cache.misses);
  sourcedCounter(host.metrics, 'fleetgate_oauth_auth_shard_cache_hits_total', 'Client authentications answered by the receiving shard without asking the client actor', () => local.hits);
}
