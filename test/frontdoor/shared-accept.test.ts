/**
 * MQTT over TCP and TLS accepted by every shard (SO_REUSEPORT): connections land on both shards
 * of a two-shard platform, each one's 1/KP round trip comes back through its own thread, and with
 * mqtt.sharedAccept off shard 0 holds them all.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { createServer } from 'node:net';
import { listenShared, sharedListenSupport } from '../../transports/net/index.js';
import { startTestPlatform, type TestPlatform } from '../credentials/harness.js';
import { nativeRequired } from '../harness/require-servers.js';
import { makePki, type TestPki } from '../mqtt/certs.js';
import { connackCode, connectMqtt, PASSWORD, provisionClient, provisionToken, RawClient, request, until, type Provisioned } from './kpc-harness.js';

/** CI sets it: a machine where the helper did not build fails here instead of skipping. */
const required = nativeRequired();
const support = sharedListenSupport();
const skip = support === undefined && !required ? 'this Node cannot share a port between threads and the native helper is not built' : false;
const PER_TRANSPORT = 24;

/** fleetgate_kpc_connections per shard, from the management scrape. */
async function connectionsByShard(tp: TestPlatform): Promise<Map<string, number>> {
  const text = await fetch(`http://127.0.0.1:${tp.platform.management.port}/metrics`).then((r) => r.text());
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^fleetgate_kpc_connections\{[^}]*shard="(\d+)"[^}]*\} (\d+)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

describe('MQTT over TCP and TLS on every shard', { skip }, () => {
  let pki: TestPki;
  let dir: string;

  before(() => {
    assert.notEqual(support, undefined, 'SO_REUSEPORT: neither Node 22.12+ nor the native helper (npm run build makes it)');
    pki = makePki();
    dir = mkdtempSync(join(tmpdir(), 'fleetgate-shared-accept-'));
    writeFileSync(join(dir, 'server.crt'), pki.serverCert);
    writeFileSync(join(dir, 'server.key'), pki.serverKey);
  });
  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const start = (sharedAccept: boolean): Promise<TestPlatform> =>
    startTestPlatform(
      {
        'runtime.shards': 2,
        'mqtt.sharedAccept': sharedAccept,
        'mqtt.tls.certFile': join(dir, 'server.crt'),
        'mqtt.tls.keyFile': join(dir, 'server.key'),
      },
      undefined,
      { trustedHeaders: true },
    );

  const connectAll = async (tp: TestPlatform, tag: string): Promise<MqttClient[]> => {
    const opts = (i: number) => ({ protocolVersion: 5 as const, clientId: `${tag}-${i}`, username: 'dev@acme', password: PASSWORD });
    return Promise.all([
      ...Array.from({ length: PER_TRANSPORT }, (_, i) => connectMqtt(`mqtt://127.0.0.1:${tp.platform.mqttPort}`, opts(i))),
      ...Array.from({ length: PER_TRANSPORT }, (_, i) =>
        connectMqtt(`mqtts://127.0.0.1:${tp.platform.mqttsPort}`, { ...opts(PER_TRANSPORT + i), ca: pki.ca, rejectUnauthorized: true }),
      ),
    ]);
  };

  it('spreads connections over both shards, and answers each on its own', async () => {
    const tp = await start(true);
    const clients: MqttClient[] = [];
    try {
      await provisionClient(tp, 'dev');
      const token: Provisioned = await provisionToken(tp, 'ep-shared-accept');
      clients.push(...(await connectAll(tp, 'spread')));
      let byShard = new Map<string, number>();
      await until(async () => total((byShard = await connectionsByShard(tp))) === 2 * PER_TRANSPORT, 'every connection counted');
      // 48 connections hashed by the kernel over two accept queues: one shard with none is 2^-47.
      assert.ok((byShard.get('0') ?? 0) > 0 && (byShard.get('1') ?? 0) > 0, `connections by shard: ${JSON.stringify([...byShard])}`);
      const answers = await Promise.all(
        clients.map((c, i) => request(c, `kp1/demo-v1/echo/${token.token}/spread/${i}`, `hello ${i}`)),
      );
      answers.forEach((a, i) => assert.equal(a.payload.toString(), `hello ${i}`));
    } finally {
      await Promise.all(clients.map((c) => c.endAsync()));
      await tp.stop();
    }
  });

  it('kpc.maxSessions bounds the instance, an equal share per accepting shard: the rest get CONNACK 0x89', async () => {
    const tp = await startTestPlatform({ 'runtime.shards': 2, 'kpc.maxSessions': 2 }, undefined, { trustedHeaders: true });
    const held: RawClient[] = [];
    try {
      await provisionClient(tp, 'dev');
      const port = tp.platform.mqttPort as number;
      const codes: number[] = [];
      for (let i = 0; i < 10; i++) {
        const { client, connack } = await RawClient.connect(port, 5, { clientId: `bounded-${i}`, username: 'dev@acme', password: PASSWORD });
        const code = connackCode(connack) as number;
        codes.push(code);
        if (code === 0) held.push(client);
        else {
          assert.deepEqual(await client.untilClosed(), [], 'nothing after the refusal, then closed');
        }
      }
      // One a shard: the kernel may have put every connection on one of them.
      assert.ok(held.length >= 1 && held.length <= 2, `accepted ${held.length}: ${codes.join(',')}`);
      assert.deepEqual(codes.filter((c) => c !== 0), Array(10 - held.length).fill(0x89));
      const byShard = await connectionsByShard(tp);
      assert.ok([...byShard.values()].every((n) => n <= 1), JSON.stringify([...byShard]));
      // A session that leaves frees its shard's place. Once the gauge shows it gone, a connection
      // the kernel puts on that shard is taken; one put on the full shard is refused at once.
      held.shift()!.destroy();
      await until(async () => total(await connectionsByShard(tp)) === held.length, 'the freed place counted');
      let code: number | undefined;
      for (let attempt = 0; attempt < 40 && code !== 0; attempt++) {
        const { client, connack } = await RawClient.connect(port, 5, { clientId: `bounded-again-${attempt}`, username: 'dev@acme', password: PASSWORD });
        code = connackCode(connack);
        if (code === 0) held.push(client);
        else client.destroy();
      }
      assert.equal(code, 0, 'accepted again once a place is free');
    } finally {
      for (const c of held) c.destroy();
      await tp.stop();
    }
  });

  it('refuses to start on an MQTT port another process listens on, even with SO_REUSEPORT (EADDRINUSE)', async () => {
    // A second instance configured on the same port must fail, not split the connections.
    const other = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      other.once('error', reject);
      listenShared(other, { host: '127.0.0.1', port: 0 }, support!, () => resolve((other.address() as { port: number }).port));
    });
    try {
      await assert.rejects(startTestPlatform({ 'runtime.shards': 2, 'mqtt.tcp.port': port }, undefined, { trustedHeaders: true }), (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE');
    } finally {
      await new Promise<void>((done) => other.close(() => done()));
    }
  });

  it('with mqtt.sharedAccept off, shard 0 accepts them all', async () => {
    const tp = await start(false);
    const clients: MqttClient[] = [];
    try {
      await provisionClient(tp, 'dev');
      clients.push(...(await connectAll(tp, 'single')));
      let byShard = new Map<string, number>();
      await until(async () => total((byShard = await connectionsByShard(tp))) === 2 * PER_TRANSPORT, 'every connection counted');
      assert.equal(byShard.get('0'), 2 * PER_TRANSPORT, JSON.stringify([...byShard]));
    } finally {
      await Promise.all(clients.map((c) => c.endAsync()));
      await tp.stop();
    }
  });
});

describe('one port for one listener', () => {
  /** A port free now. */
  const freePort = async (): Promise<number> => {
    const free = createServer();
    const port = await new Promise<number>((resolve) => free.listen(0, '127.0.0.1', () => resolve((free.address() as { port: number }).port)));
    await new Promise<void>((done) => free.close(() => done()));
    return port;
  };
  const refused = (port: number, a: string, b: string) => ({
    code: 'ERR_CONFIG_INVALID',
    message: `invalid configuration:\n  - "${a}" and "${b}" are both ${port}; each listener needs its own port`,
  });

  it('refuses one port given to two listeners (SO_REUSEPORT would split their connections)', async () => {
    const port = await freePort();
    await assert.rejects(startTestPlatform({ 'http.port': port, 'mqtt.tcp.port': port }, undefined, { trustedHeaders: true }), refused(port, 'mqtt.tcp.port', 'http.port'));
    await assert.rejects(startTestPlatform({ 'management.port': port, 'http.port': port }, undefined, { trustedHeaders: true }), refused(port, 'http.port', 'management.port'));
    const dir = mkdtempSync(join(tmpdir(), 'fleetgate-one-port-'));
    try {
      const pki = makePki();
      writeFileSync(join(dir, 'server.crt'), pki.serverCert);
      writeFileSync(join(dir, 'server.key'), pki.serverKey);
      const tls = { 'mqtt.tls.certFile': join(dir, 'server.crt'), 'mqtt.tls.keyFile': join(dir, 'server.key') };
      await assert.rejects(startTestPlatform({ ...tls, 'mqtt.tcp.port': port, 'mqtt.tls.port': port }, undefined, { trustedHeaders: true }), refused(port, 'mqtt.tls.port', 'mqtt.tcp.port'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ignores the port of a listener that is off: MQTT/TLS without a certificate', async () => {
    const port = await freePort();
    const tp = await startTestPlatform({ 'http.port': port, 'mqtt.tls.port': port }, undefined, { trustedHeaders: true });
    try {
      assert.deepEqual([tp.platform.httpPort, tp.platform.mqttsPort], [port, undefined]);
    } finally {
      await tp.stop();
    }
  });
});
