/**
 * Two front-door replicas sharing only nats-server: a client id that connects to the second
 * replica ends its session on the first (MQTT-3.1.4-3 across instances). The clients connect
 * anonymously under a policy that allows it, so each replica keeps its own embedded storage.
 * A replica that stops announces the end of every session it held to whoever listens on NATS.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { decodeDisconnectedEvent, elceDisconnectedSubject, NatsBus, type ConnectedEvent } from '../../transports/bus/index.js';
import { natsSkipReason, startNats, type NatsServer } from '../harness/nats.js';
import { startTestPlatform, type TestPlatform } from '../credentials/harness.js';
import { closed, connectMqtt, provisionToken, request, serverDisconnect, until } from './kpc-harness.js';

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
    for (const replicaId of ['kpc-a', 'kpc-b']) replicas.push(await start(replicaId));
  });

  const start = (replicaId: string): Promise<TestPlatform> =>
    startTestPlatform(
      { 'service.replicaId': replicaId, 'bus.kind': 'nats', 'bus.nats.servers': nats!.url, 'mqtt.tcp.port': 0, 'kpc.configFile': join(dir, 'kpc.yaml') },
      undefined,
      { trustedHeaders: true },
    );

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

  it('a replica that stops announces 9/ELCE disconnected for every session it held, on both shards', async () => {
    // Sessions live on the shard their client id hashes to, connections on the shard that
    // accepted them: a listener's stop ends sessions of the other shard, which announce during
    // the drain, after that shard's own services stopped.
    const c = await start('kpc-c');
    const observer = await NatsBus.connect({ servers: [nats!.url], name: 'elce-observer' });
    const seen: ConnectedEvent[] = [];
    const sub = observer.subscribe(elceDisconnectedSubject(c.config['kpc.instanceName']), (m) => seen.push(decodeDisconnectedEvent(m.data)));
    const clients: MqttClient[] = [];
    let stopped = false;
    try {
      await observer.flush();
      const t = await provisionToken(c, 'ep-leaving');
      for (let i = 0; i < 16; i++) {
        const client = await connectMqtt(`mqtt://127.0.0.1:${c.platform.mqttPort}`, { protocolVersion: 5, clientId: `leaving-${i}`, username: `dev-${i}@open` });
        clients.push(client);
        // Each session carries the endpoint once it has used the token.
        assert.equal((await request(client, `kp1/demo-v1/echo/${t.token}/ping/${i}`, 'x')).payload.toString(), 'x');
      }
      assert.equal(seen.length, 0, 'nothing announced while the sessions live');
      const ends = clients.map((cl) => closed(cl));
      await c.stop();
      stopped = true;
      await Promise.all(ends);
      await until(() => seen.length >= 16, `16 disconnected events (${seen.length} so far)`);
      await observer.flush();
      assert.equal(seen.length, 16);
      for (const e of seen) {
        assert.deepEqual(e.endpoints, { 'ep-leaving': 'demo-v1' });
        assert.equal(e.originatorReplicaId, 'kpc-c');
      }
    } finally {
      sub.unsubscribe();
      for (const cl of clients) cl.end(true);
      if (!stopped) await c.stop();
      await observer.close();
    }
  });
});
