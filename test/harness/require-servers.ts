/** See bench/servers/require-servers.ts, the one place FLEETGATE_REQUIRE_SERVERS is read. */
export { serversRequired } from '../../bench/servers/index.js';
