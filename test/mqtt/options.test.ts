/**
 * Misuse is not bad input: wrong limits or server options given by the calling code are
 * TypeErrors that name the key, the value and the rule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setLogLevel } from '../../runtime/index.js';
import { mqttDefaults, resolveLimits, startMqttServers } from '../../transports/mqtt/index.js';
import { MemoryHost } from './memory-host.js';

setLogLevel('silent');

describe('limits and options', () => {
  it('defaults are whole and frozen', () => {
    assert.deepEqual(resolveLimits(), mqttDefaults);
    assert.equal(Object.isFrozen(resolveLimits({ receiveMaximum: 5 })), true);
  });

  it('a value out of range names key, value and rule', () => {
    assert.throws(() => resolveLimits({ receiveMaximum: 0 }), { name: 'TypeError', message: 'mqtt limits: receiveMaximum=0 must be an integer from 1 to 65535' });
    assert.throws(() => resolveLimits({ maxClientIdLength: 10 }), { message: 'mqtt limits: maxClientIdLength=10 must be an integer from 23 to 65535' });
    assert.throws(() => resolveLimits({ retainAvailable: 'yes' as unknown as boolean }), { message: 'mqtt limits: retainAvailable=yes must be a boolean' });
    assert.throws(() => resolveLimits({ maxPacketSize: 4096, maxHeldInputBytes: 1024 }), {
      message: 'mqtt limits: maxHeldInputBytes=1024 must be at least maxPacketSize=4096',
    });
  });

  it('an unknown key is refused with the known ones', () => {
    assert.throws(() => resolveLimits({ keepAlive: 5 } as never), /unknown key "keepAlive"; known keys are maxPacketSize, connectTimeoutMs/);
  });

  it('startMqttServers: no listener, no host, a bad port or TLS without a key are TypeErrors', async () => {
    const host = new MemoryHost();
    await assert.rejects(startMqttServers({ host }), { name: 'TypeError', message: 'startMqttServers: at least one of tcp, tls, ws is required' });
    await assert.rejects(startMqttServers({ tcp: { port: 1883 } } as never), /host \(a ChannelHost\) is required/);
    await assert.rejects(startMqttServers({ tcp: { port: 70_000 }, host }), { message: 'startMqttServers: tcp.port=70000 must be an integer from 0 to 65535' });
    await assert.rejects(startMqttServers({ tls: { port: 0, cert: 'x' } as never, host }), /tls.cert and tls.key are required/);
  });

  it('a port in use rejects, and nothing is left listening', async () => {
    const host = new MemoryHost();
    const first = await startMqttServers({ tcp: { host: '127.0.0.1', port: 0 }, host });
    try {
      await assert.rejects(startMqttServers({ tcp: { host: '127.0.0.1', port: first.tcp?.port as number }, host }), { code: 'EADDRINUSE' });
    } finally {
      await first.close();
    }
  });
});
