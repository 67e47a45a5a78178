/**
 * The front door deployed apart from the credential services (`kpc.credentials: bus`): client
 * authentication goes over the bus as 22/CAP basic requests and endpoint tokens as 16/ECAP
 * requests, answered by the credential services' responders. The test watches both subjects to
 * see that the decisions did take that path, and checks the same echo round trip and refusals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  capBasicRequestSubject,
  encodeClientCredentialsRevokedEvent,
  eventSubject,
  decodeClientBasicAuthenticationRequest,
  decodeEndpointTokenValidationRequest,
  ecapTokenRequestSubject,
  type Subscription,
} from '../../transports/bus/index.js';
import { startTestPlatform, type TestPlatform } from '../credentials/harness.js';
import { connackCode, connectMqtt, nextMessage, PASSWORD, provisionClient, provisionToken, RawClient, request } from './kpc-harness.js';

describe('kpc.credentials: bus (22/CAP and 16/ECAP over the bus)', () => {
  let tp: TestPlatform;
  const capUsers: string[] = [];
  const ecapApps: string[] = [];
  const subs: Subscription[] = [];

  before(async () => {
    tp = await startTestPlatform({ 'mqtt.tcp.port': 0, 'kpc.credentials': 'bus' }, undefined, { trustedHeaders: true });
    // Plain subscribers beside the responders: they see every request, answer none.
    subs.push(tp.platform.bus.subscribe(capBasicRequestSubject(tp.config['ccm.instanceName']), (m) => capUsers.push(decodeClientBasicAuthenticationRequest(m.data).username)));
    subs.push(tp.platform.bus.subscribe(ecapTokenRequestSubject(tp.config['cm.instanceName']), (m) => ecapApps.push(decodeEndpointTokenValidationRequest(m.data).appName)));
    await provisionClient(tp, 'bus-dev');
  });

  after(async () => {
    for (const s of subs) s.unsubscribe();
    await tp?.stop();
  });

  for (const protocolVersion of [4, 5] as const) {
    it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: echo round trip, authenticated over 22/CAP, token validated over 16/ECAP`, async () => {
      const t = await provisionToken(tp, `ep-bus-${protocolVersion}`, 'busapp');
      const before = { cap: capUsers.length, ecap: ecapApps.length };
      const client = await connectMqtt(`mqtt://127.0.0.1:${tp.platform.mqttPort}`, { protocolVersion, clientId: `bus-${protocolVersion}`, username: 'bus-dev@acme', password: PASSWORD });
      try {
        const topic = `kp1/busapp-v2/echo/${t.token}/ping/${protocolVersion}`;
        const got = await request(client, topic, `over the bus ${protocolVersion}`);
        assert.deepEqual([got.topic, got.payload.toString()], [`${topic}/status`, `over the bus ${protocolVersion}`]);
        assert.ok(capUsers.slice(before.cap).includes('bus-dev'), `22/CAP requests: ${JSON.stringify(capUsers)}`);
        assert.ok(ecapApps.slice(before.ecap).includes('busapp'), `16/ECAP requests: ${JSON.stringify(ecapApps)}`);

        const bad = `kp1/busapp-v2/echo/not-a-token/ping/9`;
        await client.subscribeAsync(`${bad}/#`, { qos: 1 });
        const err = nextMessage(client);
        await client.publishAsync(bad, 'x', { qos: 1 }).catch(() => undefined); // MQTT 5 refuses it in the PUBACK
        const e = await err;
        assert.equal(e.topic, `${bad}/error`);
        assert.deepEqual(JSON.parse(e.payload.toString()), { statusCode: 401, reasonPhrase: 'unknown endpoint token' });
      } finally {
        await client.endAsync();
      }
    });
  }

  it('credentials revoked while their check is on its way back: the client does not stay connected', async () => {
    // A fresh credential: its first check is a hash verification and a first-use write, so the
    // revocation event below reaches the session's shard before the (positive) answer does.
    const id = await provisionClient(tp, 'race-dev');
    const watch = tp.platform.bus.subscribe(capBasicRequestSubject(tp.config['ccm.instanceName']), (m) => {
      const r = decodeClientBasicAuthenticationRequest(m.data);
      if (r.username !== 'race-dev') return;
      // As if an operator revoked the credential right after its check was decided.
      tp.platform.bus.publish(
        eventSubject('ccm', 'client-credentials', 'basic', 'revoked'),
        encodeClientCredentialsRevokedEvent({ correlationId: 'race-1', timestamp: Date.now(), timeout: 0, tenantId: 'acme', credentialsId: id, originatorReplicaId: 'test' }),
      );
    });
    try {
      const { client, connack } = await RawClient.connect(tp.platform.mqttPort as number, 5, { clientId: 'race-client', username: 'race-dev@acme', password: PASSWORD });
      if (connackCode(connack) === 0) {
        // The answer won the race: the session was indexed first, and the event ended it.
        const after = await client.untilClosed();
        assert.ok(after.some((p) => p.cmd === 'disconnect' && p.reasonCode === 0x87), JSON.stringify(after));
      } else {
        assert.equal(connackCode(connack), 0x87, 'refused as revoked, not accepted for good');
        await client.untilClosed();
      }
    } finally {
      watch.unsubscribe();
    }
  });

  it('a wrong password is refused over 22/CAP (CONNACK 0x86)', async () => {
    const { client, connack } = await RawClient.connect(tp.platform.mqttPort as number, 5, { clientId: 'bus-wrong', username: 'bus-dev@acme', password: 'wrong-password' });
    assert.equal(connackCode(connack), 0x86);
    await client.untilClosed();
  });
});
