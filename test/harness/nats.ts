/** A real nats-server per test file; the launcher lives in bench/servers/nats.ts. */
export { natsSkipReason, startNats, type NatsServer } from '../../bench/servers/index.js';
