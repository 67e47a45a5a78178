/**
 * The codec: packets cut from a byte stream fed one byte at a time, round-tripped through
 * mqtt-packet (serialize, frame, parse, serialize again, compare), refused early when too
 * large, and checked for well-formed UTF-8 on the raw bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode, PacketDecoder } from '../../transports/mqtt/codec.js';
import { Framer, type FrameResult } from '../../transports/mqtt/framer.js';
import type { Packet } from '../../transports/mqtt/index.js';

function frames(results: FrameResult[]): Buffer[] {
  return results.map((r) => {
    if (r.kind !== 'frame') throw new Error(`unexpected ${r.kind}`);
    return r.bytes;
  });
}

function byteByByte(framer: Framer, bytes: Buffer): FrameResult[] {
  const out: FrameResult[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...framer.push(bytes.subarray(i, i + 1)));
  return out;
}

const SESSIONS: Record<4 | 5, Packet[]> = {
  4: [
    { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'dev-1', keepalive: 30, username: 'u@t', password: Buffer.from('p') },
    { cmd: 'publish', topic: 'kp1/a/dcx/tok/json/1', payload: Buffer.from('{"x":1}'), qos: 1, messageId: 1, dup: false, retain: false },
    { cmd: 'publish', topic: 'é/ü', payload: Buffer.alloc(300, 7), qos: 0, dup: false, retain: false },
    { cmd: 'publish', topic: 'q2', payload: Buffer.from('two'), qos: 2, messageId: 2, dup: false, retain: false },
    { cmd: 'pubrel', messageId: 2 },
    { cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'kp1/+/cex/#', qos: 1 }, { topic: 'a', qos: 2 }] },
    { cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['a'] },
    { cmd: 'puback', messageId: 9 },
    { cmd: 'pingreq' },
    { cmd: 'disconnect' },
  ],
  5: [
    { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: 'dev-5', keepalive: 30, properties: { receiveMaximum: 10, maximumPacketSize: 4096, topicAliasMaximum: 3 }, will: { topic: 'w', payload: Buffer.from('bye'), qos: 1, retain: false, properties: { willDelayInterval: 5 } } },
    { cmd: 'publish', topic: 'kp1/a/dcx/tok/json/1', payload: Buffer.from('{}'), qos: 1, messageId: 1, dup: false, retain: false, properties: { contentType: 'application/json', userProperties: { k: 'v' }, topicAlias: 1 } },
    { cmd: 'publish', topic: '', payload: Buffer.alloc(200_000, 1), qos: 0, dup: false, retain: false, properties: { topicAlias: 1 } },
    { cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'x/#', qos: 1, nl: true, rap: false, rh: 2 }] },
    { cmd: 'pubrec', messageId: 5, reasonCode: 0x10 },
    { cmd: 'pubcomp', messageId: 6, reasonCode: 0 },
    { cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['x/#'], properties: { userProperties: { a: 'b' } } },
    { cmd: 'pingreq' },
    { cmd: 'disconnect', reasonCode: 4, properties: { reasonString: 'bye' } },
  ],
};

describe('codec', () => {
  for (const version of [4, 5] as const) {
    it(`MQTT ${version === 5 ? '5.0' : '3.1.1'}: a whole session fed one byte at a time round-trips`, () => {
      const packets = SESSIONS[version];
      const wire = packets.map((p) => encode(p, version));
      const framer = new Framer(1024 * 1024);
      const cut = frames(byteByByte(framer, Buffer.concat(wire)));
      assert.equal(cut.length, packets.length);
      assert.equal(framer.bufferedBytes, 0);
      const decoder = new PacketDecoder();
      cut.forEach((frame, i) => {
        assert.deepEqual(frame, wire[i], `frame ${i} is the packet's bytes`);
        const d = decoder.decode(frame);
        assert.equal(d.kind, 'packet');
        if (d.kind !== 'packet') return;
        assert.equal(d.packet.cmd, packets[i]?.cmd);
        assert.deepEqual(encode(d.packet, version), wire[i], `packet ${i} (${d.packet.cmd}) serializes back to the same bytes`);
      });
    });
  }

  it('cuts the same packets from any split of the stream', () => {
    const wire = Buffer.concat(SESSIONS[5].map((p) => encode(p, 5)));
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 1 + (seed % n);
    };
    for (let round = 0; round < 20; round++) {
      const framer = new Framer(1024 * 1024);
      const out: FrameResult[] = [];
      for (let at = 0; at < wire.length; ) {
        const n = rand(round < 10 ? 7 : 70_000);
        out.push(...framer.push(wire.subarray(at, at + n)));
        at += n;
      }
      assert.deepEqual(Buffer.concat(frames(out)), wire);
      assert.equal(out.length, SESSIONS[5].length);
    }
  });

  it('a packet over the limit is refused from its fixed header, before its body', () => {
    const framer = new Framer(1024);
    // PUBLISH announcing 300 MB: type byte and four length bytes, nothing else.
    const header = Buffer.from([0x30, 0x80, 0x80, 0xc0, 0x0f]);
    const results = byteByByte(framer, header);
    assert.deepEqual(results, [{ kind: 'too-large', size: 1 + 4 + 0x0f * 128 ** 3 + 0x40 * 128 ** 2 }]);
    assert.equal(framer.bufferedBytes, 0);
    assert.deepEqual(framer.push(Buffer.alloc(10_000)), []);
    assert.equal(framer.bufferedBytes, 0);
  });

  it('a Remaining Length of five bytes is malformed (MQTT 5.0 1.5.5)', () => {
    const framer = new Framer(1024);
    assert.deepEqual(byteByByte(framer, Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])), [{ kind: 'malformed', reason: 'Remaining Length longer than four bytes' }]);
  });

  it('ill-formed UTF-8 in a topic name is malformed (MQTT-1.5.4-1), though the parser took it', () => {
    const decoder = new PacketDecoder();
    assert.equal(decoder.decode(encode(SESSIONS[4][0] as Packet, 4)).kind, 'packet');
    const topic = Buffer.from([0x61, 0xc3, 0x28]); // "a" then an invalid two-byte sequence
    const body = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from('x')]);
    const publish = Buffer.concat([Buffer.from([0x30, body.length]), body]);
    assert.deepEqual(decoder.decode(publish), { kind: 'malformed', reason: 'ill-formed UTF-8 string' });
    const filter = Buffer.concat([Buffer.from([0, 1, 0, 2, 0xff, 0xfe, 0])]);
    const subscribe = Buffer.concat([Buffer.from([0x82, filter.length]), filter]);
    assert.deepEqual(new PacketDecoder().decode(subscribe), { kind: 'malformed', reason: 'ill-formed UTF-8 string' });
  });

  it('a CONNECT of an unknown protocol level is reported as such, not as malformed', () => {
    const connect = encode(SESSIONS[4][0] as Packet, 4);
    const level = connect.indexOf(Buffer.from('MQTT')) + 4;
    connect[level] = 6;
    assert.deepEqual(new PacketDecoder().decode(connect), { kind: 'unsupported-version', level: 6 });
  });

  it('garbage is malformed', () => {
    const d = new PacketDecoder().decode(Buffer.from([0x00, 0x02, 0xde, 0xad]));
    assert.equal(d.kind, 'malformed');
  });
});
