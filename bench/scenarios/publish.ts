/**
 * `publish`: a connected fleet publishes QoS 1 JSON samples to the 1/KP data-collection
 * extension (`kp1/bench-v1/dcx/<token>/json`), each device with its own credential and endpoint
 * token; the figure is PUBLISH -> PUBACK throughput and latency. On fleetgate every message
 * is routed to the data-collection extension over the bus (the PUBACK comes once the bus took
 * it); a peer only receives the same topics, with no subscriber to route to.
 *
 * Targets on a 2-core machine, reported, never asserted: msgsPerSec >= aedes's and >= 1.5x
 * mosquitto's.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BROKER_OPTIONS, openBroker, protocolOf, validateBroker } from '../mqtt/broker.js';
import { BENCH_TENANT } from '../mqtt/fleetgate-process.js';
import { APP_VERSION, dcxTopic, deviceUsernames, newToken, peerCredentials, provisionTokens, warmCredentials } from '../mqtt/devices.js';
import type { ServerSampler } from '../sampling/sampler.js';
import type { Scenario } from '../scenario.js';
import { ForeignCpu } from './credentials-cpu.js';
import { CpuCost } from '../sampling/cpu-cost.js';
import { msFigures } from './connect-storm.js';
import type { PublishParams } from './publish-generator.js';

const GENERATOR = new URL('./publish-generator.js', import.meta.url);
/** How long the extension may take to flush what it acknowledged to the bus. */
const ROUTE_WAIT_MS = 5000;

/** A JSON array of `n` samples, as a device would batch them (2/DCP). */
export function samplePayload(n: number): string {
  const samples = Array.from({ length: n }, (_, i) => ({ ts: 1_700_000_000_000 + i * 1000, temperature: 21.5 + (i % 10) / 10, humidity: 40 + (i % 7) }));
  return JSON.stringify(samples);
}

/** Lines in the data-collection file, waiting up to ROUTE_WAIT_MS for them to reach `expected`. */
async function countRoutedSamples(file: string, expected: number): Promise<number> {
  const deadline = performance.now() + ROUTE_WAIT_MS;
  for (;;) {
    let lines = 0;
    try {
      for await (const chunk of createReadStream(file)) {
        const buf = chunk as Buffer;
        for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines++;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (lines >= expected || performance.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const publishScenario: Scenario = {
  name: 'publish',
  summary: 'MQTT: QoS 1 PUBLISH -> PUBACK throughput and latency of a connected fleet, every message routed to the data-collection extension',
  options: [
    { name: 'devices', type: 'integer', min: 1, max: 100_000, default: 100, description: 'connected devices, each with its own credential and endpoint token' },
    { name: 'window', type: 'integer', min: 1, max: 65_535, default: 64, description: 'QoS 1 publishes in flight per device' },
    { name: 'samples', type: 'integer', min: 1, max: 10_000, default: 1, description: 'JSON samples per message' },
    ...BROKER_OPTIONS,
  ],
  targets: ['mqtt'],
  peers: ['mosquitto', 'aedes'],
  defaults: { concurrency: 1000 },
  headline: ['msgsPerSec', 'p50Ms', 'p99Ms', 'serverCpuUsPerMsg', 'devices'],
  validate: validateBroker,
  peerCredentials: (o) => peerCredentials(deviceUsernames(o.number('devices'), BENCH_TENANT)),
  async run(ctx) {
    const o = ctx.options;
    const devices = o.number('devices');
    const protocolVersion = protocolOf(o);
    const broker = await openBroker(ctx, { usernames: (t) => deviceUsernames(devices, t), openFiles: devices + 2048 });
    let sampler: ServerSampler | undefined;
    try {
      const tokens = Array.from({ length: devices }, () => newToken());
      if (broker.rest !== undefined) {
        ctx.progress.note(`provisioning ${devices} endpoint tokens`);
        await provisionTokens(broker.rest, tokens, `ep-${randomBytes(4).toString('hex')}`);
      }
      ctx.progress.note(`warming ${devices} credential(s) into the cache`);
      await warmCredentials({ host: broker.host, port: broker.port, protocolVersion, credentials: broker.credentials, clientIdPrefix: `pub-${randomBytes(4).toString('hex')}` });
      // The peer's pid is sampled by the framework; fleetgate's (a child process here) by the scenario.
      if (ctx.side === 'fleetgate' && broker.pid !== undefined) sampler = ctx.sampleServer({ pid: broker.pid });
      const params: PublishParams = {
        host: broker.host,
        port: broker.port,
        protocolVersion,
        usernames: broker.credentials.usernames,
        password: broker.credentials.password,
        topics: tokens.map(dcxTopic),
        payload: samplePayload(o.number('samples')),
        window: o.number('window'),
        clientIdPrefix: `pub-${randomBytes(4).toString('hex')}`,
        connectTimeoutMs: 30_000,
      };
      const foreign = new ForeignCpu();
      const cpu = await CpuCost.start(broker.pid);
      const r = await ctx.runLoad({
        generator: GENERATOR,
        params,
        target: { kind: 'mqtt', url: `mqtt://${broker.host}:${broker.port}`, host: broker.host, port: broker.port },
        plan: { workers: Math.min(ctx.plan.workers, devices) },
      });
      const figures: Record<string, number> = { msgsPerSec: r.opsPerSec, ...msFigures(r.latency), messages: r.ops, devices };
      const foreignCpuPct = foreign.take();
      if (foreignCpuPct !== undefined) figures['foreignCpuPct'] = foreignCpuPct;
      // Per publish issued (warm-up included, as the CPU is): the server's and the bench's own.
      const perMsg = await cpu.perOp(r.counters['issued'] ?? 0);
      if (perMsg?.serverUs !== undefined) figures['serverCpuUsPerMsg'] = perMsg.serverUs;
      if (perMsg !== undefined) figures['benchCpuUsPerMsg'] = perMsg.benchUs;
      const errorsByCode: Record<string, number> = { ...r.errorsByCode };
      let errors = r.errors;
      if (broker.dataDir !== undefined) {
        // fleetgate started here: what the data-collection extension wrote, one line a sample.
        const expected = (r.counters['issued'] ?? 0) * o.number('samples');
        const routed = await countRoutedSamples(join(broker.dataDir, 'dcx', `${APP_VERSION}.jsonl`), expected);
        figures['routedSamples'] = routed;
        if (r.errors === 0 && routed < expected) {
          errorsByCode['ERR_BENCH_NOT_ROUTED'] = expected - routed;
          errors += expected - routed;
        }
      }
      return {
        figures,
        errors,
        errorsByCode,
        histograms: { puback: r.latency },
      };
    } finally {
      // The last sample before the process goes away.
      await sampler?.stop();
      await broker.stop();
    }
  },
};
