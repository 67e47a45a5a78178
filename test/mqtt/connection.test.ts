/**
 * A whole Connection over an in-memory transport: bytes in one at a time, packets out, the
 * host's answers, flow control and timers on a manual clock. No socket, no sleep.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, RuntimeCodes, RuntimeError, setLogLevel } from '../../runtime/index.js';
import { logger } from '../../runtime/log.js';
import { encode } from '../../transports/mqtt/codec.js';
import { Connection, resolveLimits, type ChannelHost, type MqttLimits, type Packet } from '../../transports/mqtt/index.js';
import { FakeTransport } from './fake-transport.js';
import { MemoryHost } from './memory-host.js';

setLogLevel('silent');

/** Lets the host's promises settle (answers come back on the microtask queue). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function open(version: 4 | 5, o: { limits?: Partial<MqttLimits>; host?: ChannelHost } = {}) {
  const clock = new ManualClock();
  const transport = new FakeTransport(version);
  const host = (o.host ?? new MemoryHost()) as MemoryHost;
  const finished: Connection[] = [];
  const c = new Connection(transport, {
    id: 'tcp-1',
    host,
    limits: resolveLimits(o.limits),
    clock,
    log: logger('mqtt-test'),
    assignClientId: () => 'auto-1',
    onFinished: (x) => finished.push(x),
  });
  c.start();
  const send = (packets: Packet[], chunk = 1): void => transport.push(Buffer.concat(packets.map((p) => encode(p, version))), chunk);
  return { clock, transport, host, c, send, finished };
}

const connect = (version: 4 | 5, extra: object = {}): Packet =>
  ({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clean: true, clientId: 'dev-1', keepalive: 10, ...extra }) as Packet;

describe('Connection (in-memory transport, one byte at a time)', () => {
  it('3.1.1: a whole session; packets pipelined before CONNACK wait for it, in order', async () => {
    const { transport, host, send, c } = open(4);
    send([
      connect(4),
      { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'cmd/#', qos: 1 }] },
      { cmd: 'publish', topic: 'cmd/a', payload: Buffer.from('hi'), qos: 1, messageId: 2, dup: false, retain: false },
    ]);
    // Until the host answers CONNECT, nothing after it is read (MQTT-3.1.4-5) and reading stops.
    assert.deepEqual(transport.take(), []);
    assert.equal(transport.paused, true);
    await settle();
    await settle();
    const out = transport.take();
    // The host registered the subscription as it was asked, so the message it routes back can
    // overtake the SUBACK: MQTT 5.0 3.8.4 permits PUBLISH before SUBACK.
    assert.deepEqual(out.map((p) => p.cmd), ['connack', 'publish', 'suback', 'puback']);
    assert.deepEqual(out[0], { cmd: 'connack', retain: false, qos: 0, dup: false, topic: null, payload: null, sessionPresent: false, returnCode: 0 });
    assert.equal(transport.paused, false);
    // The publish came back through the subscription as a QoS 1 delivery with packet id 1.
    const delivered = out[1] as Extract<Packet, { cmd: 'publish' }>;
    assert.equal(delivered.messageId, 1);
    assert.equal(delivered.topic, 'cmd/a');
    send([{ cmd: 'puback', messageId: 1 }, { cmd: 'pingreq' }]);
    assert.deepEqual(transport.take().map((p) => p.cmd), ['pingresp']);
    assert.deepEqual(host.outcomes, [{ ref: 1, outcome: 'acknowledged', reasonCode: 0 }]);
    send([{ cmd: 'disconnect' }]);
    assert.deepEqual(c.shutdown, { reasonCode: 0, reason: 'client disconnected' });
    assert.deepEqual(host.closed, [{ reasonCode: 0, reason: 'client disconnected' }]);
    assert.deepEqual(transport.closedWith, { reasonCode: 0, reason: 'client disconnected' });
  });

  it('5.0: QoS 2 inbound with a duplicate, over one-byte chunks', async () => {
    const { transport, host, send } = open(5);
    send([connect(5)]);
    await settle();
    assert.equal(transport.take()[0]?.cmd, 'connack');
    const q2 = { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 2, messageId: 5, dup: false, retain: false } as Packet;
    send([q2]);
    await settle();
    send([{ ...q2, dup: true } as Packet]);
    send([{ cmd: 'pubrel', messageId: 5 }]);
    const out = transport.take().map((p) => ({ cmd: p.cmd, messageId: p.messageId, reasonCode: (p as { reasonCode?: number }).reasonCode }));
    assert.deepEqual(out, [
      { cmd: 'pubrec', messageId: 5, reasonCode: 0x10 },
      { cmd: 'pubrec', messageId: 5, reasonCode: 0 },
      { cmd: 'pubcomp', messageId: 5, reasonCode: 0 },
    ]);
    assert.equal(host.published.length, 1);
  });

  it('a refused CONNECT: nothing sent after it is processed (MQTT-3.1.4-5)', async () => {
    const host = new MemoryHost();
    host.users.set('alice', 'secret');
    const { transport, send } = open(4, { host });
    send([connect(4, { username: 'alice', password: Buffer.from('wrong') }), { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, dup: false, retain: false }]);
    await settle();
    assert.deepEqual(transport.take().map((p) => [p.cmd, (p as { returnCode?: number }).returnCode]), [['connack', 4]]);
    assert.deepEqual(host.published, []);
    assert.deepEqual(host.closed, [{ reasonCode: 0x86, reason: 'refused by authentication', returnCode: 4 }]);
  });

  it('a host that fails: busy -> 0x89, anything else -> 0x88', async () => {
    for (const [err, rc] of [
      [new RuntimeError(RuntimeCodes.MAILBOX_FULL, 'full'), 0x89],
      [new Error('db down'), 0x88],
    ] as const) {
      const host = new MemoryHost();
      host.authenticate = () => Promise.reject(err);
      const { transport, send } = open(5, { host });
      send([connect(5)]);
      await settle();
      assert.deepEqual(transport.take(), [{ cmd: 'connack', retain: false, qos: 0, dup: false, topic: null, payload: null, sessionPresent: false, reasonCode: rc }]);
    }
  });

  it('keep alive on the injected clock: 1.5 x 10 s of silence, then cut after the grace period', async () => {
    const { transport, clock, send, host } = open(5, { limits: { closeGraceMs: 2_000 } });
    send([connect(5)]);
    await settle();
    transport.take();
    clock.advance(14_999);
    assert.equal(transport.closedWith, undefined);
    clock.advance(1);
    assert.deepEqual(transport.take(), [{ cmd: 'disconnect', retain: false, qos: 0, dup: false, topic: null, payload: null, reasonCode: 0x8d, properties: { reasonString: 'keep alive timeout' } }]);
    assert.deepEqual(transport.closedWith, { reasonCode: 0x8d, reason: 'keep alive timeout' });
    assert.deepEqual(host.closed, [{ reasonCode: 0x8d, reason: 'keep alive timeout' }]);
    assert.equal(transport.destroyed, false);
    clock.advance(2_000);
    assert.equal(transport.destroyed, true);
  });

  it('Keep Alive 0: no deadline of its own, so the transport is asked once to watch for a vanished peer', async () => {
    for (const [keepalive, watches] of [
      [0, 1],
      [10, 0],
    ] as const) {
      const { transport, clock, send } = open(4);
      assert.equal(transport.idleWatches, 0, 'not before CONNACK');
      send([connect(4, { keepalive })]);
      await settle();
      send([{ cmd: 'pingreq' } as Packet]);
      await settle();
      clock.advance(1_000);
      assert.equal(transport.idleWatches, watches, `keepalive ${keepalive}`);
    }
  });

  it('keep alive counts the bytes of a packet still arriving', async () => {
    const { transport, clock, send, host } = open(4);
    send([connect(4)]);
    await settle();
    transport.take();
    const big = encode({ cmd: 'publish', topic: 't', payload: Buffer.alloc(5000), qos: 0, dup: false, retain: false }, 4);
    clock.advance(14_000);
    transport.push(big.subarray(0, 2500), 2500);
    clock.advance(14_000); // 28 s after CONNECT, 14 s after the last bytes
    transport.push(big.subarray(2500), 2500);
    assert.equal(transport.closedWith, undefined);
    assert.equal(host.published.length, 1);
  });

  it('CONNECT deadline: a connection that sends nothing is closed; the host never hears of it', () => {
    const { transport, clock, host, finished } = open(4, { limits: { connectTimeoutMs: 5_000 } });
    clock.advance(5_000);
    assert.deepEqual(transport.closedWith, { reasonCode: 0x8d, reason: 'no CONNECT in time' });
    assert.deepEqual(host.closed, []);
    assert.equal(finished.length, 1);
    assert.equal(clock.pendingTimers, 1); // only the grace timer is left
  });

  it('a packet over the limit is refused from its header: 5.0 DISCONNECT 0x95', async () => {
    const { transport, send, c } = open(5, { limits: { maxPacketSize: 1024 } });
    send([connect(5)]);
    await settle();
    transport.take();
    transport.push(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x01])); // announces 2 MiB
    assert.equal(c.shutdown?.reasonCode, 0x95);
    assert.deepEqual(transport.take().map((p) => [p.cmd, (p as { reasonCode?: number }).reasonCode]), [['disconnect', 0x95]]);
  });

  it('back-pressure: a peer that does not read stops our reading; drain resumes it', async () => {
    const { transport, send } = open(4);
    send([connect(4)]);
    await settle();
    transport.take();
    transport.writable = false;
    send([{ cmd: 'pingreq' }, { cmd: 'pingreq' }]);
    // The first PINGRESP hit back-pressure: the second PINGREQ waits, reading is paused.
    assert.deepEqual(transport.take().map((p) => p.cmd), ['pingresp']);
    assert.equal(transport.paused, true);
    transport.drain();
    assert.deepEqual(transport.take().map((p) => p.cmd), ['pingresp']);
    assert.equal(transport.paused, false);
  });

  it('a peer that never reads: QoS 0 is refused, and past the outbound bound -> 0x97', async () => {
    const { transport, send, host, c } = open(5, { limits: { maxOutboundBufferBytes: 4096 } });
    send([connect(5), { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'big', qos: 1, nl: false, rap: false, rh: 0 }] }]);
    await settle();
    await settle();
    transport.take();
    transport.writable = false;
    c.handle.deliver({ ref: 'a', topic: 'big', payload: Buffer.alloc(3000), qos: 1 });
    c.handle.deliver({ ref: 'b', topic: 'big', payload: Buffer.alloc(10), qos: 0 });
    assert.deepEqual(host.outcomes, [{ ref: 'b', outcome: 'back-pressure', reasonCode: undefined }]);
    c.handle.deliver({ ref: 'c', topic: 'big', payload: Buffer.alloc(3000), qos: 1 });
    assert.deepEqual(c.shutdown, { reasonCode: 0x97, reason: 'peer does not read' });
    assert.deepEqual(host.outcomes.slice(1), [
      { ref: 'a', outcome: 'aborted', reasonCode: undefined },
      { ref: 'c', outcome: 'aborted', reasonCode: undefined },
    ]);
  });

  it('input held while the host is slow is bounded: 0x97', async () => {
    const host = new MemoryHost();
    host.publish = () => new Promise<number>(() => {}); // never answers
    const { send, c } = open(4, { host, limits: { receiveMaximum: 1, maxPacketSize: 1024, maxHeldInputBytes: 4096 } });
    send([connect(4)]);
    await settle();
    const q1 = (id: number): Packet => ({ cmd: 'publish', topic: 't', payload: Buffer.alloc(900), qos: 1, messageId: id, dup: false, retain: false }) as Packet;
    send([q1(1), q1(2), q1(3), q1(4), q1(5)], 512);
    assert.equal(c.shutdown, undefined);
    send([q1(6)], 512);
    assert.deepEqual(c.shutdown, { reasonCode: 0x97, reason: 'too much input held unread' });
  });

  it('misuse by the host is thrown at the host: a wildcard delivery, a CONNACK-only code', async () => {
    const { send, c } = open(5);
    send([connect(5)]);
    await settle();
    assert.throws(() => c.handle.deliver({ ref: 1, topic: 'a/#', payload: 'x', qos: 0 }), { name: 'TypeError', message: 'deliver: topic "a/#" is not a valid topic name (wildcard-in-name)' });
    assert.throws(() => c.handle.disconnect(0x8a), { name: 'TypeError', message: 'disconnect: 0x8a is not a server DISCONNECT reason code' });
    assert.equal(c.shutdown, undefined);
  });

  it('a host answer the channel cannot take ends the connection (0x80), and is logged', async () => {
    const host = new MemoryHost();
    host.publish = async () => 0x8e;
    const { send, c } = open(5, { host });
    send([connect(5), { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, messageId: 1, dup: false, retain: false }]);
    await settle();
    await settle();
    assert.deepEqual(c.shutdown, { reasonCode: 0x80, reason: 'internal error' });
  });
});
