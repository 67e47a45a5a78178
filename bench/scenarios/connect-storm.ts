/**
 * `connect-storm`: N devices connect with basic auth as fast as the broker takes them
 * (`--concurrency` connects in flight, or `--rate` per second) and stay connected, idle.
 * Credentials are cached first: every credential connects once before the storm, so the storm
 * measures the front door and the cache, not argon2id (the `credentials` scenario does that).
 * With every connection of the storm open, the broker's RSS is read again:
 * bytesPerIdleConnection = (RSS held - RSS before) / connections held. It is also read with about
 * half of them open, for a second view: bytesPerIdleConnectionSlope = (RSS held - RSS at half) /
 * (held - held at half), which start-up memory given back during the storm cannot distort, but
 * which reads too little for a peer that lives through the rounds (its allocator reuses what the
 * previous round's connections freed). fleetgate starts on a prepared data directory
 * (bench/mqtt/fleetgate-process.ts), so that its first start's buffers are not given back during
 * the storm.
 *
 * Targets on a 2-core machine, reported, never asserted: connectsPerSec >= mosquitto's;
 * bytesPerIdleConnection <= 10 KiB at 50,000 connections.
 */
import { randomBytes } from 'node:crypto';
import { summarize, type Histogram } from '../histogram.js';
import { BROKER_OPTIONS, openBroker, protocolOf, validateBroker } from '../mqtt/broker.js';
import { deviceUsernames, peerCredentials, warmCredentials } from '../mqtt/devices.js';
import { BENCH_TENANT } from '../mqtt/fleetgate-process.js';
import { sourceAddresses } from '../mqtt/limits.js';
import { readProcSample } from '../sampling/proc.js';
import type { ServerSampler } from '../sampling/sampler.js';
import type { Scenario } from '../scenario.js';
import { ForeignCpu } from './credentials-cpu.js';
import { CpuCost } from '../sampling/cpu-cost.js';
import type { ConnectStormParams } from './connect-storm-generator.js';

const GENERATOR = new URL('./connect-storm-generator.js', import.meta.url);
/** Open files beyond the connections: the broker's own (fleetgate idles at about 120: shards, database, listeners). */
const FILES_MARGIN = 512;

export const connectStormScenario: Scenario = {
  name: 'connect-storm',
  summary: 'MQTT: N devices connect with basic auth (cached credentials) and stay idle; connects/s, CONNACK latency, RSS per idle connection',
  options: [
    { name: 'connections', type: 'integer', min: 1, max: 1_000_000, default: 10_000, description: 'devices connecting in the storm (all held open until the memory is read)' },
    { name: 'users', type: 'integer', min: 1, max: 100_000, default: 100, description: 'distinct credentials, shared round-robin by the devices (each warmed into the cache first)' },
    { name: 'keepalive', type: 'integer', min: 0, max: 65_535, default: 300, description: 'MQTT keep-alive of the devices, seconds' },
    { name: 'connect-timeout', type: 'integer', min: 100, max: 600_000, default: 30_000, valueName: 'MS', description: 'TCP connect plus CONNACK deadline per device' },
    { name: 'settle', type: 'integer', min: 0, max: 2000, default: 1500, valueName: 'MS', description: 'wait after the storm before reading the broker\'s RSS' },
    ...BROKER_OPTIONS,
  ],
  targets: ['mqtt'],
  peers: ['mosquitto', 'aedes'],
  // The storm is bounded by --connections, not by --duration; set-up (fleetgate start,
  // provisioning, warm-up) comes on top.
  // 64 connects in flight: below mosquitto's listen backlog (100), so that no side pays SYN
  // retransmits for a queue the bench overfilled.
  defaults: { concurrency: 64, warmup: 0, 'max-time': 600 },
  headline: ['connectsPerSec', 'p99Ms', 'serverCpuUsPerConnect', 'bytesPerIdleConnection', 'connections'],
  validate(o) {
    if (o.given('count') || o.given('duration')) return 'connect-storm is bounded by --connections (not --count or --duration)';
    return validateBroker(o);
  },
  peerCredentials: (o) => peerCredentials(deviceUsernames(Math.min(o.number('users'), o.number('connections')), BENCH_TENANT)),
  async run(ctx) {
    const o = ctx.options;
    const n = o.number('connections');
    const users = Math.min(o.number('users'), n);
    const protocolVersion = protocolOf(o);
    const broker = await openBroker(ctx, { usernames: (t) => deviceUsernames(users, t), openFiles: n + users + FILES_MARGIN });
    let sampler: ServerSampler | undefined;
    try {
      const addresses = sourceAddresses(broker.host, n + users);
      ctx.progress.note(`warming ${users} credential(s) into the cache`);
      await warmCredentials({
        host: broker.host,
        port: broker.port,
        ...(addresses[0] === undefined ? {} : { localAddress: addresses[0] }),
        protocolVersion,
        credentials: broker.credentials,
        clientIdPrefix: `cs-${randomBytes(4).toString('hex')}`,
      });
      // The peer's pid is sampled by the framework; fleetgate's (a child process here) by the scenario.
      if (ctx.side === 'fleetgate' && broker.pid !== undefined) sampler = ctx.sampleServer({ pid: broker.pid });
      await new Promise((r) => setTimeout(r, o.number('settle')));
      const rssBefore = broker.pid === undefined ? undefined : await baselineRss(broker.pid);
      const params: ConnectStormParams = {
        host: broker.host,
        port: broker.port,
        protocolVersion,
        usernames: broker.credentials.usernames,
        password: broker.credentials.password,
        clientIdPrefix: `cs-${randomBytes(4).toString('hex')}`,
        localAddresses: addresses,
        keepaliveSec: o.number('keepalive'),
        connectTimeoutMs: o.number('connect-timeout'),
        channel: `connect-storm-${randomBytes(6).toString('hex')}`,
        brokerPid: broker.pid,
        settleMs: o.number('settle'),
        connections: n,
      };
      ctx.progress.note(`storm: ${n} connections, ${ctx.plan.mode === 'open' ? `${ctx.plan.ratePerSec}/s` : `${ctx.plan.concurrency} in flight`}`);
      const foreign = new ForeignCpu();
      const cpu = await CpuCost.start(broker.pid);
      const r = await ctx.runLoad({
        generator: GENERATOR,
        params,
        target: { kind: 'mqtt', url: `mqtt://${broker.host}:${broker.port}`, host: broker.host, port: broker.port },
        plan: { count: n, durationMs: undefined, warmupMs: 0 },
        setupTimeoutMs: 30_000,
      });
      const held = r.counters['held_connections'] ?? 0;
      const rssHeld = r.counters['rss_held_bytes'];
      const figures: Record<string, number> = {
        connectsPerSec: r.opsPerSec,
        ...msFigures(r.latency),
        connections: held,
        droppedWhileIdle: r.counters['dropped_while_idle'] ?? 0,
      };
      const foreignCpuPct = foreign.take();
      if (foreignCpuPct !== undefined) figures['foreignCpuPct'] = foreignCpuPct;
      // Per connection made (the idle hold and the memory reads cost next to nothing).
      const perConnect = await cpu.perOp(r.ops);
      if (perConnect?.serverUs !== undefined) figures['serverCpuUsPerConnect'] = perConnect.serverUs;
      if (perConnect !== undefined) figures['benchCpuUsPerConnect'] = perConnect.benchUs;
      if (rssBefore !== undefined && rssHeld !== undefined && held > 0) {
        figures['bytesPerIdleConnection'] = Math.round((rssHeld - rssBefore) / held);
        figures['rssBeforeBytes'] = rssBefore;
        figures['rssHeldBytes'] = rssHeld;
      }
      const rssHalf = r.counters['rss_half_bytes'];
      const heldAtHalf = r.counters['held_at_half'];
      if (rssHalf !== undefined && heldAtHalf !== undefined && rssHeld !== undefined && held > heldAtHalf) {
        figures['bytesPerIdleConnectionSlope'] = Math.round((rssHeld - rssHalf) / (held - heldAtHalf));
        figures['rssHalfBytes'] = rssHalf;
        figures['heldAtHalf'] = heldAtHalf;
      }
      const errorsByCode: Record<string, number> = { ...r.errorsByCode };
      // A connection the broker dropped while idle, or a worker late for the memory read, is a
      // failure of the run even though its connect succeeded.
      const dropped = r.counters['dropped_while_idle'] ?? 0;
      if (dropped > 0) errorsByCode['ERR_MQTT_DROPPED_IDLE'] = dropped;
      const missing = Math.max(0, r.workers - (r.counters['workers_met'] ?? 0));
      if (missing > 0) errorsByCode['ERR_BENCH_LATE_WORKER'] = missing;
      return {
        figures,
        errors: r.errors + dropped + missing,
        errorsByCode,
        histograms: { connack: r.latency },
      };
    } finally {
      // The last sample before the process goes away.
      await sampler?.stop();
      await broker.stop();
    }
  },
};

/**
 * The broker's RSS before its first storm in this invocation. fleetgate is a new process every
 * run; a peer lives through every round, and its allocator keeps what the previous round's
 * connections freed, so a later round's "before" would already hold them: each pid is measured
 * against its first, fresh baseline.
 */
const freshRss = new Map<number, number>();

async function baselineRss(pid: number): Promise<number> {
  const known = freshRss.get(pid);
  if (known !== undefined) return known;
  const rss = (await readProcSample(pid)).rssBytes;
  freshRss.set(pid, rss);
  return rss;
}

/** p50Ms, p99Ms (and p999Ms, maxMs) of a microsecond histogram, in milliseconds. */
export function msFigures(h: Histogram): { p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number } {
  const s = summarize(h);
  const ms = (us: number): number => Math.round(us) / 1000;
  return { p50Ms: ms(s.p50_us), p99Ms: ms(s.p99_us), p999Ms: ms(s.p999_us), maxMs: ms(s.max_us) };
}
