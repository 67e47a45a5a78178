/**
 * Every setting fleetgate reads, declared once. The YAML file uses the dotted keys as nested
 * maps (`runtime: { shards: 2 }`); the environment variable, when given, wins over the file.
 */
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { int, oneOf, optionalStr, port, str, type ConfigOf, type Schema } from './schema.js';

export const settings = {
  'log.level': oneOf({
    env: 'FLEETGATE_LOG_LEVEL',
    default: 'info',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    doc: 'Lowest level written to the JSON log',
  }),
  dataDir: str({ env: 'FLEETGATE_DATA_DIR', default: './data', doc: 'Directory of the embedded database and other local data' }),
  'listen.host': str({ env: 'FLEETGATE_HOST', default: '0.0.0.0', doc: 'Address every listener binds to' }),
  'management.port': port({ env: 'FLEETGATE_MGMT_PORT', default: 9090, doc: 'Port of GET /health and GET /metrics' }),

  'runtime.shards': int({ env: 'FLEETGATE_SHARDS', min: 1, max: 256, default: () => availableParallelism(), doc: 'Shard worker threads' }),
  'runtime.mailboxCapacity': int({ min: 1, max: 1_000_000, default: 1024, doc: 'Messages an actor mailbox holds before it answers busy' }),
  'runtime.idlePassivationMs': int({ min: 1000, default: 300_000, doc: 'Idle time after which an actor is passivated' }),
  'runtime.askTimeoutMs': int({ min: 1, max: 600_000, default: 5000, doc: 'Default deadline of an ask' }),
  'runtime.maxBatch': int({ min: 1, max: 65_536, default: 4096, doc: 'Messages per cross-thread batch before a flush is forced' }),
  'runtime.turnBudget': int({ min: 1, max: 1_000_000, default: 8192, doc: 'Messages a shard handles before yielding to I/O' }),
  'runtime.drainTimeoutMs': int({ min: 0, max: 600_000, default: 10_000, doc: 'How long shutdown waits for mailboxes to drain' }),

  'hashing.threads': int({ env: 'FLEETGATE_HASHING_THREADS', min: 1, max: 256, default: () => availableParallelism(), doc: 'Threads of the hashing pool' }),
  'hashing.maxQueue': int({ min: 1, max: 1_000_000, default: 4096, doc: 'Hashing tasks that may wait before callers get busy' }),
  'hashing.memoryCost': int({ min: 1024, max: 4_194_304, default: 19_456, doc: 'argon2id memory in KiB' }),
  'hashing.timeCost': int({ min: 1, max: 100, default: 2, doc: 'argon2id iterations' }),
  'hashing.parallelism': int({ min: 1, max: 64, default: 1, doc: 'argon2id lanes' }),

  'http.port': port({ env: 'FLEETGATE_HTTP_PORT', default: 8080, doc: 'Port of the REST APIs, OAuth endpoints, 1/KP over HTTP and MQTT over WebSocket' }),
  'http.maxBodyBytes': int({ min: 1024, max: 64 * 1024 * 1024, default: 1024 * 1024, doc: 'Largest request body accepted, except bulk provisioning' }),
  'http.bulkMaxBodyBytes': int({ min: 1024, max: 256 * 1024 * 1024, default: 16 * 1024 * 1024, doc: 'Largest bulk provisioning body' }),

  'api.auth': oneOf({
    env: 'FLEETGATE_API_AUTH',
    default: 'trusted-header',
    values: ['trusted-header'],
    doc: 'How admin REST calls are authenticated. trusted-header: behind a gateway that authenticates the caller and sets X-Fleetgate-Tenant and X-Fleetgate-Scopes',
  }),
  'http.trustedProxies': str({
    env: 'FLEETGATE_TRUSTED_PROXIES',
    default: '127.0.0.1,::1',
    doc: 'Comma-separated addresses or CIDR blocks of the gateways whose X-Forwarded-* and X-Fleetgate-* headers are believed',
  }),
  'service.replicaId': str({
    env: 'FLEETGATE_REPLICA_ID',
    default: () => randomBytes(8).toString('hex'),
    pattern: /^[A-Za-z0-9_-]{1,64}$/,
    patternText: '1 to 64 characters of A-Z a-z 0-9 _ -',
    doc: 'This replica in 3/ISM replica subjects and event originatorReplicaId (random by default)',
  }),
  'ccm.instanceName': str({ default: 'ccm', pattern: /^[A-Za-z0-9_-]{1,64}$/, patternText: '1 to 64 characters of A-Z a-z 0-9 _ -', doc: 'Service instance name of the client credential service on the bus' }),
  'cm.instanceName': str({ default: 'cm', pattern: /^[A-Za-z0-9_-]{1,64}$/, patternText: '1 to 64 characters of A-Z a-z 0-9 _ -', doc: 'Service instance name of the endpoint token service on the bus' }),
  'kpc.instanceName': str({ default: 'kpc', pattern: /^[A-Za-z0-9_-]{1,64}$/, patternText: '1 to 64 characters of A-Z a-z 0-9 _ -', doc: 'Service instance name of the front door (KPC) on the bus: extensions answer to kaa.v1.service.<name>.esp.ExtensionData' }),

  'bus.kind': oneOf({ env: 'FLEETGATE_BUS', default: 'inprocess', values: ['inprocess', 'nats'], doc: 'In-process bus (one node) or NATS (replicas)' }),
  'bus.nats.servers': str({ env: 'FLEETGATE_NATS_SERVERS', default: 'nats://127.0.0.1:4222', doc: 'Comma-separated NATS server URLs' }),

  'storage.clientCredentials': oneOf({ env: 'FLEETGATE_CCM_STORAGE', default: 'embedded', values: ['embedded', 'postgres', 'mariadb'], doc: 'Where client credentials live' }),
  'storage.endpointTokens': oneOf({ env: 'FLEETGATE_CM_STORAGE', default: 'embedded', values: ['embedded', 'postgres', 'mariadb'], doc: 'Where endpoint tokens live' }),
  'storage.oauth': oneOf({ env: 'FLEETGATE_OAUTH_STORAGE', default: 'embedded', values: ['embedded', 'postgres', 'mariadb'], doc: 'Where OAuth clients, service accounts, signing keys and revoked tokens live' }),
  'storage.postgres.url': optionalStr({ env: 'FLEETGATE_POSTGRES_URL', secret: true, pattern: /^postgres(ql)?:\/\//, patternText: 'a postgres:// URL', doc: 'PostgreSQL connection URL' }),
  'storage.mariadb.url': optionalStr({ env: 'FLEETGATE_MARIADB_URL', secret: true, pattern: /^mariadb:\/\//, patternText: 'a mariadb:// URL', doc: 'MariaDB connection URL' }),
  'storage.poolSize': int({ min: 1, max: 1000, default: 10, doc: 'Connections per shard to each database server' }),

  'credentials.tokenPepper': optionalStr({
    env: 'FLEETGATE_TOKEN_PEPPER',
    secret: true,
    pattern: /^.{32,}$/,
    patternText: 'at least 32 characters',
    doc: 'HMAC key of endpoint-token lookups; the same on every replica. Default: generated once into the data directory',
  }),
  'credentials.cache.maxEntries': int({ min: 1, max: 10_000_000, default: 100_000, doc: 'Verified secrets remembered per shard' }),
  'credentials.cache.ttlMs': int({ min: 1000, default: 600_000, doc: 'How long a verified secret is remembered' }),
  'credentials.stateTtlMs': int({ min: 100, default: 30_000, doc: 'Age after which a credential actor reloads its state before deciding' }),
  'credentials.lastUseGranularityMs': int({ min: 0, default: 60_000, doc: 'How often at most lastUseDate is written per credential' }),
} satisfies Schema;

export type Settings = typeof settings;
export type Config = ConfigOf<Settings>;
