/**
 * The credential services (CCM and CM) on a shard: the two actor kinds, their dependencies, the
 * service object REST handlers use, and the bus responders. Needs the infra module before it.
 */
import { randomBytes } from 'node:crypto';
import { sourcedCounter, type ShardHost } from '../../runtime/index.js';
import type { Route } from '../../transports/http/index.js';
import type { ClientCredentialRepository, EndpointTokenRepository } from '../../storage/index.js';
import type { Bus } from '../../transports/bus/index.js';
import type { PlatformConfig } from '../platform-config.js';
import { ClientCredentialActor } from './client-credential-actor.js';
import { CREDENTIAL_DEPS, type CredentialDeps } from './deps.js';
import { EndpointTokenActor } from './endpoint-token-actor.js';
import { credentialEvents } from './events.js';
import { CLIENT_CREDENTIAL, ENDPOINT_TOKEN } from './protocol.js';
import { credentialResponders } from './responders.js';
import { credentialRoutes } from './routes.js';
import { SecretCache } from './secret-cache.js';
import { CredentialService } from './service.js';

export const CREDENTIAL_SERVICE = 'credentials.service';

export async function setup(host: ShardHost): Promise<void> {
  const cfg = host.config as PlatformConfig;
  const bus = host.dep<Bus>('bus');
  const clientCredentials = host.dep<ClientCredentialRepository>('storage.clientCredentials');
  const endpointTokens = host.dep<EndpointTokenRepository>('storage.endpointTokens');
  const names = { ccmInstance: cfg['ccm.instanceName'], cmInstance: cfg['cm.instanceName'], replicaId: cfg['service.replicaId'] };
  const events = credentialEvents(bus, names, host.clock);
  const cache = new SecretCache({ maxEntries: cfg['credentials.cache.maxEntries'], ttlMs: cfg['credentials.cache.ttlMs'] });
  const deps: CredentialDeps = {
    clientCredentials,
    endpointTokens,
    hasher: host.hasher,
    cache,
    events,
    stateTtlMs: cfg['credentials.stateTtlMs'],
    lastUseGranularityMs: cfg['credentials.lastUseGranularityMs'],
    dummyHash: await host.hasher.hash(randomBytes(32).toString('base64')),
  };
  host.provide(CREDENTIAL_DEPS, deps);
  host.registerActor({ name: CLIENT_CREDENTIAL, create: (ctx) => new ClientCredentialActor(ctx) });
  host.registerActor({ name: ENDPOINT_TOKEN, create: (ctx) => new EndpointTokenActor(ctx) });

  const service = new CredentialService({
    actors: host.actors,
    clientCredentials,
    endpointTokens,
    events,
    tokenPepper: Buffer.from(cfg.tokenPepper, 'utf8'),
    now: () => host.clock.now(),
  });
  host.provide(CREDENTIAL_SERVICE, service);
  host.addService(credentialResponders(bus, service, host.actors, names, host.log));
  host.dep<Route[]>('http.routes').push(...credentialRoutes(service, { bulkMaxBodyBytes: cfg['http.bulkMaxBodyBytes'] }));

  sourcedCounter(host.metrics, 'fleetgate_secret_cache_hits_total', 'Authentications answered from the verified-secret cache', () => cache.hits);
  sourcedCounter(host.metrics, 'fleetgate_secret_cache_misses_total', 'Authentications that needed a hash verification', () => cache.misses);
}
