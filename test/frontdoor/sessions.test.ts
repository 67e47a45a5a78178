/**
 * What the front door refuses and when it ends a session, on the wire, in MQTT 3.1.1 and 5.0:
 * CONNACK codes for wrong, unknown, suspended, revoked and missing credentials; malformed,
 * oversized and missing CONNECT packets; publishes and subscriptions outside 1/KP; 1/KP errors
 * for unknown extensions and tokens; live revocation of credentials and tokens through the REST
 * API; session take-over; 9/ELCE connectivity events; a per-tenant policy made stricter in the
 * configuration file while anonymous sessions are connected.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  decodeConnectedEvent,
  decodeDisconnectedEvent,
  elceConnectedSubject,
  elceDisconnectedSubject,
  type ConnectedEvent,
  type Subscription,
} from '../../transports/bus/index.js';
import type { Packet } from '../../transports/mqtt/index.js';
import { shardOf } from '../../runtime/index.js';
import { SESSION } from '../../actors/frontdoor/protocol.js';
import { startTestPlatform, type TestPlatform } from '../credentials/harness.js';
import {
  closed,
  connackCode,
  connectMqtt,
  PASSWORD,
  provisionClient,
  provisionToken,
  RawClient,
  request,
  serverDisconnect,
  setCredentialState,
  setTokenStatus,
  until,
} from './kpc-harness.js';

const OPEN_POLICY = 'auth:\n  tenants:\n    open:\n      tcp: { basic: optional, anonymous: true }\n';
const STRICT_POLICY = 'auth:\n  tenants:\n    open:\n      tcp: { basic: required }\n';
const CONNECT_TIMEOUT_MS = 4000;

type Versions = 4 | 5;
const VERSIONS: readonly Versions[] = [4, 5];
const vname = (v: Versions): string => (v === 5 ? 'MQTT 5' : 'MQTT 3.1.1');

describe('front door sessions: refusals, revocation, take-over, ELCE, policy', () => {
  let tp: TestPlatform;
  let dir: string;
  let policyFile: string;
  let port: number;
  let seq = 0;
  const id = (prefix: string): string => `${prefix}-${++seq}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetgate-kpc-policy-'));
    policyFile = join(dir, 'kpc.yaml');
    writeFileSync(policyFile, OPEN_POLICY);
    tp = await startTestPlatform(
      { 'mqtt.tcp.port': 0, 'mqtt.maxPacketBytes': 512, 'mqtt.connectTimeoutMs': CONNECT_TIMEOUT_MS, 'kpc.configFile': policyFile },
      undefined,
      { trustedHeaders: true },
    );
    port = tp.platform.mqttPort as number;
    await provisionClient(tp, 'dev');
  });

  after(async () => {
    await tp?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const connectRaw = async (v: Versions, username = 'dev@acme', password: string | undefined = PASSWORD): Promise<RawClient> => {
    const { client, connack } = await RawClient.connect(port, v, { clientId: id('raw'), username, ...(password === undefined ? {} : { password }) });
    assert.equal(connackCode(connack), 0, `CONNACK ${JSON.stringify(connack)}`);
    return client;
  };

  /** The next `count` packets; QoS 1 publishes are acknowledged as they come. */
  const packets = async (c: RawClient, count: number): Promise<Packet[]> => {
    const out: Packet[] = [];
    while (out.length < count) {
      const p = await c.next();
      if (p.cmd === 'publish' && (p as { qos: number }).qos === 1) c.send({ cmd: 'puback', messageId: (p as { messageId: number }).messageId } as Packet);
      out.push(p);
    }
    return out;
  };

  /** Still open: a PINGREQ is answered. */
  const alive = async (c: RawClient): Promise<void> => {
    c.send({ cmd: 'pingreq' } as Packet);
    assert.equal((await c.next()).cmd, 'pingresp');
  };

  describe('CONNACK refusals', () => {
    const expectRefused = async (v: Versions, username: string | undefined, password: string | undefined, code4: number, code5: number): Promise<void> => {
      const { client, connack } = await RawClient.connect(port, v, {
        clientId: id('refused'),
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
      });
      assert.deepEqual(
        v === 5 ? { cmd: connack.cmd, reasonCode: connackCode(connack), sessionPresent: (connack as { sessionPresent: boolean }).sessionPresent } : { cmd: connack.cmd, returnCode: connackCode(connack), sessionPresent: (connack as { sessionPresent: boolean }).sessionPresent },
        v === 5 ? { cmd: 'connack', reasonCode: code5, sessionPresent: false } : { cmd: 'connack', returnCode: code4, sessionPresent: false },
      );
      assert.deepEqual(await client.untilClosed(), [], 'nothing after the refusal, then closed');
    };

    for (const v of VERSIONS) {
      it(`${vname(v)}: wrong password -> ${v === 5 ? '0x86' : '4'}`, () => expectRefused(v, 'dev@acme', 'not-the-password', 4, 0x86));
      it(`${vname(v)}: unknown tenant -> ${v === 5 ? '0x86' : '4'}`, () => expectRefused(v, 'dev@nowhere', PASSWORD, 4, 0x86));
      it(`${vname(v)}: no credentials on TCP -> ${v === 5 ? '0x87' : '5'}`, () => expectRefused(v, undefined, undefined, 5, 0x87));
    }

    for (const state of ['Suspended', 'Revoked'] as const) {
      it(`a ${state.toLowerCase()} credential -> 5 (3.1.1) / 0x87 (5)`, async () => {
        const username = id(state.toLowerCase());
        const credId = await provisionClient(tp, username);
        const first = await connectRaw(5, `${username}@acme`);
        first.send({ cmd: 'disconnect' } as Packet);
        await first.untilClosed();
        await setCredentialState(tp, credId, state);
        for (const v of VERSIONS) await expectRefused(v, `${username}@acme`, PASSWORD, 5, 0x87);
      });
    }
  });

  describe('malformed, oversized and missing packets', () => {
    it('garbage instead of CONNECT: closed, nothing written', async () => {
      const c = await RawClient.open(port, 4);
      c.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
      assert.deepEqual(await c.untilClosed(), []);
    });

    it('a CONNECT with an impossible remaining length: closed, nothing written', async () => {
      const c = await RawClient.open(port, 4);
      c.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]));
      assert.deepEqual(await c.untilClosed(), []);
    });

    for (const v of VERSIONS) {
      it(`${vname(v)}: a malformed packet after CONNECT -> ${v === 5 ? 'DISCONNECT 0x81' : 'closed'}`, async () => {
        const c = await connectRaw(v);
        c.write(Buffer.from([0x36, 0x00])); // PUBLISH with QoS 3 (MQTT-3.3.1-4)
        const got = await c.untilClosed();
        if (v === 5) assert.deepEqual(got.map((p) => [p.cmd, (p as { reasonCode?: number }).reasonCode]), [['disconnect', 0x81]]);
        else assert.deepEqual(got, []);
      });

      it(`${vname(v)}: a packet over mqtt.maxPacketBytes -> ${v === 5 ? 'DISCONNECT 0x95' : 'closed'}`, async () => {
        const c = await connectRaw(v);
        c.send({ cmd: 'publish', topic: `kp1/demo-v1/echo/tok/big/1`, payload: Buffer.alloc(2000, 0x61), qos: 1, messageId: 1, retain: false, dup: false } as Packet);
        const got = await c.untilClosed();
        if (v === 5) assert.deepEqual(got.map((p) => [p.cmd, (p as { reasonCode?: number }).reasonCode]), [['disconnect', 0x95]]);
        else assert.deepEqual(got, []);
      });
    }

    it('a CONNECT that never comes: closed after mqtt.connectTimeoutMs, nothing written', async () => {
      const c = await RawClient.open(port, 4);
      // The server closes it (the deadline itself is tested on a fake clock in test/mqtt).
      assert.deepEqual(await c.untilClosed(CONNECT_TIMEOUT_MS * 10), []);
    });
  });

  describe('publishes and subscriptions outside 1/KP', () => {
    it('MQTT 5: a publish to a non-kp1 topic -> PUBACK 0x90, session stays', async () => {
      const c = await connectRaw(5);
      c.send({ cmd: 'publish', topic: 'devices/42/telemetry', payload: Buffer.from('x'), qos: 1, messageId: 7, retain: false, dup: false } as Packet);
      const [ack] = await packets(c, 1);
      assert.deepEqual([ack!.cmd, (ack as { messageId: number }).messageId, (ack as { reasonCode: number }).reasonCode], ['puback', 7, 0x90]);
      await alive(c);
      c.destroy();
    });

    it('MQTT 3.1.1: a publish to a non-kp1 topic closes the connection', async () => {
      const c = await connectRaw(4);
      c.send({ cmd: 'publish', topic: 'devices/42/telemetry', payload: Buffer.from('x'), qos: 1, messageId: 7, retain: false, dup: false } as Packet);
      const got = await c.untilClosed();
      assert.ok(got.every((p) => p.cmd === 'puback'), JSON.stringify(got));
    });

    for (const v of VERSIONS) {
      it(`${vname(v)}: subscriptions outside kp1 response topics fail in the SUBACK`, async () => {
        const c = await connectRaw(v);
        c.send({
          cmd: 'subscribe',
          messageId: 3,
          subscriptions: [
            { topic: 'kp1/demo-v1/echo/tok/#', qos: 1 },
            { topic: '#', qos: 0 },
            { topic: 'kp1/demo-v1/echo/tok/ping', qos: 1 },
            { topic: 'devices/+/status', qos: 1 },
          ],
        } as Packet);
        const [suback] = await packets(c, 1);
        assert.equal(suback!.cmd, 'suback');
        assert.equal((suback as { messageId: number }).messageId, 3);
        const fail = v === 5 ? 0x87 : 0x80;
        assert.deepEqual((suback as { granted: number[] }).granted, [1, fail, fail, fail]);
        await alive(c);
        c.destroy();
      });
    }
  });

  describe('1/KP errors', () => {
    /** Subscribes to everything under `kp1/demo-v1/`, publishes, and answers the PUBACK
     *  and the message that came back (in whatever order they came). */
    const publishAndCollect = async (c: RawClient, topic: string): Promise<{ puback: Packet; message: Packet }> => {
      c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'kp1/demo-v1/#', qos: 1 }] } as Packet);
      assert.equal((await packets(c, 1))[0]!.cmd, 'suback');
      c.send({ cmd: 'publish', topic, payload: Buffer.from('{}'), qos: 1, messageId: 2, retain: false, dup: false } as Packet);
      const got = await packets(c, 2);
      const puback = got.find((p) => p.cmd === 'puback');
      const message = got.find((p) => p.cmd === 'publish');
      assert.ok(puback !== undefined && message !== undefined, JSON.stringify(got));
      return { puback, message };
    };
    const errorOf = (p: Packet): unknown => JSON.parse(Buffer.from((p as { payload: Buffer }).payload).toString());

    for (const v of VERSIONS) {
      it(`${vname(v)}: an unknown extension -> /error with statusCode 404`, async () => {
        const c = await connectRaw(v);
        const topic = 'kp1/demo-v1/nope/tok/x/1';
        const { puback, message } = await publishAndCollect(c, topic);
        assert.equal((message as { topic: string }).topic, `${topic}/error`);
        assert.deepEqual(errorOf(message), { statusCode: 404, reasonPhrase: 'unknown extension nope' });
        if (v === 5) assert.equal((puback as { reasonCode: number }).reasonCode, 0x90);
        c.destroy();
      });

      it(`${vname(v)}: an unknown token -> /error with statusCode 401`, async () => {
        const c = await connectRaw(v);
        const topic = 'kp1/demo-v1/echo/no-such-token/ping/1';
        const { puback, message } = await publishAndCollect(c, topic);
        assert.equal((message as { topic: string }).topic, `${topic}/error`);
        assert.deepEqual(errorOf(message), { statusCode: 401, reasonPhrase: 'unknown endpoint token' });
        if (v === 5) assert.equal((puback as { reasonCode: number }).reasonCode, 0x87);
        c.destroy();
      });
    }

    it('a token that is not Active -> /error with statusCode 403, MQTT 5 PUBACK 0x87', async () => {
      const t = await provisionToken(tp, 'ep-not-active');
      const first = await fetch(`${tp.base}/kp1/demo-v1/echo/${t.token}/ping`, { method: 'POST', body: 'first use' });
      assert.equal(first.status, 200);
      await setTokenStatus(tp, t, 'Suspended');
      for (const v of VERSIONS) {
        const c = await connectRaw(v);
        const topic = `kp1/demo-v1/echo/${t.token}/ping/5`;
        const { puback, message } = await publishAndCollect(c, topic);
        assert.equal((message as { topic: string }).topic, `${topic}/error`);
        assert.deepEqual(errorOf(message), { statusCode: 403, reasonPhrase: 'endpoint token is not active' });
        if (v === 5) assert.equal((puback as { reasonCode: number }).reasonCode, 0x87);
        c.destroy();
      }
    });
  });

  describe('live revocation', () => {
    const url = (): string => `mqtt://127.0.0.1:${port}`;

    for (const change of ['Suspended', 'Revoked', 'deleted'] as const) {
      it(`a credential ${change.toLowerCase()} via REST: 3.1.1 sessions closed, MQTT 5 sessions get DISCONNECT 0x87`, async () => {
        const username = id(`live-${change.toLowerCase()}`);
        const credId = await provisionClient(tp, username);
        const c4 = await connectMqtt(url(), { protocolVersion: 4, clientId: id('live4'), username: `${username}@acme`, password: PASSWORD });
        const c5 = await connectMqtt(url(), { protocolVersion: 5, clientId: id('live5'), username: `${username}@acme`, password: PASSWORD });
        const other = await connectMqtt(url(), { protocolVersion: 5, clientId: id('bystander'), username: 'dev@acme', password: PASSWORD });
        const closed4 = closed(c4);
        const disconnect5 = serverDisconnect(c5);
        const closed5 = closed(c5);
        if (change === 'deleted') {
          const r = await tp.api('DELETE', `/api/v1/basic-credentials/${credId}`);
          assert.equal(r.status, 204);
        } else {
          await setCredentialState(tp, credId, change);
        }
        await closed4;
        assert.equal((await disconnect5).reasonCode, 0x87);
        await closed5;
        assert.equal(other.connected, true, 'a session of another credential stays');
        await other.endAsync();
      });
    }

    for (const change of ['Suspended', 'Revoked'] as const) {
      it(`an endpoint token ${change.toLowerCase()} via REST ends the sessions that used it (MQTT 5: DISCONNECT 0x87)`, async () => {
        const t = await provisionToken(tp, id('ep-live'));
        const c4 = await connectMqtt(url(), { protocolVersion: 4, clientId: id('tok4'), username: 'dev@acme', password: PASSWORD });
        const c5 = await connectMqtt(url(), { protocolVersion: 5, clientId: id('tok5'), username: 'dev@acme', password: PASSWORD });
        const unused = await connectMqtt(url(), { protocolVersion: 5, clientId: id('tok-none'), username: 'dev@acme', password: PASSWORD });
        for (const c of [c4, c5]) {
          const topic = `kp1/demo-v1/echo/${t.token}/ping/${++seq}`;
          assert.equal((await request(c, topic, 'use')).payload.toString(), 'use');
        }
        const closed4 = closed(c4);
        const disconnect5 = serverDisconnect(c5);
        await setTokenStatus(tp, t, change);
        await closed4;
        assert.equal((await disconnect5).reasonCode, 0x87);
        assert.equal(unused.connected, true, 'a session that never used the token stays');
        await unused.endAsync();
      });
    }

    it('take-over: the same client id connecting again closes the first (MQTT 5: DISCONNECT 0x8E)', async () => {
      const clientId = id('same');
      const first = await connectMqtt(url(), { protocolVersion: 5, clientId, username: 'dev@acme', password: PASSWORD });
      const disconnect = serverDisconnect(first);
      const second = await connectMqtt(url(), { protocolVersion: 5, clientId, username: 'dev@acme', password: PASSWORD });
      assert.equal((await disconnect).reasonCode, 0x8e);
      await closed(first);
      const t = await provisionToken(tp, id('ep-takeover'));
      const topic = `kp1/demo-v1/echo/${t.token}/ping/1`;
      assert.equal((await request(second, topic, 'still here')).payload.toString(), 'still here', 'the second connection works');
      await second.endAsync();
    });

    it('take-over in MQTT 3.1.1: the first connection is closed', async () => {
      const clientId = id('same4');
      const first = await connectMqtt(url(), { protocolVersion: 4, clientId, username: 'dev@acme', password: PASSWORD });
      const firstClosed = closed(first);
      const second = await connectMqtt(url(), { protocolVersion: 4, clientId, username: 'dev@acme', password: PASSWORD });
      await firstClosed;
      assert.equal(second.connected, true);
      await second.endAsync();
    });

    it('a client of another tenant with the same client id takes nothing over', async () => {
      const clientId = id('shared-id');
      const acme = await connectMqtt(url(), { protocolVersion: 5, clientId, username: 'dev@acme', password: PASSWORD });
      let ended = false;
      acme.on('disconnect', () => (ended = true));
      acme.on('close', () => (ended = true));
      const other = await connectMqtt(url(), { protocolVersion: 5, clientId, username: 'someone@open' });
      // acme's session still answers after the other tenant's CONNACK: it was not taken over.
      const t = await provisionToken(tp, id('ep-shared'));
      const topic = `kp1/demo-v1/echo/${t.token}/ping/1`;
      assert.equal((await request(acme, topic, 'mine')).payload.toString(), 'mine');
      assert.equal(ended, false);
      assert.equal(other.connected, true);
      await other.endAsync();
      await acme.endAsync();
    });
  });

  describe('9/ELCE', () => {
    it('connected after the first token use, disconnected on close, with {endpointId: appVersion}', async () => {
      const connected: ConnectedEvent[] = [];
      const disconnected: ConnectedEvent[] = [];
      const instance = tp.config['kpc.instanceName'];
      const subs: Subscription[] = [
        tp.platform.bus.subscribe(elceConnectedSubject(instance), (m) => connected.push(decodeConnectedEvent(m.data))),
        tp.platform.bus.subscribe(elceDisconnectedSubject(instance), (m) => disconnected.push(decodeDisconnectedEvent(m.data))),
      ];
      try {
        const endpointId = id('ep-elce');
        const t = await provisionToken(tp, endpointId);
        const c = await connectMqtt(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, clientId: id('elce'), username: 'dev@acme', password: PASSWORD });
        await tp.platform.bus.flush();
        const ours = (events: ConnectedEvent[]): ConnectedEvent[] => events.filter((e) => endpointId in e.endpoints);
        assert.deepEqual(ours(connected), [], 'nothing before a token is used');
        for (let i = 1; i <= 2; i++) await request(c, `kp1/demo-v1/echo/${t.token}/ping/${i}`, 'x');
        await until(() => ours(connected).length > 0, 'the connected event');
        assert.equal(ours(connected).length, 1, 'one event per endpoint, not per message');
        assert.deepEqual(ours(connected)[0]!.endpoints, { [endpointId]: 'demo-v1' });
        assert.equal(ours(connected)[0]!.originatorReplicaId, tp.config['service.replicaId']);
        assert.deepEqual(ours(disconnected), []);
        await c.endAsync();
        await until(() => ours(disconnected).length > 0, 'the disconnected event');
        assert.deepEqual(ours(disconnected)[0]!.endpoints, { [endpointId]: 'demo-v1' });
      } finally {
        for (const s of subs) s.unsubscribe();
      }
    });
  });

  describe('per-tenant policy', () => {
    it('an extension taken out of the configuration is refused at once, also on a topic the connection relayed before', async () => {
      const token = await provisionToken(tp, 'ep-reload');
      const c = await connectMqtt(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, clientId: id('reload'), username: 'dev@acme', password: PASSWORD });
      const topic = `kp1/demo-v1/echo/${token.token}/ping/7`;
      try {
        // MQTT 3.1.1: the refusal is the /error answer alone (5 would also fail the PUBACK).
        // The second request goes by the connection thread's fast path (the token was validated).
        for (const n of [1, 2]) assert.equal((await request(c, topic, `before ${n}`)).topic, `${topic}/status`);
        writeFileSync(policyFile, `${OPEN_POLICY}extensions:\n  dcx: { endpointAware: true }\n`);
        // What SIGHUP does: every shard re-reads the file now, not at its next poll (1 s).
        assert.deepEqual(await tp.platform.reload(), { reloaded: [0, 1], failed: [], unanswered: [] });
        const answer = await request(c, topic, 'after');
        assert.equal(answer.topic, `${topic}/error`);
        assert.deepEqual(JSON.parse(answer.payload.toString()), { statusCode: 404, reasonPhrase: 'unknown extension echo' });
      } finally {
        writeFileSync(policyFile, OPEN_POLICY);
        await tp.platform.reload();
        await c.endAsync();
      }
      // Back in the configuration: served again.
      const again = await connectMqtt(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, clientId: id('reload-again'), username: 'dev@acme', password: PASSWORD });
      try {
        assert.equal((await request(again, topic, 'back')).topic, `${topic}/status`);
      } finally {
        await again.endAsync();
      }
    });

    it('anonymous sessions of a tenant are disconnected when its policy comes to require basic auth', async () => {
      const url = `mqtt://127.0.0.1:${port}`;
      const anon5 = await connectMqtt(url, { protocolVersion: 5, clientId: id('anon5'), username: 'x@open' });
      const anon4 = await connectMqtt(url, { protocolVersion: 4, clientId: id('anon4'), username: 'y@open' });
      const acme = await connectMqtt(url, { protocolVersion: 5, clientId: id('acme'), username: 'dev@acme', password: PASSWORD });
      const disconnect5 = serverDisconnect(anon5, 15_000);
      const closed4 = closed(anon4, 15_000);
      writeFileSync(policyFile, STRICT_POLICY);
      await tp.platform.reload();
      assert.equal((await disconnect5).reasonCode, 0x87);
      await closed4;
      assert.equal(acme.connected, true, 'an authenticated session of another tenant stays');
      await acme.endAsync();
      // Both shards have re-read the file: a new anonymous CONNECT is refused whichever shard
      // its session actor lives on (two client ids that land on each).
      const again = Array.from({ length: 40 }, (_, n) => id(`anon-again-${n}`));
      const onShard = (s: number): string[] => again.filter((c) => shardOf(SESSION, c, 2) === s).slice(0, 2);
      for (const clientId of [...onShard(0), ...onShard(1)]) {
        const { client, connack } = await RawClient.connect(port, 5, { clientId, username: 'x@open' });
        assert.equal(connackCode(connack), 0x87, 'a new anonymous CONNECT is refused');
        await client.untilClosed();
      }
    });

    it('GET /kpc/api/v1/server-certificate without TLS: 404 problem', async () => {
      const r = await fetch(`${tp.base}/kpc/api/v1/server-certificate`);
      assert.equal(r.status, 404);
      assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(((await r.json()) as { detail: string }).detail, 'MQTT over TLS is not configured on this instance');
    });
  });
});
