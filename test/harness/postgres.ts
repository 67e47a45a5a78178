/** A throw-away PostgreSQL server per test file; the launcher lives in bench/servers/postgres.ts. */
export { postgresSkipReason, startPostgres, type StartPostgresOptions } from '../../bench/servers/index.js';
