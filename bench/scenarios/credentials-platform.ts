/**
 * The fleetgate the `credentials` bench measures: the whole platform in this process
 * (`startPlatform`, as `fleetgate start` runs it) with the bench's driver module loaded into
 * every shard after fleetgate's own, both credential domains on the chosen backend, and, for
 * `--backend postgres|mariadb` and `--bus nats`, real servers started here and stopped after.
 *
 * The servers keep their durable defaults (fsync, synchronous commit): a transition is
 * reported as a durable write, so it must pay for one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Permissions } from '../../actors/credentials/routes.js';
import { platformModules, startPlatform, type Platform } from '../../bin/platform.js';
import { loadConfig, setLogLevel, settings } from '../../runtime/index.js';
import { startMariadb } from '../servers/mariadb.js';
import { startNats } from '../servers/nats.js';
import { startPostgres } from '../servers/postgres.js';
import type { RestClient } from './credentials-rest.js';

export type Backend = 'embedded' | 'postgres' | 'mariadb';
export type BusKind = 'inprocess' | 'nats';

export const TENANT = 'bench';
/** Every permission of the credential API: `api.auth: trusted-header` reads them from the gateway header. */
export const ALL_SCOPES = Object.values(Permissions).join(' ');
const DRIVER_MODULE = new URL('../actors/credentials-actors.js', import.meta.url).href;

export interface BenchPlatformOptions {
  backend: Backend;
  bus: BusKind;
  shards: number;
  hashingThreads: number;
  memoryCost: number;
  timeCost: number;
  say(line: string): void;
}

export interface BenchPlatform {
  readonly platform: Platform;
  /** The REST API as tenant `bench` with every scope. */
  readonly rest: RestClient;
  /** The CM service instance name: the 16/ECAP subjects are built from it. */
  readonly cmInstance: string;
  stop(): Promise<void>;
}

export async function startBenchPlatform(o: BenchPlatformOptions): Promise<BenchPlatform> {
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c().catch((err: unknown) => o.say(`close failed: ${String(err)}`));
  };
  try {
    const dataDir = mkdtempSync(join(tmpdir(), 'fleetgate-bench-cred-'));
    closers.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const overrides: Record<string, unknown> = {
      dataDir,
      'listen.host': '127.0.0.1',
      'http.port': 0,
      'management.port': 0,
      // The bench provisions as a gateway would (trusted headers from loopback): no admin client,
      // no bootstrap secret printed, no token round trips in the measured calls.
      'api.auth': 'trusted-header',
      'auth.admin.bootstrap': false,
      // The credentials scenario measures the credential services alone.
      'mqtt.tcp.enabled': false,
      'mqtt.ws.enabled': false,
      'runtime.shards': o.shards,
      'hashing.threads': o.hashingThreads,
      'hashing.memoryCost': o.memoryCost,
      'hashing.timeCost': o.timeCost,
      'log.level': 'warn',
      'storage.clientCredentials': o.backend,
      'storage.endpointTokens': o.backend,
      'bus.kind': o.bus,
    };
    if (o.backend === 'postgres') {
      o.say('starting PostgreSQL (durable defaults)');
      const pg = await startPostgres({ durable: true });
      closers.push(() => pg.stop());
      overrides['storage.postgres.url'] = pg.url;
    } else if (o.backend === 'mariadb') {
      o.say('starting MariaDB (durable defaults)');
      const mdb = await startMariadb({ durable: true });
      closers.push(() => mdb.stop());
      overrides['storage.mariadb.url'] = mdb.url;
    }
    if (o.bus === 'nats') {
      o.say('starting nats-server');
      const nats = await startNats();
      closers.push(() => nats.stop());
      overrides['bus.nats.servers'] = nats.url;
    }
    // env: {} so that no FLEETGATE_* variable of the shell changes what is measured.
    const config = loadConfig(settings, { env: {}, overrides });
    setLogLevel(config['log.level']);
    const platform = await startPlatform(config, { modules: [...platformModules(), DRIVER_MODULE] });
    closers.push(() => platform.stop());
    return {
      platform,
      rest: { base: `http://127.0.0.1:${platform.httpPort}`, tenant: TENANT, scopes: ALL_SCOPES },
      cmInstance: config['cm.instanceName'],
      stop: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
