/**
 * The direct PUBLISH decoder and acknowledgement encoder, against mqtt-packet itself: thousands
 * of PUBLISH packets written by mqtt-packet's generator decode to the packet a fresh
 * mqtt-packet parser gives; malformed PUBLISH frames are refused on the direct path and on
 * the mqtt-packet path (MQTT 5 with properties); every directly encoded PUBACK, PUBREC,
 * PUBREL and PUBCOMP is the expected bytes and parses back to the same packet.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket, { type IConnectPacket, type IPublishPacket } from 'mqtt-packet';
import { encode, PacketDecoder, type Decoded } from '../../transports/mqtt/codec.js';
import { decodeConnect, decodePublish, encodeAck, encodeConnack } from '../../transports/mqtt/fast-codec.js';
import { Framer } from '../../transports/mqtt/framer.js';
import type { Packet, ProtocolVersion } from '../../transports/mqtt/index.js';

/** A small deterministic generator, so a failure can be replayed. */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

/** One, two, three and four byte UTF-8 characters, wildcards and separators. */
const ALPHABET = ['a', 'Z', '0', '/', '-', '_', ' ', '$', '+', '#', 'é', 'ß', 'Ж', '€', '中', '\uFFFD', '😀', '𝄞'];
/** Remaining Lengths of one, two and three bytes, and one of four (over 2 MiB). */
const PAYLOAD_SIZES = [0, 1, 127, 128, 16383, 16384, 200_000];
const FOUR_BYTE_PAYLOAD = 2_100_000;

function randomPayloadSource(size: number, rand: (n: number) => number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = rand(256);
  return b;
}

function connectFrame(version: ProtocolVersion): Buffer {
  return mqttPacket.generate(
    { cmd: 'connect', protocolId: version === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: version, clean: true, clientId: `dev-${version}`, keepalive: 30 },
    { protocolVersion: version },
  );
}

/** A decoder that has seen a CONNECT of this version, as on a live connection. */
function connected(version: ProtocolVersion): PacketDecoder {
  const d = new PacketDecoder();
  assert.equal(d.decode(connectFrame(version)).kind, 'packet');
  return d;
}

/** What a fresh mqtt-packet parser makes of one frame. */
function reference(frame: Buffer, version: ProtocolVersion): { packet?: Packet; error?: string } {
  const parser = mqttPacket.parser({ protocolVersion: version });
  const out: { packet?: Packet; error?: string } = {};
  parser.on('packet', (p: Packet) => {
    out.packet = p;
  });
  parser.on('error', (e: Error) => {
    out.error ??= e.message;
  });
  parser.parse(frame);
  return out;
}

function packetOf(d: Decoded): Packet {
  if (d.kind !== 'packet') throw new assert.AssertionError({ message: `expected a packet, got ${JSON.stringify(d)}` });
  return d.packet;
}

/** The same own keys, in the same order, with deep-equal values. mqtt-packet's objects are
 *  instances of its internal Packet class; the prototype is not part of the shape. */
function assertSamePacket(actual: Packet, expected: Packet, what: string): void {
  assert.deepEqual(Object.keys(actual), Object.keys(expected), `${what}: keys`);
  assert.deepEqual({ ...actual }, { ...expected }, what);
}

function randomPublish(rand: (n: number) => number, payloads: Buffer, withProperties: boolean, big: boolean): IPublishPacket {
  const chars = 1 + rand(300);
  let topic = '';
  for (let i = 0; i < chars; i++) topic += ALPHABET[rand(ALPHABET.length)];
  const size = big ? FOUR_BYTE_PAYLOAD : (PAYLOAD_SIZES[rand(PAYLOAD_SIZES.length)] as number);
  const start = rand(payloads.length - size + 1);
  const qos = rand(3) as 0 | 1 | 2;
  const p: IPublishPacket = { cmd: 'publish', topic, payload: payloads.subarray(start, start + size), qos, dup: rand(2) === 1, retain: rand(2) === 1 };
  if (qos > 0) p.messageId = rand(4) === 0 ? [1, 65535][rand(2)] : 1 + rand(65535);
  if (withProperties) {
    const all = {
      payloadFormatIndicator: rand(2) === 1,
      messageExpiryInterval: rand(100_000),
      topicAlias: 1 + rand(10),
      contentType: 'application/json',
      responseTopic: `reply/${rand(1000)}`,
      correlationData: Buffer.from([rand(256), rand(256)]),
      userProperties: { k: 'v', ü: ['1', '2'] },
    };
    const keys = Object.keys(all) as (keyof typeof all)[];
    const props: Record<string, unknown> = {};
    // At least one property, so that the Property Length is not 0.
    for (const k of keys) if (rand(2) === 1 || Object.keys(props).length === 0) props[k] = all[k];
    p.properties = props as IPublishPacket['properties'];
  }
  return p;
}

describe('direct PUBLISH decoding, against mqtt-packet', () => {
  const cases: { version: ProtocolVersion; properties: boolean; count: number }[] = [
    { version: 3, properties: false, count: 800 },
    { version: 4, properties: false, count: 1500 },
    { version: 5, properties: false, count: 1500 },
    { version: 5, properties: true, count: 800 },
  ];
  for (const { version, properties, count } of cases) {
    it(`MQTT ${version}${properties ? ' with properties' : ''}: ${count} generated PUBLISH packets decode as mqtt-packet parses them`, () => {
      const rand = prng(version * 1000 + (properties ? 1 : 0));
      const payloads = randomPayloadSource(FOUR_BYTE_PAYLOAD + 1024, rand);
      const decoder = connected(version);
      const widths = new Set<number>();
      for (let i = 0; i < count; i++) {
        const p = randomPublish(rand, payloads, properties, i % 400 === 7);
        const frame = mqttPacket.generate(p, { protocolVersion: version });
        let lengthBytes = 1;
        while (((frame[lengthBytes] as number) & 0x80) !== 0) lengthBytes++;
        widths.add(lengthBytes);
        const expected = reference(frame, version);
        assert.equal(expected.error, undefined);
        const what = `packet ${i} (qos ${p.qos}, ${frame.length} bytes)`;
        const direct = decodePublish(frame, version);
        if (properties) {
          // Properties are left to mqtt-packet, through the same decoder.
          assert.equal(direct, undefined, `${what}: declined by the direct path`);
        } else {
          assert.notEqual(direct, undefined, `${what}: taken by the direct path`);
        }
        const decoded = packetOf(decoder.decode(frame));
        assertSamePacket(decoded, expected.packet as Packet, what);
        if (!properties) {
          const payload = (decoded as IPublishPacket).payload as Buffer;
          assert.equal(payload.buffer, frame.buffer, `${what}: the payload is a view of the frame`);
          assert.equal(payload.byteOffset + payload.length, frame.byteOffset + frame.length);
        }
      }
      assert.deepEqual([...widths].sort(), [1, 2, 3, 4], 'every Remaining Length width');
    });
  }

  it('PUBLISH frames fed one byte at a time through the framer decode as mqtt-packet parses them', () => {
    const rand = prng(99);
    const payloads = randomPayloadSource(4096, rand);
    for (const version of [4, 5] as const) {
      const packets = Array.from({ length: 40 }, () => {
        const p = randomPublish(rand, payloads, false, false);
        p.payload = (p.payload as Buffer).subarray(0, rand(300));
        return p;
      });
      const wire = packets.map((p) => mqttPacket.generate(p, { protocolVersion: version }));
      const stream = Buffer.concat([connectFrame(version), ...wire]);
      const framer = new Framer(1024 * 1024);
      const decoder = new PacketDecoder();
      const decoded: Packet[] = [];
      for (let i = 0; i < stream.length; i++) {
        for (const r of framer.push(stream.subarray(i, i + 1))) {
          assert.equal(r.kind, 'frame');
          if (r.kind === 'frame') decoded.push(packetOf(decoder.decode(r.bytes)));
        }
      }
      assert.equal(decoded.length, packets.length + 1);
      assert.equal(decoded[0]?.cmd, 'connect');
      wire.forEach((frame, i) => assertSamePacket(decoded[i + 1] as Packet, reference(frame, version).packet as Packet, `MQTT ${version} packet ${i}`));
    }
  });

  it('packet identifier 0, wildcards and an empty MQTT 5 property set come out as mqtt-packet has them', () => {
    const frames: [ProtocolVersion, Buffer][] = [
      [4, Buffer.from([0x32, 5, 0, 1, 0x61, 0, 0])], // QoS 1, id 0: refused later, by the channel
      [4, Buffer.from([0x3b, 8, 0, 3, 0x61, 0x2f, 0x2b, 0x12, 0x34, 0x78])], // dup, QoS 1, retain, "a/+"
      [4, Buffer.from([0x30, 3, 0, 1, 0x23])], // "#", empty payload
      [5, Buffer.from([0x34, 6, 0, 1, 0x23, 0xff, 0xff, 0])], // QoS 2, id 65535, Property Length 0
      [5, Buffer.from([0x30, 5, 0, 2, 0x61, 0x62, 0])], // QoS 0, Property Length 0, no payload
    ];
    for (const [version, frame] of frames) {
      const expected = reference(frame, version).packet as Packet;
      assert.notEqual(decodePublish(frame, version), undefined);
      assertSamePacket(packetOf(connected(version).decode(frame)), expected, frame.toString('hex'));
    }
    assert.equal('properties' in packetOf(connected(5).decode(frames[3]?.[1] as Buffer)), false);
  });

  it('declines what it does not cover: other types, MQTT 5 properties, a missing Property Length, a frame its length does not match', () => {
    assert.equal(decodePublish(Buffer.from([0x40, 2, 0, 1]), 4), undefined);
    assert.equal(decodePublish(Buffer.from([0x30, 7, 0, 1, 0x61, 2, 0x23, 0, 1]), 5), undefined);
    assert.equal(decodePublish(Buffer.from([0x30, 3, 0, 1, 0x61]), 5), undefined);
    assert.equal(decodePublish(Buffer.from([0x30, 4, 0, 1, 0x61]), 4), undefined);
    assert.equal(decodePublish(Buffer.from([0x30, 2, 0, 1, 0x61]), 4), undefined);
    assert.equal(decodePublish(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]), 4), undefined);
    // Declined frames get what mqtt-packet makes of them, as before.
    const noPropertyLength = Buffer.from([0x30, 3, 0, 1, 0x61]);
    assertSamePacket(packetOf(connected(5).decode(noPropertyLength)), reference(noPropertyLength, 5).packet as Packet, 'no Property Length');
  });
});

/** Printable ASCII and space: what the direct CONNECT path takes in a client id or username. */
const PRINTABLE = ' !#-./0123456789:@ABCXYZ_abcxyz~';

function randomConnect(rand: (n: number) => number, version: 4 | 5): IConnectPacket {
  const text = (max: number): string => {
    let s = '';
    for (let i = rand(max + 1); i > 0; i--) s += PRINTABLE[rand(PRINTABLE.length)];
    return s;
  };
  const clientId = text(40);
  // (mqtt-packet's generator refuses an empty client id without Clean Session.)
  const clean = clientId === '' || rand(2) === 1;
  const p: IConnectPacket = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clean, keepalive: rand(4) === 0 ? [0, 65535][rand(2)]! : rand(65536), clientId };
  const auth = rand(3);
  if (auth >= 1) p.username = `${text(30)}@${text(12)}`;
  if (auth === 2) p.password = Buffer.from(Array.from({ length: rand(4) === 0 ? 300 + rand(70_000) : rand(64) }, () => rand(256)).slice(0, 65535));
  return p;
}

describe('direct CONNECT decoding, against mqtt-packet', () => {
  for (const version of [4, 5] as const) {
    it(`MQTT ${version}: 1500 generated device CONNECTs decode as mqtt-packet parses them`, () => {
      const rand = prng(7000 + version);
      for (let i = 0; i < 1500; i++) {
        const p = randomConnect(rand, version);
        const frame = mqttPacket.generate(p, { protocolVersion: version });
        const expected = reference(frame, 4);
        assert.equal(expected.error, undefined);
        const what = `CONNECT ${i} (${frame.length} bytes)`;
        assert.notEqual(decodeConnect(frame), undefined, `${what}: taken by the direct path`);
        const decoder = new PacketDecoder();
        const decoded = packetOf(decoder.decode(frame));
        assertSamePacket(decoded, expected.packet as Packet, what);
        // The decoder now works in the CONNECT's version: a PUBLISH after it decodes as such.
        const publish = mqttPacket.generate({ cmd: 'publish', topic: 'kp1/a', payload: Buffer.from('x'), qos: 1, messageId: 9, dup: false, retain: false }, { protocolVersion: version });
        assertSamePacket(packetOf(decoder.decode(publish)), reference(publish, version).packet as Packet, `${what}: the PUBLISH after it`);
      }
    });
  }

  it('declines every other CONNECT, which the parser then decides as before', () => {
    const base: IConnectPacket = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: 'dev', username: 'u@t', password: Buffer.from('pw') };
    const gen = (p: IConnectPacket): Buffer => mqttPacket.generate(p, { protocolVersion: p.protocolVersion as ProtocolVersion });
    const declined: Record<string, Buffer> = {
      'a Will': gen({ ...base, will: { topic: 'kp1/w', payload: Buffer.from('bye'), qos: 1, retain: false } }),
      'MQTT 5 properties': gen({ ...base, protocolVersion: 5, properties: { sessionExpiryInterval: 60 } }),
      'MQTT 3.1 (MQIsdp)': gen({ ...base, protocolId: 'MQIsdp', protocolVersion: 3 }),
      'a client id beyond ASCII': gen({ ...base, clientId: 'gerät' }),
      'a username with a control character': gen({ ...base, username: 'u\u0001@t' }),
      'the bridge bit': (() => {
        const f = gen(base);
        f[8] = (f[8] as number) | 0x80;
        return f;
      })(),
      'the reserved connect flag': (() => {
        const f = gen(base);
        f[9] = (f[9] as number) | 0x01;
        return f;
      })(),
      'fixed-header flags': (() => {
        const f = gen(base);
        f[0] = 0x12;
        return f;
      })(),
      'a byte after the password': (() => {
        const f = gen(base);
        const g = Buffer.concat([f, Buffer.from([0x61])]);
        g[1] = (g[1] as number) + 1;
        return g;
      })(),
      'a password without a username': (() => {
        const f = gen({ ...base, username: undefined, password: undefined });
        // Password flag on, and two length bytes plus "pw" after the client id.
        const g = Buffer.concat([f, Buffer.from([0, 2, 0x70, 0x77])]);
        g[1] = (g[1] as number) + 4;
        g[9] = (g[9] as number) | 0x40;
        return g;
      })(),
    };
    for (const [what, frame] of Object.entries(declined)) {
      assert.equal(decodeConnect(frame), undefined, `${what}: declined`);
      const expected = reference(frame, 4);
      const got = new PacketDecoder().decode(frame);
      if (expected.error !== undefined) assert.equal(got.kind, 'malformed', `${what}: malformed on the parser's path too`);
      else assertSamePacket(packetOf(got), expected.packet as Packet, `${what}: the parser's packet`);
    }
    assert.equal(new PacketDecoder().decode(declined['the reserved connect flag']!).kind, 'malformed', 'MQTT-3.1.2-3');
    assert.equal(new PacketDecoder().decode(declined['a client id beyond ASCII']!).kind, 'packet', 'UTF-8 client ids still connect');
  });
});

describe('malformed PUBLISH, on the direct path and on the mqtt-packet path', () => {
  /** A PUBLISH frame from its first byte and body (Remaining Length under 128). */
  const frame = (first: number, ...body: number[]): Buffer => Buffer.from([first, body.length, ...body]);
  const topicBytes = (bytes: number[]): number[] => [0, bytes.length, ...bytes];
  /** Topic Alias 1: a property set that sends an MQTT 5 PUBLISH to mqtt-packet. */
  const ALIAS = [3, 0x23, 0, 1];

  const ILL_FORMED = 'ill-formed UTF-8 string';
  const badTopics: { name: string; bytes: number[]; reason: string }[] = [
    { name: 'invalid UTF-8', bytes: [0x61, 0xc3, 0x28], reason: ILL_FORMED },
    { name: 'a stray continuation byte', bytes: [0x80], reason: ILL_FORMED },
    { name: 'a truncated sequence at the end', bytes: [0x61, 0xe2, 0x82], reason: ILL_FORMED },
    { name: 'overlong "/"', bytes: [0x61, 0xc0, 0xaf], reason: ILL_FORMED },
    { name: 'overlong U+0000', bytes: [0x61, 0xc0, 0x80], reason: ILL_FORMED },
    { name: 'a lone surrogate (U+D800)', bytes: [0x61, 0xed, 0xa0, 0x80], reason: ILL_FORMED },
    { name: 'a code point past U+10FFFF', bytes: [0xf4, 0x90, 0x80, 0x80], reason: ILL_FORMED },
    { name: 'U+0000', bytes: [0x61, 0x00, 0x62], reason: 'NUL in topic name' },
    { name: 'U+0000 after multi-byte characters', bytes: [0xc3, 0xa9, 0x00], reason: 'NUL in topic name' },
  ];

  for (const { name, bytes, reason } of badTopics) {
    it(`a topic with ${name}`, () => {
      const direct: [ProtocolVersion, Buffer][] = [
        [3, frame(0x30, ...topicBytes(bytes), 0x78)],
        [4, frame(0x32, ...topicBytes(bytes), 0, 9, 0x78)],
        [5, frame(0x30, ...topicBytes(bytes), 0, 0x78)],
        [5, frame(0x34, ...topicBytes(bytes), 0, 9, 0, 0x78)],
      ];
      for (const [version, f] of direct) {
        assert.deepEqual(decodePublish(f, version), { kind: 'malformed', reason }, `direct, MQTT ${version}`);
        assert.deepEqual(connected(version).decode(f), { kind: 'malformed', reason }, `decoder, MQTT ${version}`);
      }
      const viaParser = frame(0x32, ...topicBytes(bytes), 0, 9, ...ALIAS, 0x78);
      assert.equal(decodePublish(viaParser, 5), undefined);
      assert.equal(reference(viaParser, 5).error, undefined, 'mqtt-packet alone takes it');
      assert.deepEqual(connected(5).decode(viaParser), { kind: 'malformed', reason }, 'MQTT 5 with properties, through mqtt-packet');
    });
  }

  it('both QoS bits set (MQTT-3.3.1-4)', () => {
    for (const version of [3, 4, 5] as const) {
      const f = frame(0x36, ...topicBytes([0x61]), 0, 1, ...(version === 5 ? ALIAS : []), 0x78);
      const expected = { kind: 'malformed', reason: 'PUBLISH with both QoS bits set' };
      assert.deepEqual(decodePublish(f, version), expected);
      assert.deepEqual(connected(version).decode(f), expected);
      assert.equal(reference(f, version).error, 'Packet must not have both QoS bits set to 1');
    }
  });

  it('a topic running past the packet, or no room for its length', () => {
    for (const version of [3, 4, 5] as const) {
      const pastEnd = frame(0x30, 0, 10, 0x61, 0x62, 0x63);
      const noLength = frame(0x30, 0);
      const empty = frame(0x30);
      for (const [f, reason] of [
        [pastEnd, 'PUBLISH topic runs past the packet'],
        [noLength, 'PUBLISH without a topic length'],
        [empty, 'PUBLISH without a topic length'],
      ] as const) {
        assert.deepEqual(decodePublish(f, version), { kind: 'malformed', reason });
        assert.deepEqual(connected(version).decode(f), { kind: 'malformed', reason });
        assert.equal(reference(f, version).error, 'Cannot parse topic');
      }
    }
  });

  it('QoS 1 or 2 without a whole packet identifier (MQTT 5.0 3.3.2.2)', () => {
    const reason = 'PUBLISH of QoS 1 or 2 without a packet identifier';
    for (const version of [3, 4, 5] as const) {
      for (const f of [frame(0x32, ...topicBytes([0x61])), frame(0x34, ...topicBytes([0x61]), 0x07)]) {
        assert.deepEqual(decodePublish(f, version), { kind: 'malformed', reason });
        assert.deepEqual(connected(version).decode(f), { kind: 'malformed', reason });
        // mqtt-packet alone lets some of these through with no usable identifier (-1).
        const ref = reference(f, version);
        const id = ref.packet?.messageId;
        assert.ok(ref.error !== undefined || (id !== undefined && (id < 1 || id > 65535)));
      }
    }
  });
});

describe('direct CONNACK encoding (MQTT 3.1 and 3.1.1)', () => {
  it('every return code, with and without Session Present, is the bytes mqtt-packet writes', () => {
    for (const version of [3, 4] as const) {
      for (const returnCode of [0, 1, 2, 3, 4, 5]) {
        for (const sessionPresent of [false, true]) {
          const p = { cmd: 'connack', returnCode, sessionPresent } as Packet;
          const direct = encodeConnack(p, version);
          assert.deepEqual(direct, mqttPacket.generate(p, { protocolVersion: version }), `v${version} rc ${returnCode} sp ${sessionPresent}`);
          assert.deepEqual(encode(p, version), direct);
        }
      }
    }
  });

  it('leaves MQTT 5 and anything else to mqtt-packet', () => {
    assert.equal(encodeConnack({ cmd: 'connack', reasonCode: 0, sessionPresent: false } as Packet, 5), undefined);
    assert.equal(encodeConnack({ cmd: 'puback', messageId: 1 } as Packet, 4), undefined);
    assert.equal(encodeConnack({ cmd: 'connack', returnCode: 256, sessionPresent: false } as Packet, 4), undefined);
  });
});

describe('direct acknowledgement encoding', () => {
  const TYPE = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;
  /** Reason codes each packet may carry in MQTT 5.0 (3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1). */
  const CODES = {
    puback: [0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
    pubrec: [0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
    pubrel: [0x92],
    pubcomp: [0x92],
  } as const;
  const IDS = [0, 1, 2, 127, 128, 255, 256, 258, 4660, 65534, 65535];

  for (const version of [3, 4, 5] as const) {
    it(`MQTT ${version}: the expected bytes, parsed back by mqtt-packet to the same packet`, () => {
      let checked = 0;
      for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
        for (const messageId of IDS) {
          const codes: (number | undefined)[] = version === 5 ? [undefined, 0, ...CODES[cmd]] : [undefined];
          for (const reasonCode of codes) {
            const packet = (reasonCode === undefined ? { cmd, messageId } : { cmd, messageId, reasonCode }) as Packet;
            const bytes = encode(packet, version);
            const code = reasonCode ?? 0;
            const expected = code === 0 ? [TYPE[cmd], 2, messageId >> 8, messageId & 0xff] : [TYPE[cmd], 3, messageId >> 8, messageId & 0xff, code];
            assert.deepEqual([...bytes], expected, `${cmd} ${messageId} ${reasonCode}`);
            assert.deepEqual(encodeAck(packet, version), bytes);
            const back = reference(bytes, version);
            assert.equal(back.error, undefined);
            const parsed = back.packet as Packet & { reasonCode?: number };
            assert.equal(parsed.cmd, cmd);
            assert.equal(parsed.messageId, messageId);
            assert.equal(parsed.reasonCode, version === 5 ? code : undefined);
            // Where mqtt-packet writes the short form itself, the bytes are the same.
            if (version !== 5 || reasonCode === 0) assert.deepEqual(bytes, mqttPacket.generate(packet, { protocolVersion: version }));
            checked++;
          }
        }
      }
      assert.equal(checked, version === 5 ? 4 * IDS.length * 2 + IDS.length * (8 + 8 + 1 + 1) : 4 * IDS.length);
    });
  }

  it('leaves properties, DUP and out-of-range values to mqtt-packet, which encodes them as before', () => {
    const others: [Packet, ProtocolVersion][] = [
      [{ cmd: 'puback', messageId: 5, reasonCode: 0x10, properties: { reasonString: 'no one listens' } }, 5],
      [{ cmd: 'pubrec', messageId: 5, properties: {} }, 5],
      [{ cmd: 'pubrel', messageId: 5, reasonCode: 0, properties: { userProperties: { a: 'b' } } }, 5],
      [{ cmd: 'pingresp' }, 4],
      [{ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, messageId: 3, dup: false, retain: false }, 4],
      [{ cmd: 'suback', messageId: 3, granted: [0, 1] }, 4],
    ];
    for (const [packet, version] of others) {
      assert.equal(encodeAck(packet, version), undefined, packet.cmd);
      assert.deepEqual(encode(packet, version), mqttPacket.generate(packet, { protocolVersion: version }), packet.cmd);
    }
    for (const packet of [
      { cmd: 'puback', messageId: 65536 },
      { cmd: 'puback', messageId: -1 },
      { cmd: 'puback', messageId: 1.5 },
      { cmd: 'puback', messageId: 1, reasonCode: 256 },
      { cmd: 'pubcomp', messageId: 1, dup: true },
    ] as Packet[]) {
      assert.equal(encodeAck(packet, 5), undefined, JSON.stringify(packet));
    }
  });
});
