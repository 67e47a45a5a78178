/** A throw-away MariaDB server per test file; the launcher lives in bench/servers/mariadb.ts. */
export { mariadbSkipReason, startMariadb, type StartMariadbOptions } from '../../bench/servers/index.js';
