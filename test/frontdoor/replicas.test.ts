/**
 * Two front-door replicas sharing only nats-server: a client id that connects to the second
 * replica ends its session on the first (MQTT-3.1.4-3 across instances). The clients connect
 * anonymously under a policy that allows it, so each replica keeps its own embedded storage.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { natsSkipReason, startNats, type NatsServer } from '../harness/nats.js';
import { startTestPlatform, type TestPlatform } from '../credentials/harness.js';
import { connectMqtt, serverDisconnect } from './kpc-harness.js';

const skip = natsSkipReason() ?? false;

describe('two front-door replicas on NATS', { skip }, () => {
  let nats: NatsServer | undefined;
  const replicas: TestPlatform[] = [];
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetgate-kpc-replicas-'));
    const policy = join(dir, 'kpc.yaml');
    writeFileSync(policy, 'auth:\n  tenants:\n    open:\n      tcp: { basic: optional, anonymous: true }\n');
    nats = await startNats();
    for (const replicaId of ['kpc-a', 'kpc-b']) {
      replicas.push(
        await startTestPlatform(
          { 'service.replicaId': replicaId, 'bus.kind': 'nats', 'bus.nats.servers': nats.url, 'mqtt.tcp.port': 0, 'kpc.configFile': policy },
          undefined,
          { trustedHeaders: true },
        ),
      );
    }
  });

  after(async () => {
    for (const r of replicas) await r.stop();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the same client id on the other replica takes the session over (MQTT 5: DISCONNECT 0x8E)', async () => {
    const [a, b] = replicas as [TestPlatform, TestPlatform];
    const opts = { protocolVersion: 5 as const, clientId: 'roaming-device', username: 'dev@open' };
    const first = await connectMqtt(`mqtt://127.0.0.1:${a.platform.mqttPort}`, opts);
    const ended = serverDisconnect(first);
    const second = await connectMqtt(`mqtt://127.0.0.1:${b.platform.mqttPort}`, opts);
    try {
      assert.deepEqual(await ended, { reasonCode: 0x8e });
      assert.equal(second.connected, true);
    } finally {
      first.end(true);
      await second.endAsync();
    }
  });
});
