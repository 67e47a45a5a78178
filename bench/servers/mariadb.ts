/**
 * A throw-away MariaDB server for one test file or one bench run: mariadb-install-db into a
 * temp dir, start `mariadbd` on a free 127.0.0.1 port and a private socket, then, as root over
 * that socket, create the `fleetgate` database and a password-authenticated user (clients use
 * real TCP authentication, not --skip-grant-tables).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { createConnection } from 'mariadb';
import {
  findExecutable,
  isRoot,
  missingServer,
  removeDir,
  runToCompletion,
  startOnFreePort,
  startProcess,
  tempDir,
  type RunningServer,
  type ServerProcess,
} from './servers.js';

const USER = 'fleetgate';
const DATABASE = 'fleetgate';
const SBIN = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

interface Binaries {
  installDb: string;
  server: string;
}

function findBinaries(): Binaries | null {
  const installDb = findExecutable('mariadb-install-db', SBIN);
  const server = findExecutable('mariadbd', SBIN);
  return installDb !== null && server !== null ? { installDb, server } : null;
}

/** null when a server can be started; otherwise why not (or throws, see missingServer). */
export function mariadbSkipReason(): string | null {
  return findBinaries() === null
    ? missingServer('MariaDB', 'no mariadb-install-db/mariadbd found (apt-get install mariadb-server)')
    : null;
}

async function asRoot<T>(socketPath: string, fn: (conn: Awaited<ReturnType<typeof createConnection>>) => Promise<T>): Promise<T> {
  const conn = await createConnection({ socketPath, user: 'root', connectTimeout: 1_000 });
  try {
    return await fn(conn);
  } finally {
    await conn.end().catch(() => undefined);
  }
}

export interface StartMariadbOptions {
  /** Keep InnoDB's durable defaults (flush the log at every commit, doublewrite): the bench
   *  measures what a production server pays for a commit. Default false: tests trade
   *  durability for speed, their data is thrown away. */
  durable?: boolean;
}

export async function startMariadb(opts: StartMariadbOptions = {}): Promise<RunningServer> {
  const bins = findBinaries();
  if (bins === null) throw new Error(mariadbSkipReason() ?? 'MariaDB not available');

  // mariadbd refuses to run as root unless told to; as another user it runs as that user.
  const userArgs = isRoot() ? ['--user=root'] : [];
  const dir = await tempDir('fleetgate-mdb-', null);
  let server: ServerProcess | undefined;
  try {
    const data = join(dir, 'data');
    const socket = join(dir, 'mysqld.sock');
    const fast = opts.durable === true ? [] : ['--innodb-flush-log-at-trx-commit=0', '--skip-innodb-doublewrite'];
    // A private tmpdir: with the shared /tmp, two installs at once collided on a temporary table
    // ('#sql-temptable-...') and one of them aborted.
    const tmp = join(dir, 'tmp');
    await mkdir(tmp, { recursive: true });
    await runToCompletion(
      bins.installDb,
      ['--no-defaults', `--datadir=${data}`, `--tmpdir=${tmp}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...userArgs],
      null,
    );
    const started = await startOnFreePort(
      'mariadbd',
      (port) =>
        startProcess(
          bins.server,
          ['--no-defaults', ...userArgs, `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1',
            `--socket=${socket}`, `--pid-file=${join(dir, 'mysqld.pid')}`, `--tmpdir=${tmp}`, '--skip-name-resolve', ...fast],
          null,
        ),
      // Probed over the socket, as root: the TCP user does not exist yet.
      () => asRoot(socket, async (c) => (await c.ping(), true)),
    );
    server = started.server;
    const port = started.port;
    const password = randomBytes(12).toString('hex');
    await asRoot(socket, async (c) => {
      await c.query(`CREATE DATABASE ${DATABASE}`);
      await c.query(`CREATE USER '${USER}'@'127.0.0.1' IDENTIFIED BY '${password}'`);
      await c.query(`GRANT ALL PRIVILEGES ON ${DATABASE}.* TO '${USER}'@'127.0.0.1'`);
    });
    const running = server;
    return {
      url: `mariadb://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`,
      async stop() {
        await running.stop('SIGTERM');
        await removeDir(dir);
      },
    };
  } catch (err) {
    await server?.stop('SIGTERM');
    await removeDir(dir);
    throw err;
  }
}
