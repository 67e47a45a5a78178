/**
 * The first module every shard loads: it opens what the other modules share on that shard, the
 * storage repositories and the bus, and provides them by name:
 *   'storage.clientCredentials', 'storage.endpointTokens',
 *   'storage.oauthClients', 'storage.serviceAccounts',
 *   'storage.revokedTokens', 'storage.signingKeys'          (repositories)
 *   'bus'                                                   (Bus)
 *   'http.routes'                                           (Route[] the HTTP module serves)
 *   'http.attach'                                           (HttpAttach[]: other protocols on its port)
 *
 * Embedded storage (PGlite) and the in-process bus live once per process on the main thread and
 * are reached through the 'storage' and 'bus' hubs; PostgreSQL, MariaDB and NATS are connected
 * from every shard (each its own pool / connection), so shards never queue behind each other.
 */
import type { ShardHost } from '../runtime/index.js';
import { openBackend, remoteBackend, type StorageBackend } from '../storage/index.js';
import { NatsBus, ThreadBus, type Bus } from '../transports/bus/index.js';
import type { PlatformConfig } from './platform-config.js';

export async function setup(host: ShardHost): Promise<void> {
  const cfg = host.config as PlatformConfig;
  const opened = new Map<string, StorageBackend>();
  const backend = async (where: 'embedded' | 'postgres' | 'mariadb'): Promise<StorageBackend> => {
    let b = opened.get(where);
    if (b !== undefined) return b;
    if (where === 'embedded') b = remoteBackend(host.hub('storage'));
    else if (where === 'postgres') b = await openBackend({ kind: 'postgres', url: cfg['storage.postgres.url']!, poolSize: cfg['storage.poolSize'] });
    else b = await openBackend({ kind: 'mariadb', url: cfg['storage.mariadb.url']!, poolSize: cfg['storage.poolSize'] });
    opened.set(where, b);
    const it = b;
    host.addHealthCheck(`storage:${where}`, () => it.health());
    host.onStopped(() => it.close());
    return b;
  };
  host.provide('storage.clientCredentials', (await backend(cfg['storage.clientCredentials'])).clientCredentials);
  host.provide('storage.endpointTokens', (await backend(cfg['storage.endpointTokens'])).endpointTokens);
  const oauth = await backend(cfg['storage.oauth']);
  host.provide('storage.oauthClients', oauth.oauthClients);
  host.provide('storage.serviceAccounts', oauth.serviceAccounts);
  host.provide('storage.revokedTokens', oauth.revokedTokens);
  host.provide('storage.signingKeys', oauth.signingKeys);

  let bus: Bus;
  if (cfg['bus.kind'] === 'nats') {
    bus = await NatsBus.connect({
      servers: cfg['bus.nats.servers'].split(',').map((s) => s.trim()),
      name: `fleetgate-${cfg['service.replicaId']}-shard-${host.shardId}`,
      logger: host.log,
    });
  } else bus = new ThreadBus(host.hub('bus'));
  host.provide('bus', bus);
  host.addHealthCheck('bus', () => bus.health());
  // The services' subscriptions (extensions, front door, notices) are in force before the
  // platform says it is up: a message published at once would otherwise find no subscriber.
  host.beforeReady(() => bus.flush());
  host.onStopped(() => bus.close());

  host.provide('http.routes', []);
  host.provide('http.attach', []);
}
