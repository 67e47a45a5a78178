/**
 * Whether the real servers of the integration tests and the bench (nats-server, PostgreSQL,
 * MariaDB) must be present. CI sets FLEETGATE_REQUIRE_SERVERS=1: a missing binary is then a
 * failure; elsewhere the test is skipped with a message saying what to install. The one place
 * this variable is read.
 */
export function serversRequired(): boolean {
  return process.env['FLEETGATE_REQUIRE_SERVERS'] === '1';
}
