/**
 * Real clients over real sockets: MQTT.js (3.1.1 and 5.0) over TCP, TLS (with and without a
 * client certificate, and with an untrusted one) and WebSocket on uWS; raw sockets that send
 * garbage, never send CONNECT, or announce a 300 MB packet. The in-memory host routes messages
 * between clients.
 */
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { ManualClock, setLogLevel } from '../../runtime/index.js';
import { startMqttServers, type MqttServers, type Packet } from '../../transports/mqtt/index.js';
import { uws } from '../../transports/uws.js';
import { makePki, opensslMissing, type TestPki } from './certs.js';
import { MemoryHost } from './memory-host.js';

setLogLevel('silent');

type ListenSocket = Parameters<typeof uws.us_listen_socket_close>[0];

interface Connected {
  client: MqttClient;
  connack: Packet;
}

function connectClient(url: string, opts: IClientOptions = {}): Promise<Connected> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...opts });
    client.once('connect', (connack) => resolve({ client, connack: connack as Packet }));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

function nextMessage(client: MqttClient): Promise<{ topic: string; payload: string; qos: number }> {
  return new Promise((resolve) => client.once('message', (topic, payload, packet) => resolve({ topic, payload: payload.toString(), qos: packet.qos })));
}

/** Connects a raw socket, writes `bytes` (in steps), and resolves with what the server sent
 *  when the server closes the connection. */
function rawUntilClosed(port: number, steps: Buffer[], onConnected?: () => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host: '127.0.0.1', port });
    const got: Buffer[] = [];
    s.on('connect', () => {
      for (const b of steps) s.write(b);
      onConnected?.();
    });
    s.on('data', (b) => got.push(b));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(got)));
  });
}

function parseAll(bytes: Buffer, version: 4 | 5): Packet[] {
  const p = mqttPacket.parser({ protocolVersion: version });
  const out: Packet[] = [];
  p.on('packet', (x: Packet) => out.push(x));
  p.parse(bytes);
  return out;
}

describe('MQTT servers with real clients', () => {
  const host = new MemoryHost();
  const app = uws.App();
  let listenSocket: ListenSocket | undefined;
  let wsPort = 0;
  let servers: MqttServers;
  let pki: TestPki | undefined;
  const tlsSkip = opensslMissing() ? 'openssl not found: TLS tests skipped' : false;

  before(async () => {
    pki = tlsSkip === false ? makePki() : undefined;
    servers = await startMqttServers({
      tcp: { host: '127.0.0.1', port: 0 },
      ...(pki === undefined ? {} : { tls: { host: '127.0.0.1', port: 0, cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requestCert: true } }),
      ws: { app, path: '/mqtt' },
      host,
      limits: { maxPacketSize: 64 * 1024 },
    });
    await new Promise<void>((resolve, reject) =>
      app.listen('127.0.0.1', 0, (ls) => {
        if (ls === false) return reject(new Error('uws listen failed'));
        listenSocket = ls;
        wsPort = uws.us_socket_local_port(ls as never);
        resolve();
      }),
    );
  });

  after(async () => {
    await servers.close();
    if (listenSocket !== undefined) uws.us_listen_socket_close(listenSocket);
  });

  const tcpUrl = (): string => `mqtt://127.0.0.1:${servers.tcp?.port}`;

  for (const protocolVersion of [4, 5] as const) {
    const name = protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1';

    it(`${name} over TCP: subscribe, publish QoS 1 and QoS 2, receive, disconnect`, { timeout: 10_000 }, async () => {
      const sub = await connectClient(tcpUrl(), { protocolVersion, clientId: `sub-${protocolVersion}` });
      const pub = await connectClient(tcpUrl(), { protocolVersion, clientId: `pub-${protocolVersion}` });
      const granted = await sub.client.subscribeAsync(`kp1/app-v1/cex/tok${protocolVersion}/#`, { qos: 2 });
      assert.equal(granted[0]?.qos, 2);
      for (const qos of [1, 2] as const) {
        const got = nextMessage(sub.client);
        await pub.client.publishAsync(`kp1/app-v1/cex/tok${protocolVersion}/command/reboot/${qos}`, `q${qos}`, { qos });
        assert.deepEqual(await got, { topic: `kp1/app-v1/cex/tok${protocolVersion}/command/reboot/${qos}`, payload: `q${qos}`, qos });
      }
      await pub.client.endAsync();
      await sub.client.endAsync();
      await host.until(() => host.closed.filter((c) => c.reason === 'client disconnected').length >= 2);
    });

    it(`${name} over WebSocket (uWS, subprotocol mqtt)`, { timeout: 10_000 }, async () => {
      const url = `ws://127.0.0.1:${wsPort}/mqtt`;
      const sub = await connectClient(url, { protocolVersion, clientId: `ws-sub-${protocolVersion}` });
      const pub = await connectClient(url, { protocolVersion, clientId: `ws-pub-${protocolVersion}` });
      await sub.client.subscribeAsync('ws/+/x', { qos: 1 });
      const got = nextMessage(sub.client);
      await pub.client.publishAsync('ws/a/x', 'over websocket', { qos: 1 });
      assert.deepEqual(await got, { topic: 'ws/a/x', payload: 'over websocket', qos: 1 });
      await pub.client.endAsync();
      await sub.client.endAsync();
    });
  }

  it('MQTT 5 CONNACK: assigned client id and the advertised limits reach MQTT.js', { timeout: 10_000 }, async () => {
    const { client, connack } = await connectClient(tcpUrl(), { protocolVersion: 5, clientId: '', clean: true });
    assert.equal(connack.cmd, 'connack');
    const props = (connack as Extract<Packet, { cmd: 'connack' }>).properties;
    assert.match(String(props?.assignedClientIdentifier), /^auto-/);
    assert.equal(props?.maximumPacketSize, 64 * 1024);
    assert.equal(props?.receiveMaximum, 32);
    await client.endAsync();
  });

  it('refused credentials: 3.1.1 return code 4, 5.0 reason code 0x86', { timeout: 10_000 }, async () => {
    host.users.set('alice@tenant', 'secret');
    try {
      await assert.rejects(connectClient(tcpUrl(), { protocolVersion: 4, username: 'alice@tenant', password: 'wrong' }), (err: { code?: number }) => err.code === 4);
      await assert.rejects(connectClient(tcpUrl(), { protocolVersion: 5, username: 'alice@tenant', password: 'wrong' }), (err: { code?: number }) => err.code === 0x86);
      const ok = await connectClient(tcpUrl(), { protocolVersion: 5, username: 'alice@tenant', password: 'secret' });
      await ok.client.endAsync();
    } finally {
      host.users.clear();
    }
  });

  it('takeover: the first MQTT 5 client gets DISCONNECT 0x8E', { timeout: 10_000 }, async () => {
    const first = await connectClient(tcpUrl(), { protocolVersion: 5, clientId: 'same-id' });
    const kicked = new Promise<number | undefined>((resolve) => first.client.once('disconnect', (p) => resolve(p.reasonCode)));
    const second = await connectClient(tcpUrl(), { protocolVersion: 5, clientId: 'same-id' });
    assert.equal(await kicked, 0x8e);
    first.client.end(true);
    await second.client.endAsync();
  });

  describe('TLS', { skip: tlsSkip }, () => {
    const tlsUrl = (): string => `mqtts://127.0.0.1:${servers.tls?.port}`;

    it('a verified client certificate reaches the host', { timeout: 10_000 }, async () => {
      const p = pki as TestPki;
      const { client } = await connectClient(tlsUrl(), { protocolVersion: 5, clientId: 'tls-cert', ca: p.ca, cert: p.clientCert, key: p.clientKey, rejectUnauthorized: true });
      const auth = host.auths.find((a) => a.clientId === 'tls-cert');
      assert.equal(auth?.certificate?.subject['CN'], 'device-42');
      assert.equal(auth?.certificate?.issuer['CN'], 'fleetgate test CA');
      assert.match(String(auth?.certificate?.fingerprint256), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      await client.endAsync();
    });

    it('no client certificate: connected, none passed on (3.1.1, TLS 1.2)', { timeout: 10_000 }, async () => {
      const p = pki as TestPki;
      const { client } = await connectClient(tlsUrl(), { protocolVersion: 4, clientId: 'tls-none', ca: p.ca, rejectUnauthorized: true, maxVersion: 'TLSv1.2' } as IClientOptions);
      assert.equal(host.auths.find((a) => a.clientId === 'tls-none')?.certificate, undefined);
      await client.endAsync();
    });

    it('an untrusted client certificate is refused by CONNACK (5 / 0x87), not by the handshake', { timeout: 10_000 }, async () => {
      const p = pki as TestPki;
      for (const [protocolVersion, code] of [
        [4, 5],
        [5, 0x87],
      ] as const) {
        await assert.rejects(
          connectClient(tlsUrl(), { protocolVersion, clientId: `rogue-${protocolVersion}`, ca: p.ca, cert: p.rogueCert, key: p.rogueKey, rejectUnauthorized: true }),
          (err: { code?: number }) => err.code === code,
        );
      }
      assert.equal(host.auths.some((a) => a.clientId.startsWith('rogue')), false);
    });

    it('TLS 1.1 is refused at the handshake', { timeout: 10_000 }, async () => {
      const p = pki as TestPki;
      await assert.rejects(connectClient(tlsUrl(), { ca: p.ca, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' } as IClientOptions));
    });
  });

  describe('hostile sockets: each closed, the server stays up', () => {
    const stillUp = async (): Promise<void> => {
      const { client } = await connectClient(tcpUrl(), { protocolVersion: 4 });
      await client.endAsync();
    };

    it('garbage is closed without a word', { timeout: 10_000 }, async () => {
      const got = await rawUntilClosed(servers.tcp?.port as number, [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]);
      assert.equal(got.length, 0);
      await stillUp();
    });

    it('a CONNECT announcing 256 MB (the largest a Remaining Length says) is refused from its header', { timeout: 10_000 }, async () => {
      // 0x10 CONNECT, Remaining Length 268,435,455 in four bytes, and no body.
      const got = await rawUntilClosed(servers.tcp?.port as number, [Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f])]);
      assert.equal(got.length, 0);
      await stillUp();
    });

    const connect5 = (): Buffer => mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: 'big', keepalive: 30 }, { protocolVersion: 5 });

    it('an MQTT 5 client announcing a 256 MB PUBLISH gets DISCONNECT 0x95', { timeout: 10_000 }, async () => {
      const got = await rawUntilClosed(servers.tcp?.port as number, [connect5(), Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])]);
      assert.deepEqual(parseAll(got, 5).map((p) => [p.cmd, (p as { reasonCode?: number }).reasonCode]), [
        ['connack', 0],
        ['disconnect', 0x95],
      ]);
      await stillUp();
    });

    it('an MQTT 5 client announcing 300 MB (a five-byte Remaining Length) gets DISCONNECT 0x81', { timeout: 10_000 }, async () => {
      // 300,000,000 needs a fifth length byte, which MQTT 5.0 1.5.5 does not allow.
      const got = await rawUntilClosed(servers.tcp?.port as number, [connect5(), Buffer.from([0x30, 0x80, 0xc6, 0x86, 0x8f, 0x01])]);
      assert.deepEqual(parseAll(got, 5).map((p) => [p.cmd, (p as { reasonCode?: number }).reasonCode]), [
        ['connack', 0],
        ['disconnect', 0x81],
      ]);
      await stillUp();
    });

    it('garbage after CONNECT (3.1.1): closed, nothing else written', { timeout: 10_000 }, async () => {
      const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'junk', keepalive: 30 });
      const got = await rawUntilClosed(servers.tcp?.port as number, [connect, Buffer.from([0x00, 0x02, 0xde, 0xad])]);
      assert.deepEqual(parseAll(got, 4).map((p) => p.cmd), ['connack']);
      await stillUp();
    });
  });
});

describe('MQTT server on a manual clock', () => {
  it('a socket that never sends CONNECT is closed at the deadline', { timeout: 10_000 }, async () => {
    const clock = new ManualClock();
    const host = new MemoryHost();
    const servers = await startMqttServers({ tcp: { host: '127.0.0.1', port: 0 }, host, clock, limits: { connectTimeoutMs: 10_000 } });
    try {
      let accepted!: () => void;
      const connected = new Promise<void>((resolve) => (accepted = resolve));
      const closed = rawUntilClosed(servers.tcp?.port as number, [], () => accepted());
      await connected;
      // The server side may see the socket a turn later than the client: wait for it (no timer).
      while (servers.connections === 0) await new Promise((r) => setImmediate(r));
      clock.advance(9_999);
      assert.equal(servers.connections, 1);
      clock.advance(1);
      assert.equal((await closed).length, 0);
      assert.equal(servers.connections, 0);
      assert.deepEqual(host.closed, []);
    } finally {
      await servers.close();
    }
  });
});
