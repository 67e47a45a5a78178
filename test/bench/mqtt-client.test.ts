import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generate, parser } from 'mqtt-packet';
import { encodePublish, encodePuback } from '../../bench/mqtt/codec.js';
import { MqttBenchClient } from '../../bench/mqtt/client.js';
import { connackCodeName } from '../../bench/mqtt/codes.js';
import { Fleet } from '../../bench/mqtt/fleet.js';
import { reconnectStorm } from '../../bench/mqtt/storm.js';
import { summarize } from '../../bench/histogram.js';
import { startAedes, type TestBroker } from './helpers.js';

describe('hot-path codec', () => {
  for (const v of [4, 5] as const) {
    for (const qos of [0, 1] as const) {
      for (const size of [0, 10, 200, 20_000]) {
        it(`PUBLISH v${v} qos${qos} ${size} B equals mqtt-packet and parses back byte by byte`, () => {
          const payload = Buffer.alloc(size, 7);
          const ours = encodePublish(Buffer.from('dev/é/t'), payload, qos, qos === 1 ? 513 : 0, v === 5);
          const theirs = generate(
            { cmd: 'publish', topic: 'dev/é/t', payload, qos, dup: false, retain: false, ...(qos === 1 ? { messageId: 513 } : {}) },
            { protocolVersion: v },
          );
          assert.deepEqual(ours, theirs);
          const p = parser({ protocolVersion: v });
          const got: unknown[] = [];
          p.on('packet', (pk) => got.push(pk));
          for (const byte of ours) p.parse(Buffer.from([byte]));
          assert.equal(got.length, 1);
          const pk = got[0] as { topic: string; payload: Buffer; qos: number; messageId?: number };
          assert.equal(pk.topic, 'dev/é/t');
          assert.deepEqual(Buffer.from(pk.payload), payload);
          assert.equal(pk.qos, qos);
          if (qos === 1) assert.equal(pk.messageId, 513);
        });
      }
    }
  }

  it('PUBACK short form equals mqtt-packet 3.1.1', () => {
    assert.deepEqual(encodePuback(65535), generate({ cmd: 'puback', messageId: 65535 }, { protocolVersion: 4 }));
  });

  it('names CONNACK codes per version', () => {
    assert.equal(connackCodeName(5, 4), 'not authorized');
    assert.equal(connackCodeName(0x86, 5), 'bad user name or password');
    assert.equal(connackCodeName(1, 5), 'unacceptable protocol version');
  });
});

describe('raw MQTT client against aedes', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startAedes('dev', 's3cret');
  });
  after(async () => {
    await broker.close();
  });

  const client = (over: Partial<ConstructorParameters<typeof MqttBenchClient>[0]> = {}) =>
    new MqttBenchClient({ host: '127.0.0.1', port: broker.port, clientId: 'c-1', username: 'dev', password: 's3cret', ...over });

  it('connects (3.1.1): CONNACK 0', async () => {
    const c = client();
    assert.deepEqual(await c.connect(), { code: 0, name: 'accepted', sessionPresent: false });
    assert.equal(c.connected, true);
    await c.close();
    assert.equal(c.connected, false);
  });

  it('bad password: CONNACK 5 and the connection is closed', async () => {
    let closed: unknown = 'not called';
    const c = client({ password: 'wrong', onClose: (err) => (closed = err?.code) });
    assert.deepEqual(await c.connect(), { code: 5, name: 'not authorized', sessionPresent: false });
    assert.equal(c.connected, false);
    await assert.rejects(c.publish(Buffer.from('t'), Buffer.from('x'), 1), { code: 'ERR_MQTT_CLOSED' });
    await new Promise<void>((r) => setImmediate(r));
    await c.close();
    assert.notEqual(closed, 'not called');
  });

  it('MQTT 5 CONNECT: aedes (3.1.1 only) answers 1, unacceptable protocol version', async () => {
    const c = client({ protocolVersion: 5 });
    assert.deepEqual(await c.connect(), { code: 1, name: 'unacceptable protocol version', sessionPresent: false });
    await c.close();
  });

  it('QoS 1 publishes resolve on PUBACK, within the in-flight window', async () => {
    const c = client({ maxInflight: 4 });
    await c.connect();
    const topic = Buffer.from('fleet/c-1/telemetry');
    const payload = Buffer.alloc(64, 1);
    await Promise.all(Array.from({ length: 50 }, () => c.publish(topic, payload, 1)));
    assert.equal(c.inflight, 0);
    await c.publish(topic, payload, 0);
    await c.close();
  });

  it('subscribes, receives, and answers PINGREQ', async () => {
    const got: string[] = [];
    const sub = client({ clientId: 'sub', onMessage: (t, p) => got.push(`${t}=${p.toString()}`) });
    await sub.connect();
    assert.equal(await sub.subscribe('cmd/+', 1), 1);
    const pub = client({ clientId: 'pub' });
    await pub.connect();
    await pub.publish(Buffer.from('cmd/a'), Buffer.from('on'), 1);
    const rtt = await sub.ping(); // PINGRESP comes after the delivery on the same connection
    assert.equal(typeof rtt, 'number');
    assert.deepEqual(got, ['cmd/a=on']);
    await Promise.all([sub.close(), pub.close()]);
  });

  it('rejects in-flight publishes with a code when the connection drops', async () => {
    const c = client({ clientId: 'drop' });
    await c.connect();
    const p = c.publish(Buffer.from('t'), Buffer.from('x'), 1);
    c.destroy();
    await assert.rejects(p, { code: 'ERR_MQTT_CLOSED' });
  });

  it('fails connect with a code when nothing listens', async () => {
    const c = new MqttBenchClient({ host: '127.0.0.1', port: 1, clientId: 'x' });
    await assert.rejects(c.connect(), { code: 'ERR_MQTT_CLOSED' });
  });

  it('fleet: connects with jitter, publishes telemetry, survives a reconnect storm', async () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const fleet = new Fleet({
      host: '127.0.0.1',
      port: broker.port,
      devices: 20,
      identity: (i) => ({ clientId: `dev-${i}`, username: 'dev', password: i === 19 ? 'bad' : 's3cret' }),
      keepaliveSec: 30,
      random,
    });
    const first = await fleet.connectAll({ jitterMs: 20 });
    assert.equal(first.attempted, 20);
    assert.equal(first.connected, 19);
    assert.deepEqual(first.refused, { '5 not authorized': 1 });
    assert.deepEqual(first.failed, {});
    assert.equal(first.latency.totalCount, 19);
    assert.equal(fleet.connectedCount, 19);

    const t = await fleet.runTelemetry({ ratePerDevice: 50, count: 200, qos: 1, payloadBytes: 32, topic: (i) => `t/${i}` });
    // Calls go round-robin: every 20th lands on the refused device and fails, counted.
    assert.equal(t.ops + t.errors, 200);
    assert.equal(t.errors, 10);
    assert.deepEqual(Object.fromEntries(t.errorsByCode), { ERR_MQTT_CLOSED: 10 });
    assert.equal(summarize(t.latency).count, 190);

    const storm = await reconnectStorm(fleet, { mode: 'abrupt', jitterMs: 10 });
    assert.equal(storm.dropped, 19);
    assert.equal(storm.attempted, 20);
    assert.equal(storm.connected, 19);
    assert.equal(fleet.connectedCount, 19);
    await fleet.close();
    assert.equal(fleet.connectedCount, 0);
  });
});
