/**
 * The whole platform in one process: the shard cluster with fleetgate's modules, the hashing
 * pool, the management endpoint, and the process-wide pieces the shards reach through hubs
 * (the embedded database, the in-process bus). `startPlatform` is what `fleetgate start` runs and
 * what end-to-end tests start in-process.
 *
 * Start-up order: configuration checks that span keys, secrets resolved, storage opened and
 * migrated once (here, not in every shard), bus, then the shards, then the management port.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { bootstrapFromConfig } from '../actors/auth/bootstrap.js';
import { seedOAuthClients } from '../actors/oauth/clients/startup.js';
import type { PlatformConfig } from '../actors/platform-config.js';
import { Cluster, ConfigCodes, ConfigError, logger, startManagement, type Config, type Hub, type ManagementServer } from '../runtime/index.js';
import { openBackend, serveStorage, type BackendConfig, type StorageBackend } from '../storage/index.js';
import { BusHub, InProcessBus, NatsBus, type Bus } from '../transports/bus/index.js';
import { uwsBuild } from '../transports/uws.js';

export interface Platform {
  readonly cluster: Cluster;
  readonly management: ManagementServer;
  /** The HTTP port every shard listens on (resolved when configured as 0). */
  readonly httpPort: number;
  /** Plain MQTT and MQTT/TLS ports (resolved when configured as 0; undefined when disabled). */
  readonly mqttPort: number | undefined;
  readonly mqttsPort: number | undefined;
  /** The process's view of the bus (the in-process bus itself, or a NATS connection). */
  readonly bus: Bus;
  /** Re-reads the configuration files that can change in service (the KPC file) on every
   *  shard now, instead of at each shard's next poll; what SIGHUP does. */
  reload(): ReturnType<Cluster['reload']>;
  stop(): Promise<void>;
}

const module = (path: string): string => new URL(path, import.meta.url).href;

/** Modules every shard loads, in order: each may use what the ones before it provide. */
export function platformModules(): string[] {
  return [module('../actors/infra.js'), module('../actors/credentials/module.js'), module('../actors/oauth/clients/module.js'), module('../actors/oauth/token/module.js'), module('../actors/auth/module.js'), module('../actors/frontdoor/module.js'), module('../actors/extensions/module.js'), module('../actors/api.js')];
}

/** Rules that involve several keys, checked before anything starts. */
function crossCheck(config: Config): void {
  const problems: string[] = [];
  for (const key of ['storage.clientCredentials', 'storage.endpointTokens', 'storage.oauth'] as const) {
    const where = config[key];
    if (where === 'postgres' && config['storage.postgres.url'] === null) {
      problems.push(`"${key}" is postgres, so "storage.postgres.url" (FLEETGATE_POSTGRES_URL) must be set`);
    }
    if (where === 'mariadb' && config['storage.mariadb.url'] === null) {
      problems.push(`"${key}" is mariadb, so "storage.mariadb.url" (FLEETGATE_MARIADB_URL) must be set`);
    }
  }
  // Every listener but the management one sets SO_REUSEPORT, so one port given to two of them
  // would not fail their binds: the kernel would split connections between them (a plain MQTT
  // client could land on the TLS listener). Port 0 is a pick, never shared.
  const ports: Array<[string, number]> = [
    ['management.port', config['management.port']],
    ['http.port', config['http.port']],
  ];
  if (config['mqtt.tcp.enabled']) ports.push(['mqtt.tcp.port', config['mqtt.tcp.port']]);
  if (config['mqtt.tls.certFile'] !== null && config['mqtt.tls.keyFile'] !== null) ports.push(['mqtt.tls.port', config['mqtt.tls.port']]);
  const byPort = new Map<number, string>();
  for (const [key, port] of ports) {
    if (port === 0) continue;
    const other = byPort.get(port);
    if (other !== undefined) problems.push(`"${key}" and "${other}" are both ${port}; each listener needs its own port`);
    else byPort.set(port, key);
  }
  if (problems.length > 0) throw new ConfigError(ConfigCodes.INVALID, `invalid configuration:\n  - ${problems.join('\n  - ')}`, { data: { problems } });
}

/** The endpoint-token pepper: configured, or generated once into the data directory (0600). */
function tokenPepper(config: Config): string {
  const configured = config['credentials.tokenPepper'];
  if (configured !== null) return configured;
  const file = join(resolve(config.dataDir), 'token-pepper');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(resolve(config.dataDir), { recursive: true });
  const pepper = randomBytes(32).toString('base64url');
  writeFileSync(file, `${pepper}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return pepper;
}

/** The key that encrypts stored OAuth signing keys: configured, or generated once into the data
 *  directory (0600), as the pepper above. Base64 of 32 bytes (AES-256-GCM). */
function oauthKek(config: Config): string {
  const configured = config['oauth.keyEncryptionKey'];
  if (configured !== null) return configured;
  const file = join(resolve(config.dataDir), 'oauth-kek');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(resolve(config.dataDir), { recursive: true });
  const kek = randomBytes(32).toString('base64');
  writeFileSync(file, `${kek}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return kek;
}

/** Listens on `port` without SO_REUSEPORT and gives it back: the port it got. While it listens,
 *  a client's connect to that port succeeds and is then dropped, so readiness is judged by the
 *  management port's /health (it listens last), never by a connect to a service port. */
function probe(host: string, port: number): Promise<number> {
  return new Promise<number>((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(port, host, () => {
      const got = (s.address() as { port: number }).port;
      s.close(() => ok(got));
    });
  });
}

/**
 * The port to listen on. uWS and the shared MQTT listeners set SO_REUSEPORT, so a port another
 * process holds (another instance started on the same port, say) would not fail their bind: the
 * kernel would split connections between the two. So a configured port is first taken here
 * without the option, which fails with EADDRINUSE as a plain listener would. For `port` 0, one
 * the kernel has free now (every shard must listen on the same port, so it is picked here, not
 * by each shard); each probe gives its port back, so the next one may be handed the same number,
 * and `taken` keeps the ports of this start apart.
 */
async function concretePort(host: string, port: number, taken: Set<number>): Promise<number> {
  if (port !== 0) {
    await probe(host, port);
    taken.add(port);
    return port;
  }
  for (let attempt = 0; attempt < 32; attempt++) {
    const p = await probe(host, 0);
    if (!taken.has(p)) {
      taken.add(p);
      return p;
    }
  }
  throw new ConfigError(ConfigCodes.INVALID, `no free port on ${host} distinct from ${[...taken].join(', ')}`, { data: { host, taken: [...taken] } });
}

/** `env`: where the seed file's client secrets are read from (default: the process environment). */
export async function startPlatform(config: Config, opts: { modules?: string[]; env?: Readonly<Record<string, string | undefined>> } = {}): Promise<Platform> {
  const log = logger('platform');
  crossCheck(config);
  const build = uwsBuild();
  if (build === 'native') log.info({ uws: build }, 'uWebSockets.js native build loaded');
  else log.warn({ uws: build }, 'uWebSockets.js native build did NOT load; running the slow JavaScript fallback');

  const closers: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c().catch((err: unknown) => log.warn({ err: String(err) }, 'close failed'));
  };
  try {
    const hubs: Hub[] = [];
    // Storage: migrate every backend once, here; the embedded one is also served to the shards.
    let oauthBackend: StorageBackend | undefined;
    const wanted = new Set([config['storage.clientCredentials'], config['storage.endpointTokens'], config['storage.oauth']]);
    for (const where of wanted) {
      const cfg: BackendConfig =
        where === 'embedded'
          ? { kind: 'pglite', dataDir: join(resolve(config.dataDir), 'pglite') }
          : where === 'postgres'
            ? { kind: 'postgres', url: config['storage.postgres.url']!, poolSize: 2 }
            : { kind: 'mariadb', url: config['storage.mariadb.url']!, poolSize: 2 };
      if (cfg.kind === 'pglite') mkdirSync(cfg.dataDir, { recursive: true });
      const backend: StorageBackend = await openBackend(cfg);
      closers.push(() => backend.close());
      await backend.migrate();
      log.info({ storage: where }, 'storage ready');
      if (where === config['storage.oauth']) oauthBackend = backend;
      if (where === 'embedded') hubs.push(serveStorage(backend));
    }
    // The OAuth seed file (clients created when missing, service accounts updated), once per process.
    await seedOAuthClients(config, oauthBackend!, opts.env ?? process.env, log);
    let bus: Bus;
    if (config['bus.kind'] === 'inprocess') {
      const inproc = new InProcessBus();
      bus = inproc;
      hubs.push(new BusHub(inproc));
    } else {
      bus = await NatsBus.connect({ servers: config['bus.nats.servers'].split(',').map((s) => s.trim()), name: `fleetgate-${config['service.replicaId']}-main` });
    }
    closers.push(() => bus.close());

    const tlsOn = config['mqtt.tls.certFile'] !== null && config['mqtt.tls.keyFile'] !== null;
    // Every configured port first, so that a pick for port 0 is never one of them.
    const taken = new Set<number>(
      [config['management.port'], config['http.port'], config['mqtt.tcp.enabled'] ? config['mqtt.tcp.port'] : 0, tlsOn ? config['mqtt.tls.port'] : 0].filter((p) => p !== 0),
    );
    const httpPort = await concretePort(config['listen.host'], config['http.port'], taken);
    // The bootstrap admin client (its generated secret printed once to stdout), before any shard serves.
    await bootstrapFromConfig(config, oauthBackend!.oauthClients, httpPort);
    const mqttPort = config['mqtt.tcp.enabled'] ? await concretePort(config['listen.host'], config['mqtt.tcp.port'], taken) : undefined;
    const mqttsPort = tlsOn ? await concretePort(config['listen.host'], config['mqtt.tls.port'], taken) : undefined;
    const moduleConfig: PlatformConfig = { ...config, 'http.port': httpPort, 'mqtt.tcp.port': mqttPort ?? 0, 'mqtt.tls.port': mqttsPort ?? 0, tokenPepper: tokenPepper(config), 'oauth.keyEncryptionKey': oauthKek(config) };
    const cluster = await Cluster.start({
      shards: config['runtime.shards'],
      modules: opts.modules ?? platformModules(),
      logLevel: config['log.level'],
      moduleConfig,
      hubs,
      settings: {
        mailboxCapacity: config['runtime.mailboxCapacity'],
        idlePassivationMs: config['runtime.idlePassivationMs'],
        askTimeoutMs: config['runtime.askTimeoutMs'],
        maxBatch: config['runtime.maxBatch'],
        turnBudget: config['runtime.turnBudget'],
        drainTimeoutMs: config['runtime.drainTimeoutMs'],
      },
      hashing: {
        threads: config['hashing.threads'],
        maxQueue: config['hashing.maxQueue'],
        memoryCost: config['hashing.memoryCost'],
        timeCost: config['hashing.timeCost'],
        parallelism: config['hashing.parallelism'],
      },
    });
    closers.push(() => cluster.stop());
    const management = await startManagement(cluster, { host: config['listen.host'], port: config['management.port'] });
    closers.push(() => management.close());
    log.info(
      { http: httpPort, mqtt: mqttPort, mqtts: mqttsPort, management: management.port, shards: cluster.shardCount, hashingThreads: cluster.hashPool.threads, bus: bus.kind },
      'fleetgate is up',
    );
    let stopping: Promise<void> | null = null;
    return {
      cluster,
      management,
      httpPort,
      mqttPort,
      mqttsPort,
      bus,
      reload: () => cluster.reload(),
      stop() {
        stopping ??= closeAll().then(() => log.info('stopped'));
        return stopping;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
