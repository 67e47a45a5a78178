/**
 * The mosquitto command-line clients against the TCP server: mosquitto_sub waits for one
 * message, mosquitto_pub publishes it at QoS 1, in MQTT 3.1.1 and 5.0. Skipped with a message
 * when the clients are not installed (apt-get install -y mosquitto-clients), a failure when
 * FLEETGATE_REQUIRE_SERVERS=1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setLogLevel } from '../../runtime/index.js';
import { startMqttServers, type MqttServers } from '../../transports/mqtt/index.js';
import { findExecutable, missingServer } from '../harness/servers.js';
import { MemoryHost } from './memory-host.js';

setLogLevel('silent');

const pubBin = findExecutable('mosquitto_pub');
const subBin = findExecutable('mosquitto_sub');
const skip = pubBin === null || subBin === null ? missingServer('mosquitto clients', 'mosquitto_pub / mosquitto_sub not found (apt-get install -y mosquitto-clients)') : undefined;

function run(bin: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('mosquitto clients', { skip: skip ?? false }, () => {
  const host = new MemoryHost();
  let servers: MqttServers;

  before(async () => {
    servers = await startMqttServers({ tcp: { host: '127.0.0.1', port: 0 }, host });
  });
  after(async () => {
    await servers.close();
  });

  for (const [version, label] of [
    ['mqttv311', '3.1.1'],
    ['mqttv5', '5.0'],
  ] as const) {
    it(`MQTT ${label}: mosquitto_sub receives what mosquitto_pub sends at QoS 1`, { timeout: 15_000 }, async () => {
      const port = String(servers.tcp?.port);
      const topic = `kp1/app-v1/dcx/tok-${version}/json/1`;
      const subscriptions = host.subscriptions;
      const sub = run(subBin as string, ['-h', '127.0.0.1', '-p', port, '-V', version, '-q', '1', '-t', 'kp1/app-v1/dcx/+/json/#', '-C', '1', '-v', '-i', `msub-${version}`]);
      await host.until(() => host.subscriptions > subscriptions);
      const pub = await run(pubBin as string, ['-h', '127.0.0.1', '-p', port, '-V', version, '-q', '1', '-t', topic, '-m', `hello ${label}`, '-i', `mpub-${version}`]);
      assert.equal(pub.code, 0, pub.stderr);
      const got = await sub;
      assert.equal(got.code, 0, got.stderr);
      assert.equal(got.stdout, `${topic} hello ${label}\n`);
      const published = host.published.at(-1);
      assert.equal(published?.qos, 1);
      assert.equal(Buffer.from(published?.payload ?? []).toString(), `hello ${label}`);
    });
  }
});
