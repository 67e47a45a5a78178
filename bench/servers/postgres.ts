/**
 * A throw-away PostgreSQL server for one test file or one bench run: initdb into a temp dir,
 * start `postgres` on a free 127.0.0.1 port, create the `fleetgate` database. PostgreSQL
 * refuses to run as root, so as root the server runs as the `postgres` account (Debian's
 * package creates it). Debian keeps the binaries off PATH, in /usr/lib/postgresql/<major>/bin.
 */
import { join } from 'node:path';
import pg from 'pg';
import {
  findExecutable,
  isExecutable,
  isRoot,
  listDirs,
  lookupUser,
  missingServer,
  removeDir,
  runToCompletion,
  startOnFreePort,
  startProcess,
  tempDir,
  type RunAs,
  type RunningServer,
  type ServerProcess,
} from './servers.js';

const USER = 'fleetgate';
const DATABASE = 'fleetgate';
const DEBIAN_ROOT = '/usr/lib/postgresql';

interface Binaries {
  initdb: string;
  postgres: string;
}

function findBinaries(): Binaries | null {
  // Newest major first, then PATH (Homebrew, CI images with postgres on PATH).
  for (const major of listDirs(DEBIAN_ROOT).reverse()) {
    const bin = join(DEBIAN_ROOT, major, 'bin');
    const initdb = join(bin, 'initdb');
    const postgres = join(bin, 'postgres');
    if (isExecutable(initdb) && isExecutable(postgres)) return { initdb, postgres };
  }
  const initdb = findExecutable('initdb');
  const postgres = findExecutable('postgres');
  return initdb !== null && postgres !== null ? { initdb, postgres } : null;
}

function runAsUser(): RunAs | string {
  if (!isRoot()) return null;
  return lookupUser('postgres') ?? 'running as root and no "postgres" account exists to run the server as';
}

/** null when a server can be started; otherwise why not (or throws, see missingServer). */
export function postgresSkipReason(): string | null {
  if (findBinaries() === null) return missingServer('PostgreSQL', `no initdb/postgres in ${DEBIAN_ROOT}/*/bin or on PATH (apt-get install postgresql)`);
  const runAs = runAsUser();
  return typeof runAs === 'string' ? missingServer('PostgreSQL', runAs) : null;
}

async function canConnect(port: number, database: string): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, database, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface StartPostgresOptions {
  /** Keep PostgreSQL's durable defaults (fsync, synchronous commit, full page writes): the bench
   *  measures what a production server pays for a commit. Default false: tests trade
   *  durability for speed, their data is thrown away. */
  durable?: boolean;
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<RunningServer> {
  const bins = findBinaries();
  const runAs = runAsUser();
  if (bins === null || typeof runAs === 'string') throw new Error(postgresSkipReason() ?? 'PostgreSQL not available');

  const dir = await tempDir('fleetgate-pg-', runAs);
  let server: ServerProcess | undefined;
  try {
    const data = join(dir, 'data');
    // --no-sync only skips flushing initdb's own files: it changes nothing of the server's commits.
    await runToCompletion(bins.initdb, ['-D', data, '-A', 'trust', '-U', USER, '-E', 'UTF8', '--locale=C', '--no-sync'], runAs);
    const fast = opts.durable === true ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
    const started = await startOnFreePort(
      'postgres',
      (port) =>
        startProcess(
          bins.postgres,
          ['-D', data, '-k', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', ...fast],
          runAs,
        ),
      (port) => canConnect(port, 'postgres'),
    );
    server = started.server;
    const port = started.port;
    const admin = new pg.Client({ host: '127.0.0.1', port, user: USER, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
    const running = server;
    return {
      url: `postgres://${USER}@127.0.0.1:${port}/${DATABASE}`,
      async stop() {
        // SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to leave
        // (SIGTERM, "smart", would hang on a pool a failed test forgot to close).
        await running.stop('SIGINT');
        await removeDir(dir);
      },
    };
  } catch (err) {
    await server?.stop('SIGINT');
    await removeDir(dir);
    throw err;
  }
}
