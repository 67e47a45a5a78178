/**
 * Inbound PUBLISH flows at QoS 0, 1 and 2 on both protocol versions, with the exact
 * acknowledgements written and the effects asked of the host.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Packet } from '../../transports/mqtt/index.js';
import { ChannelHarness } from './channel-harness.js';

function publish(qos: 0 | 1 | 2, messageId?: number, extra: Partial<Extract<Packet, { cmd: 'publish' }>> = {}): Packet {
  return { cmd: 'publish', topic: 'kp1/app-v1/dcx/tok/json/1', payload: Buffer.from('{"t":1}'), qos, dup: false, retain: false, ...(messageId === undefined ? {} : { messageId }), ...extra } as Packet;
}

const MESSAGE = { topic: 'kp1/app-v1/dcx/tok/json/1', payload: Buffer.from('{"t":1}'), retain: false };

describe('channel: inbound PUBLISH', () => {
  it('QoS 0 is handed to the host with no answer expected and nothing written', () => {
    const h = new ChannelHarness().connect(4);
    h.packet(publish(0));
    assert.deepEqual(h.out, []);
    assert.deepEqual(h.effects, [{ type: 'publish', id: undefined, message: { ...MESSAGE, qos: 0 } }]);
  });

  it('QoS 1: PUBACK once the host answers (3.1.1 without, 5.0 with reason code)', () => {
    const v4 = new ChannelHarness().connect(4);
    v4.packet(publish(1, 7));
    assert.deepEqual(v4.take(), { out: [], effects: [{ type: 'publish', id: 2, message: { ...MESSAGE, qos: 1 } }] });
    v4.feed({ type: 'published', id: 2, reasonCode: 0 });
    assert.deepEqual(v4.out, [{ cmd: 'puback', messageId: 7 }]);

    const v5 = new ChannelHarness().connect(5);
    v5.packet(publish(1, 7));
    v5.feed({ type: 'published', id: v5.lastId('publish'), reasonCode: 0x10 });
    assert.deepEqual(v5.out, [{ cmd: 'puback', messageId: 7, reasonCode: 0x10 }]);
    assert.equal(v5.state?.inbound.size, 0);
  });

  it('a refused publish: 5.0 PUBACK 0x87; 3.1.1 acknowledged all the same (MQTT-3.3.5-2)', () => {
    const v5 = new ChannelHarness().connect(5);
    v5.packet(publish(1, 3));
    v5.feed({ type: 'published', id: v5.lastId('publish'), reasonCode: 0x87 });
    assert.deepEqual(v5.out, [{ cmd: 'puback', messageId: 3, reasonCode: 0x87 }]);
    const v4 = new ChannelHarness().connect(4);
    v4.packet(publish(1, 3));
    v4.feed({ type: 'published', id: v4.lastId('publish'), reasonCode: 0x87 });
    assert.deepEqual(v4.out, [{ cmd: 'puback', messageId: 3 }]);
  });

  it('QoS 2: PUBREC, the id held until PUBREL, then PUBCOMP', () => {
    const h = new ChannelHarness().connect(5);
    h.packet(publish(2, 9));
    h.feed({ type: 'published', id: h.lastId('publish'), reasonCode: 0 });
    assert.deepEqual(h.take().out, [{ cmd: 'pubrec', messageId: 9, reasonCode: 0 }]);
    assert.equal(h.state?.inbound.get(9), 'released');
    h.packet({ cmd: 'pubrel', messageId: 9 });
    assert.deepEqual(h.take().out, [{ cmd: 'pubcomp', messageId: 9, reasonCode: 0 }]);
    assert.equal(h.state?.inbound.size, 0);
  });

  it('QoS 2 duplicate before PUBREL: PUBREC again, never a second host publish', () => {
    for (const version of [4, 5] as const) {
      const h = new ChannelHarness().connect(version);
      h.packet(publish(2, 9));
      // The duplicate arrives while the host has not answered yet: nothing at all.
      h.packet(publish(2, 9, { dup: true }));
      assert.equal(h.effects.filter((e) => e.type === 'publish').length, 1);
      h.feed({ type: 'published', id: h.lastId('publish'), reasonCode: 0 });
      h.take();
      // And after PUBREC: PUBREC again.
      h.packet(publish(2, 9, { dup: true }));
      const again = h.take();
      assert.deepEqual(again.effects, []);
      assert.deepEqual(again.out, [version === 5 ? { cmd: 'pubrec', messageId: 9, reasonCode: 0 } : { cmd: 'pubrec', messageId: 9 }]);
      h.packet({ cmd: 'pubrel', messageId: 9 });
      assert.deepEqual(h.take().out, [version === 5 ? { cmd: 'pubcomp', messageId: 9, reasonCode: 0 } : { cmd: 'pubcomp', messageId: 9 }]);
      // Released: the id is new again.
      h.packet(publish(2, 9));
      assert.equal(h.take().effects.length, 1);
    }
  });

  it('QoS 2 refused by the host: PUBREC 0x87 frees the id at once', () => {
    const h = new ChannelHarness().connect(5);
    h.packet(publish(2, 4));
    h.feed({ type: 'published', id: h.lastId('publish'), reasonCode: 0x87 });
    assert.deepEqual(h.out, [{ cmd: 'pubrec', messageId: 4, reasonCode: 0x87 }]);
    assert.equal(h.state?.inbound.size, 0);
  });

  it('PUBREL for an unknown id: PUBCOMP 0x92 (5.0)', () => {
    const h = new ChannelHarness().connect(5);
    h.packet({ cmd: 'pubrel', messageId: 77 });
    assert.deepEqual(h.out, [{ cmd: 'pubcomp', messageId: 77, reasonCode: 0x92 }]);
  });

  it('5.0: more QoS 1/2 in flight than the Receive Maximum -> DISCONNECT 0x93', () => {
    const h = new ChannelHarness({ limits: { receiveMaximum: 2 } }).connect(5);
    h.packet(publish(2, 1));
    h.feed({ type: 'published', id: h.lastId('publish'), reasonCode: 0 });
    h.packet(publish(1, 2));
    h.take();
    h.packet(publish(1, 3));
    assert.deepEqual(h.out, [{ cmd: 'disconnect', reasonCode: 0x93, properties: { reasonString: 'receive maximum exceeded' } }]);
    assert.deepEqual(h.shutdown, { reasonCode: 0x93, reason: 'receive maximum exceeded' });
  });

  it('3.1.1: QoS 2 ids never released are bounded by the Receive Maximum too', () => {
    const h = new ChannelHarness({ limits: { receiveMaximum: 2 } }).connect(4);
    for (const id of [1, 2]) {
      h.packet(publish(2, id));
      h.feed({ type: 'published', id: h.lastId('publish'), reasonCode: 0 });
    }
    h.take();
    h.packet(publish(1, 3)); // QoS 1 still passes: only unreleased QoS 2 counts for 3.1.1
    h.feed({ type: 'published', id: h.lastId('publish'), reasonCode: 0 });
    assert.deepEqual(h.take().out, [{ cmd: 'puback', messageId: 3 }]);
    h.packet(publish(2, 4));
    assert.deepEqual(h.out, []);
    assert.deepEqual(h.shutdown, { reasonCode: 0x93, reason: 'receive maximum exceeded' });
  });

  it('a wildcard in a topic name (MQTT-3.3.2-2): 5.0 DISCONNECT 0x90, 3.1.1 close', () => {
    const v5 = new ChannelHarness().connect(5);
    v5.packet(publish(0, undefined, { topic: 'a/+/b' }));
    assert.deepEqual(v5.out, [{ cmd: 'disconnect', reasonCode: 0x90, properties: { reasonString: 'topic name: wildcard-in-name' } }]);
    const v4 = new ChannelHarness().connect(4);
    v4.packet(publish(1, 1, { topic: 'a/#' }));
    assert.deepEqual(v4.out, []);
    assert.deepEqual(v4.shutdown, { reasonCode: 0x90, reason: 'topic name: wildcard-in-name' });
  });

  it('NUL in a topic is a malformed packet (MQTT-4.7.3-2)', () => {
    const h = new ChannelHarness().connect(5);
    h.packet(publish(0, undefined, { topic: 'a\u0000b' }));
    assert.deepEqual(h.shutdown, { reasonCode: 0x81, reason: 'NUL in topic name' });
  });

  it('5.0 topic aliases: set, used, unknown (0x82), above the maximum (0x94)', () => {
    const h = new ChannelHarness({ limits: { topicAliasMaximum: 2 } }).connect(5);
    h.packet(publish(0, undefined, { topic: 'long/topic', properties: { topicAlias: 1 } }));
    h.packet(publish(0, undefined, { topic: '', properties: { topicAlias: 1 } }));
    assert.deepEqual(
      h.take().effects.map((e) => (e.type === 'publish' ? e.message.topic : e.type)),
      ['long/topic', 'long/topic'],
    );
    h.packet(publish(0, undefined, { topic: '', properties: { topicAlias: 2 } }));
    assert.deepEqual(h.shutdown, { reasonCode: 0x82, reason: 'unknown topic alias 2' });
    const big = new ChannelHarness({ limits: { topicAliasMaximum: 2 } }).connect(5);
    big.packet(publish(0, undefined, { topic: 't', properties: { topicAlias: 3 } }));
    assert.deepEqual(big.out, [{ cmd: 'disconnect', reasonCode: 0x94, properties: { reasonString: 'topic alias 3' } }]);
  });

  it('5.0: retain where Retain Available is 0 -> DISCONNECT 0x9A; 3.1.1 passes the flag on', () => {
    const v5 = new ChannelHarness().connect(5);
    v5.packet(publish(0, undefined, { retain: true }));
    assert.deepEqual(v5.out, [{ cmd: 'disconnect', reasonCode: 0x9a, properties: { reasonString: 'retained messages are not supported' } }]);
    const v4 = new ChannelHarness().connect(4);
    v4.packet(publish(0, undefined, { retain: true }));
    assert.deepEqual(v4.effects, [{ type: 'publish', id: undefined, message: { ...MESSAGE, qos: 0, retain: true } }]);
  });

  it('5.0 message properties go to the host unaltered', () => {
    const h = new ChannelHarness().connect(5);
    const properties = { contentType: 'application/json', responseTopic: 'r/t', correlationData: Buffer.from([1, 2]), userProperties: { a: 'b' }, payloadFormatIndicator: true, messageExpiryInterval: 60 };
    h.packet(publish(0, undefined, { properties }));
    assert.deepEqual(h.effects, [{ type: 'publish', id: undefined, message: { ...MESSAGE, qos: 0, properties } }]);
  });

  it('a host answer with a code PUBACK cannot carry is misuse: TypeError', () => {
    const h = new ChannelHarness().connect(5);
    h.packet(publish(1, 1));
    assert.throws(() => h.feed({ type: 'published', id: h.lastId('publish'), reasonCode: 0x8e }), TypeError);
  });
});
