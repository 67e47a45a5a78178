/**
 * Real servers on loopback ports for the bench and the integration tests: PostgreSQL, MariaDB
 * and nats-server from Debian's packages, each in its own temp directory, stopped by the pid that
 * started it. The one entry into bench/servers/ from outside.
 */
export { mariadbSkipReason, startMariadb, type StartMariadbOptions } from './mariadb.js';
export { natsSkipReason, startNats, type NatsServer } from './nats.js';
export { postgresSkipReason, startPostgres, type StartPostgresOptions } from './postgres.js';
export { serversRequired } from './require-servers.js';
export {
  findExecutable,
  freePort,
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
  waitUntilReady,
  type RunAs,
  type RunningServer,
  type ServerProcess,
} from './servers.js';
