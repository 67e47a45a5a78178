/**
 * Every setting fleetgate reads, declared once. The YAML file uses the dotted keys as nested
 * maps (`runtime: { shards: 2 }`); the environment variable, when given, wins over the file.
 */
import { availableParallelism } from 'node:os';
import { int, oneOf, port, str, type ConfigOf, type Schema } from './schema.js';

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
} satisfies Schema;

export type Settings = typeof settings;
export type Config = ConfigOf<Settings>;
