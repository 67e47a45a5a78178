/** See bench/servers/require-servers.ts, the one place FLEETGATE_REQUIRE_SERVERS is read. */
export { serversRequired } from '../../bench/servers/index.js';

/** FLEETGATE_REQUIRE_NATIVE=1 (CI): the SO_REUSEPORT helper must be there, so its tests fail
 *  instead of skipping; the one place a test reads it (scripts/build-native.mjs, a separate
 *  program, reads it for the build). */
export function nativeRequired(): boolean {
  return process.env['FLEETGATE_REQUIRE_NATIVE'] === '1';
}
