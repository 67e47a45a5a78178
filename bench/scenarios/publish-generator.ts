/**
 * Load generator of `publish` (runs in the bench's worker threads): this worker's share of the
 * devices (device i goes to worker i mod W) connect in setup, each with its own credential and
 * endpoint token; then each call is one QoS 1 PUBLISH of a JSON sample array to the device's
 * 1/KP data-collection topic, settled by its PUBACK. Calls go round-robin over the devices (the
 * open loop has a single lane), and each device keeps up to `window` publishes in flight.
 */
import { BenchCodes, BenchError } from '../errors.js';
import type { CreateGenerator } from '../generator.js';
import { MqttBenchClient } from '../mqtt/client.js';
import { inBatches } from '../mqtt/devices.js';

export interface PublishParams {
  readonly host: string;
  readonly port: number;
  readonly protocolVersion: 4 | 5;
  readonly usernames: readonly string[];
  readonly password: string | undefined;
  /** One topic per device. */
  readonly topics: readonly string[];
  readonly payload: string;
  /** QoS 1 publishes in flight per device. */
  readonly window: number;
  readonly clientIdPrefix: string;
  readonly connectTimeoutMs: number;
}

export const createGenerator: CreateGenerator<PublishParams> = async (init) => {
  const p = init.params;
  const mine: number[] = [];
  for (let i = init.workerIndex; i < p.topics.length; i += init.workerCount) mine.push(i);
  if (mine.length === 0) {
    // Misuse by the scenario: more workers than devices.
    throw new BenchError('ERR_BENCH_NO_DEVICE', `worker ${init.workerIndex}: no device (${p.topics.length} devices, ${init.workerCount} workers)`);
  }
  const clients = await inBatches(mine, 32, async (i) => {
    const c = new MqttBenchClient({
      host: p.host,
      port: p.port,
      clientId: `${p.clientIdPrefix}-${i}`,
      protocolVersion: p.protocolVersion,
      ...(p.password === undefined ? {} : { username: p.usernames[i % p.usernames.length] as string, password: p.password }),
      keepaliveSec: 60,
      connectTimeoutMs: p.connectTimeoutMs,
      maxInflight: p.window,
    });
    const ack = await c.connect();
    if (ack.code !== 0) throw new BenchError(BenchCodes.MQTT_REFUSED, `device ${i} refused: ${ack.code} ${ack.name}`);
    return c;
  });
  const topics = mine.map((i) => Buffer.from(p.topics[i] as string, 'utf8'));
  const payload = Buffer.from(p.payload, 'utf8');
  const n = clients.length;
  let next = 0;
  // Publishes issued, warm-up included: what the broker should have routed when no call failed.
  let issued = 0;
  return {
    call(): Promise<void> {
      const d = next;
      next = d + 1 === n ? 0 : d + 1;
      issued++;
      return (clients[d] as MqttBenchClient).publish(topics[d] as Buffer, payload, 1);
    },
    async close(): Promise<void> {
      init.count('issued', issued);
      await Promise.all(clients.map((c) => c.close()));
    },
  };
};
