/**
 * 1/KP end to end through every transport of one platform, with real clients: MQTT.js in MQTT
 * 3.1.1 and 5.0 over TCP, TLS (basic auth without a client certificate; X.509 with one, the
 * 22/CAP certificate lookup answered on the bus as a credential service would) and WebSocket;
 * the mosquitto command-line clients; HTTP through fetch. Each round trip goes through the
 * built-in echo and data-collection extensions over 4/ESP.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IClientOptions } from 'mqtt';
import {
  capCertificateRequestSubject,
  clientCredentialsRevokedSubject,
  decodeClientCertificateAuthenticationRequest,
  encodeClientCertificateAuthenticationResponse,
  encodeClientCredentialsRevokedEvent,
  type ClientCertificateAuthenticationRequest,
  type Subscription,
} from '../../transports/bus/index.js';
import { startTestPlatform, type TestPlatform } from '../credentials/harness.js';
import { findExecutable, missingServer } from '../harness/servers.js';
import { makePki, type TestPki } from '../mqtt/certs.js';
import { closed, connectMqtt, PASSWORD, provisionClient, provisionToken, request, serverDisconnect, setTokenStatus, until, type Provisioned } from './kpc-harness.js';

const mosquittoRr = findExecutable('mosquitto_rr');
const mosquittoPub = findExecutable('mosquitto_pub');
const mosquittoSub = findExecutable('mosquitto_sub');

function run(bin: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('1/KP over MQTT, MQTT/TLS, MQTT/WebSocket, HTTP', () => {
  let tp: TestPlatform;
  let pki: TestPki;
  let pkiDir: string;
  let token: Provisioned;
  let capSub: Subscription | undefined;
  const certRequests: ClientCertificateAuthenticationRequest[] = [];

  before(async () => {
    pki = makePki();
    pkiDir = mkdtempSync(join(tmpdir(), 'fleetgate-kpc-pki-'));
    const file = (name: string, data: Buffer): string => {
      const f = join(pkiDir, name);
      writeFileSync(f, data);
      return f;
    };
    tp = await startTestPlatform(
      {
        'mqtt.tcp.port': 0,
        'mqtt.tls.port': 0,
        'mqtt.tls.certFile': file('server.crt', pki.serverCert),
        'mqtt.tls.keyFile': file('server.key', pki.serverKey),
        'mqtt.tls.caFile': file('ca.crt', pki.ca),
        'kpc.x509.identity': 'cap',
      },
      undefined,
      { trustedHeaders: true },
    );
    // The certificate half of 22/CAP: this platform's credential service does not hold
    // certificates, so the test answers for the one client certificate it issued.
    capSub = tp.platform.bus.subscribe(capCertificateRequestSubject(tp.config['ccm.instanceName']), (m) => {
      const req = decodeClientCertificateAuthenticationRequest(m.data);
      certRequests.push(req);
      const known = /CN=fleetgate test CA/.test(req.issuer);
      m.respond(
        encodeClientCertificateAuthenticationResponse({
          correlationId: req.correlationId,
          timestamp: Date.now(),
          timeout: 0,
          tenantId: known ? 'acme' : null,
          credentialsId: known ? 'cert-device-42' : null,
          clientId: null,
          statusCode: known ? 200 : 404,
          reasonPhrase: known ? 'OK' : 'unknown certificate',
        }),
      );
    });
    await provisionClient(tp, 'dev');
    token = await provisionToken(tp, 'ep-transports');
  });

  after(async () => {
    capSub?.unsubscribe();
    await tp?.stop();
    if (pkiDir !== undefined) rmSync(pkiDir, { recursive: true, force: true });
  });

  const transports: Array<{ name: string; url: () => string; opts: () => IClientOptions }> = [
    { name: 'TCP', url: () => `mqtt://127.0.0.1:${tp.platform.mqttPort}`, opts: () => ({ username: 'dev@acme', password: PASSWORD }) },
    { name: 'TLS, basic auth, no client certificate', url: () => `mqtts://127.0.0.1:${tp.platform.mqttsPort}`, opts: () => ({ username: 'dev@acme', password: PASSWORD, ca: pki.ca }) },
    { name: 'TLS, X.509 client certificate', url: () => `mqtts://127.0.0.1:${tp.platform.mqttsPort}`, opts: () => ({ ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }) },
    { name: 'WebSocket', url: () => `ws://127.0.0.1:${tp.platform.httpPort}/mqtt`, opts: () => ({ username: 'dev@acme', password: PASSWORD }) },
  ];

  let n = 0;
  for (const t of transports) {
    for (const protocolVersion of [4, 5] as const) {
      const label = `${t.name}, MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}`;
      it(`${label}: echo with a request id answers on <topic>/status; dcx answers zero-length and writes the line`, async () => {
        const id = ++n;
        const client = await connectMqtt(t.url(), { ...t.opts(), protocolVersion, clientId: `transports-${id}` });
        try {
          const echoTopic = `kp1/demo-v1/echo/${token.token}/ping/${id}`;
          const echo = await request(client, echoTopic, `hello ${label}`);
          assert.equal(echo.topic, `${echoTopic}/status`);
          assert.equal(echo.payload.toString(), `hello ${label}`);

          const dcxTopic = `kp1/demo-v1/dcx/${token.token}/json/${id}`;
          const sample = JSON.stringify({ transport: label, n: id });
          const dcx = await request(client, dcxTopic, sample);
          assert.equal(dcx.topic, `${dcxTopic}/status`);
          assert.equal(dcx.payload.length, 0);
          const lines = readFileSync(join(tp.dataDir, 'dcx', 'demo-v1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
          const line = lines.find((l) => (l['sample'] as { n?: number } | undefined)?.n === id);
          assert.ok(line !== undefined, `no line for sample ${id} in ${JSON.stringify(lines)}`);
          assert.equal(line['endpointId'], 'ep-transports');
          assert.equal(line['appVersionName'], 'demo-v1');
          assert.deepEqual(line['sample'], { transport: label, n: id });
        } finally {
          await client.endAsync();
        }
      });
    }
  }

  it('asked 22/CAP for the client certificate by issuer and decimal serial number', () => {
    assert.ok(certRequests.length >= 2, `certificate requests: ${certRequests.length}`);
    for (const r of certRequests) {
      assert.match(r.issuer, /CN=fleetgate test CA/);
      assert.match(r.serialNumber, /^[1-9][0-9]*$/);
    }
  });

  it('a revoked client certificate ends its sessions (3.1.1: closed; MQTT 5: DISCONNECT 0x87)', async () => {
    const url = `mqtts://127.0.0.1:${tp.platform.mqttsPort}`;
    const tlsOpts = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };
    const c4 = await connectMqtt(url, { ...tlsOpts, protocolVersion: 4, clientId: 'cert-revoked-4' });
    const c5 = await connectMqtt(url, { ...tlsOpts, protocolVersion: 5, clientId: 'cert-revoked-5' });
    const basic = await connectMqtt(url, { ca: pki.ca, username: 'dev@acme', password: PASSWORD, protocolVersion: 5, clientId: 'cert-bystander' });
    const closed4 = closed(c4);
    const disconnect5 = serverDisconnect(c5);
    tp.platform.bus.publish(
      clientCredentialsRevokedSubject(tp.config['ccm.instanceName'], 'certificate'),
      encodeClientCredentialsRevokedEvent({ correlationId: 'cert-revocation-1', timestamp: Date.now(), timeout: 0, tenantId: 'acme', credentialsId: 'cert-device-42', originatorReplicaId: 'test' }),
    );
    await closed4;
    assert.equal((await disconnect5).reasonCode, 0x87);
    assert.equal(basic.connected, true, 'a session with basic auth stays');
    await basic.endAsync();
  });

  it('refuses a client certificate from a CA it does not trust (TLS, MQTT 5: CONNACK 0x87)', async () => {
    await assert.rejects(
      connectMqtt(`mqtts://127.0.0.1:${tp.platform.mqttsPort}`, { ca: pki.ca, cert: pki.rogueCert, key: pki.rogueKey, protocolVersion: 5, clientId: 'rogue' }),
      (err: Error & { code?: number }) => err.code === 0x87,
    );
  });

  describe('mosquitto clients', () => {
    // 1/KP answers go to the session that asked (the front door is not a broker), so one client
    // must both publish and subscribe for an echo: mosquitto_rr does exactly that. mosquitto_pub
    // and mosquitto_sub each get what a client of their own kind can see.
    const skip = mosquittoRr === null ? missingServer('mosquitto clients', 'mosquitto_rr not found (apt-get install -y mosquitto-clients)') : false;
    const rr = async (args: string[], topic: string, message: string): Promise<void> => {
      const r = await run(mosquittoRr as string, [...args, '-q', '1', '-u', 'dev@acme', '-P', PASSWORD, '-t', topic, '-e', `${topic}/status`, '-m', message, '-W', '20']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${message}\n`);
    };

    for (const [version, label] of [
      ['mqttv5', '5'],
      ['mqttv311', '3.1.1'],
    ] as const) {
      it(`MQTT ${label}: mosquitto_rr gets the echo on <topic>/status (TCP)`, { skip }, () =>
        rr(['-h', '127.0.0.1', '-p', String(tp.platform.mqttPort), '-V', version, '-i', `mosq-rr-${version}`], `kp1/demo-v1/echo/${token.token}/rr/${version === 'mqttv5' ? 11 : 12}`, `hello rr ${label}`),
      );
    }

    const pubSkip = mosquittoPub === null || mosquittoSub === null ? missingServer('mosquitto clients', 'mosquitto_pub / mosquitto_sub not found (apt-get install -y mosquitto-clients)') : false;
    for (const [version, label, n] of [
      ['mqttv5', '5', 21],
      ['mqttv311', '3.1.1', 22],
    ] as const) {
      it(`MQTT ${label}: mosquitto_pub's QoS 1 sample to dcx is acknowledged and written`, { skip: pubSkip }, async () => {
        const topic = `kp1/demo-v1/dcx/${token.token}/json`;
        const r = await run(mosquittoPub as string, ['-h', '127.0.0.1', '-p', String(tp.platform.mqttPort), '-V', version, '-i', `mosq-pub-${version}`, '-q', '1', '-u', 'dev@acme', '-P', PASSWORD, '-t', topic, '-m', JSON.stringify([{ via: 'mosquitto_pub', n }])]);
        assert.equal(r.code, 0, r.stderr);
        await until(() => readFileSync(join(tp.dataDir, 'dcx', 'demo-v1.jsonl'), 'utf8').includes(`"sample":{"via":"mosquitto_pub","n":${n}}`), 'the sample line');
      });

      it(`MQTT ${label}: mosquitto_sub may subscribe to kp1 response topics, and is refused anything else`, { skip: pubSkip }, async () => {
        const sub = (topic: string) =>
          run(mosquittoSub as string, ['-h', '127.0.0.1', '-p', String(tp.platform.mqttPort), '-V', version, '-i', `mosq-sub-${version}`, '-u', 'dev@acme', '-P', PASSWORD, '-t', topic, '-E']);
        const allowed = await sub(`kp1/demo-v1/echo/${token.token}/+/status`);
        assert.deepEqual(allowed, { code: 0, stdout: '', stderr: '' });
        // (mosquitto_sub 2.0 says so, and exits 0 all the same.)
        const refused = await sub('devices/#');
        assert.equal(refused.stderr, 'All subscription requests were denied.\n');
      });
    }

    it('MQTT 5: mosquitto_rr over TLS gets the echo on <topic>/status', { skip }, () =>
      rr(['-h', '127.0.0.1', '-p', String(tp.platform.mqttsPort), '-V', 'mqttv5', '--cafile', join(pkiDir, 'ca.crt'), '-i', 'mosq-rr-tls'], `kp1/demo-v1/echo/${token.token}/rr/13`, 'hello rr tls'),
    );
  });

  describe('1/KP over HTTP', () => {
    const post = (path: string, body: string): Promise<Response> => fetch(`${tp.base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });

    it('echo: 200 with the body echoed', async () => {
      const r = await post(`/kp1/demo-v1/echo/${token.token}/ping`, 'ping over http');
      assert.equal(r.status, 200);
      assert.equal(await r.text(), 'ping over http');
    });

    it('dcx: 200, empty, and the line written', async () => {
      const r = await post(`/kp1/demo-v1/dcx/${token.token}/json`, JSON.stringify({ via: 'http', k: 77 }));
      assert.equal(r.status, 200);
      assert.equal((await r.arrayBuffer()).byteLength, 0);
      const text = readFileSync(join(tp.dataDir, 'dcx', 'demo-v1.jsonl'), 'utf8');
      assert.ok(text.split('\n').some((l) => l.length > 0 && JSON.stringify((JSON.parse(l) as { sample: unknown }).sample) === '{"via":"http","k":77}'), text);
    });

    it('an unknown token: 401 problem', async () => {
      const r = await post('/kp1/demo-v1/echo/no-such-token/ping', 'x');
      assert.equal(r.status, 401);
      assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
      const body = (await r.json()) as { status: number; detail: string };
      assert.equal(body.status, 401);
      assert.equal(body.detail, 'unknown endpoint token');
    });

    it('a suspended token: 403 problem', async () => {
      const t = await provisionToken(tp, 'ep-http-suspended');
      const first = await post(`/kp1/demo-v1/echo/${t.token}/ping`, 'first use');
      assert.equal(first.status, 200, 'the first use makes the token Active');
      await setTokenStatus(tp, t, 'Suspended');
      await until(async () => (await post(`/kp1/demo-v1/echo/${t.token}/ping`, 'again')).status === 403, 'the suspended token to be refused over HTTP');
      const r = await post(`/kp1/demo-v1/echo/${t.token}/ping`, 'again');
      assert.equal(r.status, 403);
      assert.equal(((await r.json()) as { detail: string }).detail, 'the endpoint token is not active');
    });

    it('an unknown extension: 404; a path outside /kp1: 404', async () => {
      const r = await post(`/kp1/demo-v1/nope/${token.token}/ping`, 'x');
      assert.equal(r.status, 404);
      assert.equal(((await r.json()) as { detail: string }).detail, 'unknown extension nope');
      const other = await post(`/kp2/demo-v1/echo/${token.token}/ping`, 'x');
      assert.equal(other.status, 404);
    });

    it('GET /kpc/api/v1/server-certificate: the configured PEM', async () => {
      const r = await fetch(`${tp.base}/kpc/api/v1/server-certificate`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /application\/x-pem-file/);
      assert.equal(await r.text(), pki.serverCert.toString('utf8'));
    });
  });
});
