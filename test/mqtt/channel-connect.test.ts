/**
 * The channel's CONNECT handling, both protocol versions, with the exact CONNACK written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADVERTISED, ChannelHarness, connectPacket, T0 } from './channel-harness.js';

describe('channel: CONNECT', () => {
  it('3.1.1: asks the host, then writes CONNACK 0 and opens the session', () => {
    const h = new ChannelHarness();
    h.packet(connectPacket(4, { username: 'dev@tenant', password: Buffer.from('pw') }));
    assert.deepEqual(h.out, []);
    assert.deepEqual(h.effects, [
      {
        type: 'authenticate',
        id: 1,
        request: {
          clientId: 'device-1',
          clientIdAssigned: false,
          username: 'dev@tenant',
          password: Buffer.from('pw'),
          protocolVersion: 4,
          cleanStart: true,
          keepAlive: 60,
          certificate: undefined,
          will: undefined,
        },
      },
    ]);
    h.take();
    h.feed({ type: 'authenticated', id: 1, result: { ok: true } });
    assert.deepEqual(h.out, [{ cmd: 'connack', sessionPresent: false, returnCode: 0 }]);
    assert.deepEqual(h.effects, [{ type: 'open', info: { clientId: 'device-1', username: 'dev@tenant', protocolVersion: 4, keepAlive: 60 } }]);
    assert.equal(h.state?.phase, 'connected');
  });

  it('5.0: CONNACK 0x00 advertises the server limits', () => {
    const h = new ChannelHarness();
    h.packet(connectPacket(5));
    h.feed({ type: 'authenticated', id: h.lastId('authenticate'), result: { ok: true } });
    assert.deepEqual(h.out, [{ cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: ADVERTISED }]);
  });

  it('5.0: an empty client id is assigned and returned; an expiry asked for is answered 0', () => {
    const h = new ChannelHarness();
    h.packet(connectPacket(5, { clientId: '', clean: false, properties: { sessionExpiryInterval: 3600 } }));
    const auth = h.effects[0];
    assert.ok(auth?.type === 'authenticate');
    assert.equal(auth.request.clientId, 'auto-1');
    assert.equal(auth.request.clientIdAssigned, true);
    assert.equal(auth.request.cleanStart, false);
    h.feed({ type: 'authenticated', id: auth.id, result: { ok: true } });
    assert.deepEqual(h.out, [
      {
        cmd: 'connack',
        sessionPresent: false,
        reasonCode: 0,
        properties: { ...ADVERTISED, sessionExpiryInterval: 0, assignedClientIdentifier: 'auto-1' },
      },
    ]);
  });

  it('5.0: Keep Alive above the cap (or 0) is answered with Server Keep Alive', () => {
    for (const asked of [0, 3600]) {
      const h = new ChannelHarness({ limits: { maxKeepAlive: 300 } });
      h.packet(connectPacket(5, { keepalive: asked }));
      h.feed({ type: 'authenticated', id: h.lastId('authenticate'), result: { ok: true } });
      assert.deepEqual(h.out, [{ cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: { ...ADVERTISED, serverKeepAlive: 300 } }]);
      assert.equal(h.deadline(), T0 + 450_000);
    }
  });

  it('3.1.1: refused by the host with 0x86 / 0x87 -> return codes 4 / 5, then shut down', () => {
    for (const [rc, code] of [
      [0x86, 4],
      [0x87, 5],
    ] as const) {
      const h = new ChannelHarness();
      h.packet(connectPacket(4));
      h.feed({ type: 'authenticated', id: 1, result: { ok: false, reasonCode: rc } });
      assert.deepEqual(h.out, [{ cmd: 'connack', sessionPresent: false, returnCode: code }]);
      assert.deepEqual(h.shutdown, { reasonCode: rc, reason: 'refused by authentication', returnCode: code });
      assert.equal(h.state, undefined);
    }
  });

  it('5.0: refused by the host with 0x86 / 0x87 as they are', () => {
    for (const rc of [0x86, 0x87]) {
      const h = new ChannelHarness();
      h.packet(connectPacket(5));
      h.feed({ type: 'authenticated', id: 1, result: { ok: false, reasonCode: rc } });
      assert.deepEqual(h.out, [{ cmd: 'connack', sessionPresent: false, reasonCode: rc }]);
      assert.deepEqual(h.shutdown, { reasonCode: rc, reason: 'refused by authentication' });
    }
  });

  it('the first packet must be CONNECT (MQTT-3.1.0-1): closed without a word', () => {
    const h = new ChannelHarness();
    h.packet({ cmd: 'pingreq' });
    assert.deepEqual(h.out, []);
    assert.deepEqual(h.shutdown, { reasonCode: 0x82, reason: 'pingreq before CONNECT' });
  });

  it('a second CONNECT is a protocol error (MQTT-3.1.0-2): 5.0 DISCONNECT 0x82, 3.1.1 close', () => {
    const v5 = new ChannelHarness().connect(5);
    v5.packet(connectPacket(5));
    assert.deepEqual(v5.out, [{ cmd: 'disconnect', reasonCode: 0x82, properties: { reasonString: 'second CONNECT' } }]);
    assert.deepEqual(v5.shutdown, { reasonCode: 0x82, reason: 'second CONNECT' });
    const v4 = new ChannelHarness().connect(4);
    v4.packet(connectPacket(4));
    assert.deepEqual(v4.out, []);
    assert.deepEqual(v4.shutdown, { reasonCode: 0x82, reason: 'second CONNECT' });
  });

  it('an unknown protocol level is answered in the 3.1.1 form, return code 1 (MQTT-3.1.2-2)', () => {
    const h = new ChannelHarness();
    h.feed({ type: 'unsupported-version', level: 6, now: h.now });
    assert.equal(h.version, 4);
    assert.deepEqual(h.out, [{ cmd: 'connack', sessionPresent: false, returnCode: 1 }]);
    assert.deepEqual(h.shutdown, { reasonCode: 0x84, reason: 'protocol level 6', returnCode: 1 });
  });

  it('a protocol name that does not match the level is refused: 0x84 / return code 1', () => {
    const v5 = new ChannelHarness();
    v5.packet(connectPacket(5, { protocolId: 'MQIsdp' }));
    assert.deepEqual(v5.out, [{ cmd: 'connack', sessionPresent: false, reasonCode: 0x84 }]);
    const v3 = new ChannelHarness();
    v3.packet(connectPacket(3, { protocolId: 'MQTT' }));
    assert.deepEqual(v3.out, [{ cmd: 'connack', sessionPresent: false, returnCode: 1 }]);
  });

  it('MQTT 3.1 (MQIsdp) is spoken, as 3.1.1', () => {
    const h = new ChannelHarness();
    h.packet(connectPacket(3));
    h.feed({ type: 'authenticated', id: 1, result: { ok: true } });
    assert.deepEqual(h.out, [{ cmd: 'connack', sessionPresent: false, returnCode: 0 }]);
  });

  it('client identifiers: 3.1.1 empty with CleanSession 0 -> 2 (MQTT-3.1.3-8); too long -> 2 / 0x85', () => {
    const empty = new ChannelHarness();
    empty.packet(connectPacket(4, { clientId: '', clean: false }));
    assert.deepEqual(empty.out, [{ cmd: 'connack', sessionPresent: false, returnCode: 2 }]);
    assert.deepEqual(empty.effects, []);

    const clean = new ChannelHarness();
    clean.packet(connectPacket(4, { clientId: '' }));
    const auth = clean.effects[0];
    assert.ok(auth?.type === 'authenticate');
    assert.equal(auth.request.clientId, 'auto-1');

    const long = new ChannelHarness({ limits: { maxClientIdLength: 23 } });
    long.packet(connectPacket(5, { clientId: 'x'.repeat(24) }));
    assert.deepEqual(long.out, [{ cmd: 'connack', sessionPresent: false, reasonCode: 0x85 }]);
  });

  it('5.0: enhanced authentication is refused with 0x8C, a repeated property with 0x82', () => {
    const auth = new ChannelHarness();
    auth.packet(connectPacket(5, { properties: { authenticationMethod: 'SCRAM-SHA-1' } }));
    assert.deepEqual(auth.out, [{ cmd: 'connack', sessionPresent: false, reasonCode: 0x8c }]);
    const twice = new ChannelHarness();
    twice.packet(connectPacket(5, { properties: { receiveMaximum: [5, 6] as unknown as number } }));
    assert.deepEqual(twice.out, [{ cmd: 'connack', sessionPresent: false, reasonCode: 0x82 }]);
    const zero = new ChannelHarness();
    zero.packet(connectPacket(5, { properties: { maximumPacketSize: 0 } }));
    assert.deepEqual(zero.out, [{ cmd: 'connack', sessionPresent: false, reasonCode: 0x82 }]);
  });

  it('wills: 5.0 retained will refused with 0x9A (MQTT-3.2.2-13); a wildcard will topic with 0x90', () => {
    const retained = new ChannelHarness();
    retained.packet(connectPacket(5, { will: { topic: 'a/b', payload: Buffer.from('x'), qos: 0, retain: true } }));
    assert.deepEqual(retained.out, [{ cmd: 'connack', sessionPresent: false, reasonCode: 0x9a }]);
    const wild = new ChannelHarness();
    wild.packet(connectPacket(5, { will: { topic: 'a/+', payload: Buffer.from('x'), qos: 0, retain: false } }));
    assert.deepEqual(wild.out, [{ cmd: 'connack', sessionPresent: false, reasonCode: 0x90 }]);
    const wild4 = new ChannelHarness();
    wild4.packet(connectPacket(4, { will: { topic: 'a/#', payload: Buffer.from('x'), qos: 0, retain: false } }));
    assert.deepEqual(wild4.out, []);
    assert.deepEqual(wild4.shutdown, { reasonCode: 0x81, reason: 'will topic: wildcard-in-name' });
  });

  it('a TLS certificate that failed verification is refused without asking the host', () => {
    const h = new ChannelHarness({ certificateError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    h.packet(connectPacket(4));
    assert.deepEqual(h.effects, []);
    assert.deepEqual(h.out, [{ cmd: 'connack', sessionPresent: false, returnCode: 5 }]);
  });

  it('CONNECT deadline: no CONNECT in time closes silently', () => {
    const h = new ChannelHarness({ limits: { connectTimeoutMs: 10_000 } });
    assert.equal(h.deadline(), T0 + 10_000);
    h.advance(9_999);
    assert.equal(h.shutdown, undefined);
    h.advance(1);
    assert.deepEqual(h.out, []);
    assert.deepEqual(h.shutdown, { reasonCode: 0x8d, reason: 'no CONNECT in time' });
  });

  it('CONNECT deadline: a host that does not answer in time -> server unavailable (3 / 0x88)', () => {
    const v4 = new ChannelHarness();
    v4.packet(connectPacket(4));
    v4.take();
    v4.advance(10_000);
    assert.deepEqual(v4.out, [{ cmd: 'connack', sessionPresent: false, returnCode: 3 }]);
    const v5 = new ChannelHarness();
    v5.packet(connectPacket(5));
    v5.take();
    v5.advance(10_000);
    assert.deepEqual(v5.out, [{ cmd: 'connack', sessionPresent: false, reasonCode: 0x88 }]);
    assert.deepEqual(v5.shutdown, { reasonCode: 0x88, reason: 'authentication timed out' });
  });

  it('3.1.1: a password without a user name is malformed (MQTT-3.1.2-22); 5.0 allows it', () => {
    const v4 = new ChannelHarness();
    v4.packet(connectPacket(4, { password: Buffer.from('pw') }));
    assert.deepEqual(v4.shutdown, { reasonCode: 0x81, reason: 'password without user name' });
    const v5 = new ChannelHarness();
    v5.packet(connectPacket(5, { password: Buffer.from('pw') }));
    assert.equal(v5.state?.phase, 'authenticating');
  });

  it('a refusal code a CONNACK cannot carry is misuse by the host: TypeError', () => {
    const h = new ChannelHarness();
    h.packet(connectPacket(5));
    assert.throws(() => h.feed({ type: 'authenticated', id: 1, result: { ok: false, reasonCode: 0x8e } }), TypeError);
    assert.throws(() => h.feed({ type: 'authenticated', id: 1, result: { ok: false, reasonCode: 0x00 } }), TypeError);
  });

  it('an answer for another authentication is ignored', () => {
    const h = new ChannelHarness();
    h.packet(connectPacket(4));
    h.take();
    h.feed({ type: 'authenticated', id: 99, result: { ok: true } });
    assert.deepEqual(h.out, []);
    assert.equal(h.state?.phase, 'authenticating');
  });
});
