import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runBenchCli } from '../../bench/cli.js';
import { loadFigures } from '../../bench/figures.js';
import type { PeerDefinition, PeerName } from '../../bench/peers/peer.js';
import { builtinPeers } from '../../bench/peers/registry.js';
import { createRegistry } from '../../bench/registry.js';
import type { Scenario } from '../../bench/scenario.js';
import { captureIo, startAedes, type TestBroker } from './helpers.js';
import type { MqttParams } from './fixtures/mqtt-generator.js';

describe('A/B alternation', () => {
  it('runs fleetgate and the peer in alternation, reports both, medians and ratio', async () => {
    const calls: string[] = [];
    let started = 0;
    let stopped = 0;
    const fakePeer: PeerDefinition = {
      name: 'aedes',
      kind: 'mqtt',
      description: 'fake',
      unavailableReason: async () => undefined,
      create: (o) => {
        assert.deepEqual(o.credentials, [{ username: 'u', password: 'p' }]);
        return {
          name: 'aedes',
          start: async () => {
            started++;
            return { target: 'mqtt://127.0.0.1:1999', pid: process.pid };
          },
          stop: async () => {
            stopped++;
          },
        };
      },
    };
    const scenario: Scenario = {
      name: 'echo',
      summary: 'test',
      options: [],
      targets: ['mqtt'],
      peers: ['aedes'],
      peerCredentials: () => [{ username: 'u', password: 'p' }],
      async run(ctx) {
        calls.push(`${ctx.side}:${ctx.round}:${ctx.target?.url ?? 'none'}`);
        const base = ctx.side === 'fleetgate' ? 100 : 50;
        return { figures: { ops_per_s: base * ctx.round, kind: 'echo' }, errors: 0 };
      },
    };
    const io = captureIo();
    const code = await runBenchCli(['echo', '--vs', 'aedes', '--target', 'mqtt://10.0.0.1:1883', '--quiet'], {
      ...io,
      registry: createRegistry([scenario]),
      peers: new Map<PeerName, PeerDefinition>([['aedes', fakePeer]]),
    });
    assert.equal(code, 0);
    assert.deepEqual(calls, [
      'fleetgate:1:mqtt://10.0.0.1:1883',
      'peer:1:mqtt://127.0.0.1:1999',
      'fleetgate:2:mqtt://10.0.0.1:1883',
      'peer:2:mqtt://127.0.0.1:1999',
      'fleetgate:3:mqtt://10.0.0.1:1883',
      'peer:3:mqtt://127.0.0.1:1999',
    ]);
    assert.equal(started, 1);
    assert.equal(stopped, 1);
    const json = JSON.parse(io.out.at(-1) ?? '') as Record<string, unknown>;
    assert.equal(json['ops_per_s'], 200);
    const vs = json['vs'] as Record<string, unknown>;
    assert.equal(vs['peer'], 'aedes');
    assert.equal(vs['ops_per_s'], 100);
    assert.equal((vs['server'] as Record<string, unknown>)['source'], `pid ${process.pid}`);
    assert.deepEqual(json['ratio'], { ops_per_s: 2 });
    assert.equal((json['rounds'] as unknown[]).length, 3);
    assert.equal(io.err.at(-1), 'echo fleetgate vs aedes: ops_per_s 200 vs 100 (x2), kind echo vs echo - no errors');
  });

  it('a peer that is not available fails the run clearly (exit 1, JSON with failure)', async () => {
    const scenario: Scenario = {
      name: 'tok',
      summary: 'test',
      options: [],
      targets: ['http'],
      peers: ['oidc-provider'],
      run: async () => ({ figures: {}, errors: 0 }),
    };
    const unavailable: PeerDefinition = {
      name: 'oidc-provider',
      kind: 'http',
      description: 'a peer whose package is missing',
      unavailableReason: async () => 'the npm package oidc-provider is not installed',
      create: () => {
        throw new Error('must not be created');
      },
    };
    const io = captureIo();
    const code = await runBenchCli(['tok', '--vs', 'oidc-provider', '--quiet'], {
      ...io,
      registry: createRegistry([scenario]),
      peers: new Map([['oidc-provider', unavailable]]),
    });
    assert.equal(code, 1);
    const json = JSON.parse(io.out.at(-1) ?? '') as Record<string, unknown>;
    assert.deepEqual(json['failure'], {
      code: 'ERR_BENCH_PEER_UNAVAILABLE',
      message: 'the npm package oidc-provider is not installed',
    });
  });
});

describe('end to end: worker pool + raw MQTT client, in-process aedes vs the aedes peer', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startAedes('bench', 'bench-pw');
  });
  after(async () => {
    await broker.close();
  });

  it('publishes QoS 1 through workers on both sides', async () => {
    const scenario: Scenario = {
      name: 'pub',
      summary: 'test publish',
      options: [],
      targets: ['mqtt'],
      peers: ['aedes'],
      peerCredentials: () => [{ username: 'bench', password: 'bench-pw' }],
      async run(ctx) {
        const params: MqttParams = { username: 'bench', password: 'bench-pw' };
        const r = await ctx.runLoad({ generator: new URL('./fixtures/mqtt-generator.js', import.meta.url), params });
        return { figures: loadFigures(r), errors: r.errors, errorsByCode: r.errorsByCode, histograms: { publish: r.latency } };
      },
    };
    const io = captureIo();
    const code = await runBenchCli(
      ['pub', '--target', `mqtt://127.0.0.1:${broker.port}`, '--vs', 'aedes', '--rounds', '1', '--count', '50', '--warmup', '0', '--workers', '1', '--concurrency', '8', '--quiet'],
      { ...io, registry: createRegistry([scenario]), peers: builtinPeers() },
    );
    const json = JSON.parse(io.out.at(-1) ?? '') as Record<string, unknown>;
    assert.equal(json['failure'], undefined, JSON.stringify(json['failure']));
    assert.equal(code, 0);
    assert.equal(json['ops'], 50);
    const vs = json['vs'] as Record<string, unknown>;
    assert.equal(vs['ops'], 50);
    assert.equal(vs['errors'], 0);
    assert.equal(typeof (json['ratio'] as Record<string, unknown>)['ops_per_s'], 'number');
    const server = vs['server'] as Record<string, unknown>;
    assert.ok(typeof server['rss_bytes'] === 'object', 'peer RSS sampled from /proc');
  });
});
