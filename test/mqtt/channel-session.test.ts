/**
 * The rest of a session on the channel: keep-alive on an injected clock, PINGREQ, SUBSCRIBE and
 * UNSUBSCRIBE, server deliveries at QoS 0/1/2, wills, takeover, server and client disconnects,
 * codec errors. Exact packets out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Packet } from '../../transports/mqtt/index.js';
import { ChannelHarness, connectPacket, T0 } from './channel-harness.js';

const WILL = { topic: 'kp1/app-v1/epmx/tok/offline', payload: Buffer.from('bye'), qos: 1 as const, retain: false };

describe('channel: keep alive', () => {
  it('3.1.1: nothing received for 1.5 x Keep Alive closes (MQTT-3.1.2-24) as if the network failed', () => {
    const h = new ChannelHarness().connect(4, { keepalive: 10, will: WILL });
    assert.equal(h.deadline(), T0 + 15_000);
    h.advance(14_999);
    assert.equal(h.shutdown, undefined);
    h.advance(1);
    assert.deepEqual(h.out, []);
    assert.deepEqual(h.shutdown, { reasonCode: 0x8d, reason: 'keep alive timeout' });
    // Not a normal DISCONNECT: the will goes to the host (MQTT-3.1.2-8).
    assert.deepEqual(h.effects, [{ type: 'will', message: { ...WILL, delayInterval: 0 } }]);
  });

  it('5.0: DISCONNECT 0x8D; any packet (here PINGREQ -> PINGRESP) moves the deadline', () => {
    const h = new ChannelHarness().connect(5, { keepalive: 10 });
    h.advance(14_000);
    h.packet({ cmd: 'pingreq' });
    assert.deepEqual(h.take().out, [{ cmd: 'pingresp' }]);
    assert.equal(h.deadline(), T0 + 29_000);
    h.advance(15_000);
    assert.deepEqual(h.out, [{ cmd: 'disconnect', reasonCode: 0x8d, properties: { reasonString: 'keep alive timeout' } }]);
  });

  it('Keep Alive 0 means no deadline', () => {
    const h = new ChannelHarness().connect(4, { keepalive: 0 });
    assert.equal(h.deadline(), undefined);
  });

  it('bytes held unread (heard) count as traffic; a slow host does not expire the client', () => {
    const h = new ChannelHarness({ limits: { receiveMaximum: 1 } }).connect(4, { keepalive: 10 });
    h.feed({ type: 'heard', now: T0 + 10_000 });
    assert.equal(h.deadline(), T0 + 25_000);
    h.packet({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }] });
    h.advance(30_000); // the host has not answered the SUBSCRIBE: the channel holds input back
    assert.equal(h.shutdown, undefined);
  });
});

describe('channel: SUBSCRIBE / UNSUBSCRIBE', () => {
  it('one SUBACK, a code per filter in order: granted, refused by host (0x80 / 0x87)', () => {
    const v5 = new ChannelHarness().connect(5);
    v5.packet({ cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: 'kp1/a/cex/t/command/#', qos: 1, nl: false, rap: false, rh: 0 }, { topic: 'secret/+', qos: 2, nl: false, rap: false, rh: 0 }] });
    assert.deepEqual(v5.take().effects, [
      {
        type: 'subscribe',
        id: 2,
        filters: [
          { topicFilter: 'kp1/a/cex/t/command/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
          { topicFilter: 'secret/+', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 },
        ],
      },
    ]);
    v5.feed({ type: 'subscribed', id: 2, codes: [1, 0x87] });
    assert.deepEqual(v5.out, [{ cmd: 'suback', messageId: 5, granted: [1, 0x87] }]);

    const v4 = new ChannelHarness().connect(4);
    v4.packet({ cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: 'a/b', qos: 1 }, { topic: 'c', qos: 0 }] });
    assert.deepEqual(v4.take().effects, [{ type: 'subscribe', id: 2, filters: [{ topicFilter: 'a/b', qos: 1 }, { topicFilter: 'c', qos: 0 }] }]);
    v4.feed({ type: 'subscribed', id: 2, codes: [0x87, 0] });
    assert.deepEqual(v4.out, [{ cmd: 'suback', messageId: 5, granted: [0x80, 0] }]);
  });

  it('malformed filters and shared subscriptions are refused by the channel (0x8F / 0x9E / 0x80)', () => {
    const v5 = new ChannelHarness().connect(5);
    v5.packet({ cmd: 'subscribe', messageId: 6, subscriptions: [{ topic: 'a/#/b', qos: 0 }, { topic: 'ok/+', qos: 0 }, { topic: '$share/g/x', qos: 0 }, { topic: 'a+', qos: 0 }] });
    assert.deepEqual(v5.take().effects, [{ type: 'subscribe', id: 2, filters: [{ topicFilter: 'ok/+', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }]);
    v5.feed({ type: 'subscribed', id: 2, codes: [0] });
    assert.deepEqual(v5.out, [{ cmd: 'suback', messageId: 6, granted: [0x8f, 0, 0x9e, 0x8f] }]);

    const v4 = new ChannelHarness().connect(4);
    v4.packet({ cmd: 'subscribe', messageId: 6, subscriptions: [{ topic: '#/a', qos: 0 }] });
    assert.deepEqual(v4.effects, []);
    assert.deepEqual(v4.out, [{ cmd: 'suback', messageId: 6, granted: [0x80] }]);
  });

  it('5.0: a Subscription Identifier -> DISCONNECT 0xA1 (advertised unavailable)', () => {
    const h = new ChannelHarness().connect(5);
    h.packet({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }], properties: { subscriptionIdentifier: 3 } });
    assert.deepEqual(h.out, [{ cmd: 'disconnect', reasonCode: 0xa1, properties: { reasonString: 'subscription identifiers are not supported' } }]);
  });

  it('UNSUBSCRIBE: UNSUBACK with codes (5.0), without (3.1.1)', () => {
    const v5 = new ChannelHarness().connect(5);
    v5.packet({ cmd: 'unsubscribe', messageId: 8, unsubscriptions: ['a/b', 'x/#/y'] });
    assert.deepEqual(v5.take().effects, [{ type: 'unsubscribe', id: 2, filters: ['a/b'] }]);
    v5.feed({ type: 'unsubscribed', id: 2, codes: [0x11] });
    assert.deepEqual(v5.out, [{ cmd: 'unsuback', messageId: 8, granted: [0x11, 0x8f] }]);
    const v4 = new ChannelHarness().connect(4);
    v4.packet({ cmd: 'unsubscribe', messageId: 8, unsubscriptions: ['a/b'] });
    v4.feed({ type: 'unsubscribed', id: v4.lastId('unsubscribe'), codes: [0] });
    assert.deepEqual(v4.out, [{ cmd: 'unsuback', messageId: 8 }]);
  });
});

describe('channel: deliveries to the client', () => {
  const msg = (ref: number, qos: 0 | 1 | 2) => ({ ref, topic: 'kp1/app-v1/cmx/tok/config/json/status', payload: Buffer.from('{}'), qos });
  const pub = (qos: 0 | 1 | 2, messageId?: number): Packet =>
    ({ cmd: 'publish', topic: 'kp1/app-v1/cmx/tok/config/json/status', payload: Buffer.from('{}'), qos, retain: false, dup: false, ...(messageId === undefined ? {} : { messageId }) }) as Packet;

  it('QoS 0 is written; QoS 1 takes packet id 1 and is acknowledged by PUBACK', () => {
    const h = new ChannelHarness().connect(5);
    h.feed({ type: 'deliver', message: msg(1, 0) });
    assert.deepEqual(h.take(), { out: [pub(0)], effects: [] });
    h.feed({ type: 'deliver', message: msg(2, 1) });
    assert.deepEqual(h.take(), { out: [pub(1, 1)], effects: [] });
    h.packet({ cmd: 'puback', messageId: 1, reasonCode: 0 });
    assert.deepEqual(h.take(), { out: [], effects: [{ type: 'delivery', ref: 2, outcome: 'acknowledged', reasonCode: 0 }] });
  });

  it('QoS 2: PUBREC -> PUBREL -> PUBCOMP', () => {
    const h = new ChannelHarness().connect(4);
    h.feed({ type: 'deliver', message: msg(3, 2) });
    assert.deepEqual(h.take().out, [pub(2, 1)]);
    h.packet({ cmd: 'pubrec', messageId: 1 });
    assert.deepEqual(h.take().out, [{ cmd: 'pubrel', messageId: 1 }]);
    h.packet({ cmd: 'pubcomp', messageId: 1 });
    assert.deepEqual(h.take(), { out: [], effects: [{ type: 'delivery', ref: 3, outcome: 'acknowledged', reasonCode: 0 }] });
  });

  it("the window is the client's Receive Maximum: beyond it the message goes back to the host", () => {
    const h = new ChannelHarness().connect(5, { properties: { receiveMaximum: 2 } });
    h.feed({ type: 'deliver', message: msg(1, 1) });
    h.feed({ type: 'deliver', message: msg(2, 2) });
    h.feed({ type: 'deliver', message: msg(3, 1) });
    assert.deepEqual(h.take(), { out: [pub(1, 1), pub(2, 2)], effects: [{ type: 'delivery', ref: 3, outcome: 'window-full' }] });
    h.packet({ cmd: 'puback', messageId: 1 });
    h.feed({ type: 'deliver', message: msg(3, 1) });
    assert.deepEqual(h.take().out, [pub(1, 3)]);
  });

  it("larger than the client's Maximum Packet Size: discarded as if delivered (MQTT-3.1.2-25)", () => {
    const h = new ChannelHarness().connect(5, { properties: { maximumPacketSize: 40 } });
    h.feed({ type: 'deliver', message: { ...msg(1, 1), payload: Buffer.alloc(100) } });
    assert.deepEqual(h.take(), { out: [], effects: [{ type: 'delivery', ref: 1, outcome: 'too-large' }] });
  });

  it('before CONNACK nothing is delivered', () => {
    const h = new ChannelHarness();
    h.packet(connectPacket(4));
    h.take();
    h.feed({ type: 'deliver', message: msg(1, 0) });
    assert.deepEqual(h.take(), { out: [], effects: [{ type: 'delivery', ref: 1, outcome: 'not-connected' }] });
  });
});

describe('channel: endings', () => {
  it('takeover: 5.0 DISCONNECT 0x8E (MQTT-3.1.4-3); 3.1.1 close (MQTT-3.1.4-2); unacked deliveries aborted', () => {
    const v5 = new ChannelHarness().connect(5);
    v5.feed({ type: 'deliver', message: { ref: 'm1', topic: 't', payload: 'x', qos: 1 } });
    v5.take();
    v5.feed({ type: 'takeover' });
    assert.deepEqual(v5.out, [{ cmd: 'disconnect', reasonCode: 0x8e, properties: { reasonString: 'session taken over' } }]);
    assert.deepEqual(v5.effects, [{ type: 'delivery', ref: 'm1', outcome: 'aborted' }]);
    assert.deepEqual(v5.shutdown, { reasonCode: 0x8e, reason: 'session taken over' });
    const v4 = new ChannelHarness().connect(4);
    v4.feed({ type: 'takeover' });
    assert.deepEqual(v4.out, []);
    assert.deepEqual(v4.shutdown, { reasonCode: 0x8e, reason: 'session taken over' });
  });

  it('server disconnect with a reason code: a revoked credential is 0x87 Not authorized', () => {
    const h = new ChannelHarness().connect(5);
    h.feed({ type: 'disconnect', reasonCode: 0x87, reason: 'credential revoked' });
    assert.deepEqual(h.out, [{ cmd: 'disconnect', reasonCode: 0x87, properties: { reasonString: 'credential revoked' } }]);
    assert.deepEqual(h.shutdown, { reasonCode: 0x87, reason: 'credential revoked' });
    // 0x8A Banned exists on CONNACK only (MQTT 5.0 3.14.2.1): misuse.
    const bad = new ChannelHarness().connect(5);
    assert.throws(() => bad.feed({ type: 'disconnect', reasonCode: 0x8a }), TypeError);
  });

  it('client DISCONNECT: normal deletes the will, 0x04 keeps it; nothing is written back', () => {
    const normal = new ChannelHarness().connect(5, { will: WILL });
    normal.packet({ cmd: 'disconnect', reasonCode: 0 });
    assert.deepEqual(normal.out, []);
    assert.deepEqual(normal.effects, []);
    assert.deepEqual(normal.shutdown, { reasonCode: 0, reason: 'client disconnected' });
    const withWill = new ChannelHarness().connect(5, { will: { ...WILL, properties: { willDelayInterval: 30 } } });
    withWill.packet({ cmd: 'disconnect', reasonCode: 4 });
    assert.deepEqual(withWill.effects, [{ type: 'will', message: { ...WILL, delayInterval: 30 } }]);
    const v4 = new ChannelHarness().connect(4, { will: WILL });
    v4.packet({ cmd: 'disconnect' });
    assert.deepEqual(v4.effects, []);
  });

  it('connection lost: the will is published, the channel ends', () => {
    const h = new ChannelHarness().connect(4, { will: WILL });
    h.feed({ type: 'closed', reason: 'ECONNRESET' });
    assert.deepEqual(h.effects, [{ type: 'will', message: { ...WILL, delayInterval: 0 } }]);
    assert.deepEqual(h.shutdown, { reasonCode: 0x80, reason: 'ECONNRESET' });
  });

  it('oversized packet: 5.0 DISCONNECT 0x95; before CONNACK just closed', () => {
    const v5 = new ChannelHarness().connect(5);
    v5.feed({ type: 'too-large', size: 300_000_000, now: v5.now });
    assert.deepEqual(v5.out, [{ cmd: 'disconnect', reasonCode: 0x95, properties: { reasonString: 'packet of 300000000 bytes' } }]);
    const early = new ChannelHarness();
    early.feed({ type: 'too-large', size: 300_000_000, now: early.now });
    assert.deepEqual(early.out, []);
    assert.deepEqual(early.shutdown, { reasonCode: 0x95, reason: 'packet of 300000000 bytes' });
  });

  it('malformed packet: 5.0 DISCONNECT 0x81, 3.1.1 close', () => {
    const v5 = new ChannelHarness().connect(5);
    v5.feed({ type: 'malformed', reason: 'Invalid header flag bits', now: v5.now });
    assert.deepEqual(v5.out, [{ cmd: 'disconnect', reasonCode: 0x81, properties: { reasonString: 'Invalid header flag bits' } }]);
    const v4 = new ChannelHarness().connect(4);
    v4.feed({ type: 'malformed', reason: 'x', now: v4.now });
    assert.deepEqual(v4.out, []);
    assert.deepEqual(v4.shutdown, { reasonCode: 0x81, reason: 'x' });
  });

  it('packets only a server sends are protocol errors; AUTH without a method too', () => {
    for (const p of [{ cmd: 'connack', sessionPresent: false, reasonCode: 0 }, { cmd: 'auth', reasonCode: 0x18 }] as Packet[]) {
      const h = new ChannelHarness().connect(5);
      h.packet(p);
      assert.equal(h.shutdown?.reasonCode, 0x82);
    }
  });

  it("the DISCONNECT's reason string is left out when it would exceed the client's Maximum Packet Size", () => {
    const h = new ChannelHarness().connect(5, { properties: { maximumPacketSize: 10 } });
    h.feed({ type: 'takeover' });
    assert.deepEqual(h.out, [{ cmd: 'disconnect', reasonCode: 0x8e }]);
  });
});
