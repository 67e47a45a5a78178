/**
 * Rotating the MQTT/TLS certificate in service: new files, then a reload (what SIGHUP does).
 * New handshakes on every accepting shard present the new certificate, the PEM endpoint serves
 * it, sessions already up stay; files that do not fit together are refused whole.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { startTestPlatform, type TestPlatform } from '../credentials/harness.js';
import { makePki, opensslMissing, type TestPki } from '../mqtt/certs.js';
import { connectMqtt, PASSWORD, provisionClient } from './kpc-harness.js';

describe('MQTT/TLS certificate rotation on reload', { skip: opensslMissing() ? 'openssl is not installed' : false }, () => {
  let tp: TestPlatform;
  let dir: string;
  let a: TestPki;
  let b: TestPki;
  const certFile = (): string => join(dir, 'server.crt');
  const keyFile = (): string => join(dir, 'server.key');

  before(async () => {
    a = makePki();
    b = makePki();
    dir = mkdtempSync(join(tmpdir(), 'fleetgate-tls-rotation-'));
    writeFileSync(certFile(), a.serverCert);
    writeFileSync(keyFile(), a.serverKey);
    tp = await startTestPlatform(
      { 'runtime.shards': 2, 'mqtt.tls.port': 0, 'mqtt.tls.certFile': certFile(), 'mqtt.tls.keyFile': keyFile() },
      undefined,
      { trustedHeaders: true },
    );
    await provisionClient(tp, 'dev');
  });

  after(async () => {
    await tp?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const url = (): string => `mqtts://127.0.0.1:${tp.platform.mqttsPort}`;
  /** Clients trusting only `ca`; several, so that both accepting shards are asked. */
  const connectAll = (ca: Buffer, tag: string): Promise<MqttClient[]> =>
    Promise.all(Array.from({ length: 8 }, (_, i) => connectMqtt(url(), { ca, username: 'dev@acme', password: PASSWORD, clientId: `${tag}-${i}`, protocolVersion: 5 })));
  const endAll = (clients: MqttClient[]): Promise<unknown> => Promise.all(clients.map((c) => c.endAsync()));
  const servedPem = async (): Promise<string> => (await fetch(`${tp.base}/kpc/api/v1/server-certificate`)).text();

  it('takes a new certificate for new handshakes, keeps sessions that are up, refuses a key that does not match', async () => {
    const held = await connectMqtt(url(), { ca: a.ca, username: 'dev@acme', password: PASSWORD, clientId: 'held', protocolVersion: 5 });
    try {
      await assert.rejects(connectMqtt(url(), { ca: b.ca, username: 'dev@acme', password: PASSWORD, clientId: 'early' }), /self[- ]signed|unable to verify|certificate/i);

      // B's certificate with A's key: no valid context, so nothing changes, and the reload says so.
      writeFileSync(certFile(), b.serverCert);
      const refused = await tp.platform.reload();
      assert.deepEqual([refused.reloaded, refused.unanswered], [[], []]);
      assert.deepEqual(refused.failed.map((f) => [f.shard, f.code]), [[0, 'ERR_KPC_TLS_RELOAD_FAILED'], [1, 'ERR_KPC_TLS_RELOAD_FAILED']]);
      for (const f of refused.failed) assert.match(f.message, /^mqtt tls files not taken \(.*server\.crt\): .*key values mismatch/);
      assert.equal(await servedPem(), a.serverCert.toString('utf8'));
      await endAll(await connectAll(a.ca, 'still-a'));

      writeFileSync(keyFile(), b.serverKey);
      assert.deepEqual(await tp.platform.reload(), { reloaded: [0, 1], failed: [], unanswered: [] });
      assert.equal(await servedPem(), b.serverCert.toString('utf8'));
      await endAll(await connectAll(b.ca, 'now-b'));
      await assert.rejects(connectMqtt(url(), { ca: a.ca, username: 'dev@acme', password: PASSWORD, clientId: 'late' }), /self[- ]signed|unable to verify|certificate/i);

      // The session that was up before the rotation still works: its subscription is granted.
      assert.equal(held.connected, true);
      const granted = await held.subscribeAsync('kp1/demo-v1/echo/tok/#', { qos: 1 });
      assert.deepEqual(granted.map((g) => g.qos), [1]);
    } finally {
      await held.endAsync();
    }
  });
});
