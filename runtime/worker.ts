/**
 * Entry point of a shard worker thread. It hosts one shard, imports the configured modules,
 * answers the main thread's control messages and takes part in the MessagePort mesh.
 *
 * Shutdown is driven by the main thread in three phases (see Cluster.stop): 'quiesce' stops the
 * services, 'probe' reports whether this shard is quiet and how many data-plane entries it has
 * sent and received, 'stop' passivates every activation and lets the worker's event loop end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from './clock.js';
import { FleetgateError, HashingError, toWireError, type WireError } from './errors.js';
import type { Hasher } from './hashing/pool.js';
import { logger, setLogDestination, setLogLevel } from './log.js';
import type { FromWorker, HashResult, HealthProblem, ShardStats, ShardWorkerData, ToWorker } from './messages.js';
import { shardRegistry } from './metrics.js';
import { isShardModule, type Service, type ShardHost } from './module.js';
import { Router } from './router.js';
import { errSummary, Shard } from './shard.js';

const data = workerData as ShardWorkerData;
const port = parentPort!;
setLogDestination(data.logFd);
setLogLevel(data.logLevel);
const log = logger('shard', { shard: data.shardId, generation: data.generation });
const send = (m: FromWorker): void => port.postMessage(m);

const shard = new Shard(data.shardId, data.settings, systemClock, log);
const router = new Router(data.shardId, data.shardCount, shard, systemClock, data.settings.askTimeoutMs, data.settings.maxBatch);
const registry = shardRegistry(shard, router, data.generation);

/** Hashing goes to the process-wide pool on the main thread. */
const hashWaiters = new Map<number, { resolve(r: HashResult): void; reject(e: Error): void }>();
let hashSeq = 0;
function hashRequest(request: { op: 'hash'; secret: string } | { op: 'verify'; secret: string; hash: string }): Promise<HashResult> {
  return new Promise((resolve, reject) => {
    const id = ++hashSeq;
    hashWaiters.set(id, { resolve, reject });
    send({ t: 'hash', id, request });
  });
}
const hasher: Hasher = {
  hash: (secret) => hashRequest({ op: 'hash', secret }).then((r) => (r as { hash: string }).hash),
  verify: (secret, hash) =>
    hashRequest({ op: 'verify', secret, hash }).then((r) => {
      const v = r as { ok: boolean; needsRehash: boolean };
      return { ok: v.ok, needsRehash: v.needsRehash };
    }),
};

const reloaders: Array<() => Promise<void> | void> = [];
const services: Service[] = [];
const readyBarriers: Array<() => Promise<void>> = [];
const checks: Array<{ name: string; check: () => Promise<void> }> = [];
const closers: Array<() => Promise<void> | void> = [];
const host: ShardHost = {
  shardId: data.shardId,
  shardCount: data.shardCount,
  generation: data.generation,
  config: data.moduleConfig,
  actors: router,
  hasher,
  clock: systemClock,
  log,
  metrics: registry,
  registerActor: (kind) => shard.register(kind),
  provide(name, value) {
    if (name in shard.deps) throw new TypeError(`"${name}" is provided twice`);
    shard.deps[name] = value;
  },
  dep<T>(name: string): T {
    if (!(name in shard.deps)) throw new TypeError(`nothing provides "${name}" (check the order of the modules)`);
    return shard.deps[name] as T;
  },
  hub(name) {
    const p = data.hubs[name];
    if (p === undefined) throw new TypeError(`no hub named "${name}" (hubs: ${Object.keys(data.hubs).join(', ') || 'none'})`);
    return p;
  },
  addService: (s) => void services.push(s),
  beforeReady: (fn) => void readyBarriers.push(fn),
  onStopped: (fn) => void closers.push(fn),
  onReload: (fn) => void reloaders.push(fn),
  addHealthCheck: (name, check) => void checks.push({ name, check }),
};

function stats(): ShardStats {
  return { shardId: data.shardId, activeActors: shard.activeActors, mailboxDepth: shard.mailboxDepth, pendingAsks: router.pendingAsks };
}

async function health(): Promise<HealthProblem[]> {
  const problems: HealthProblem[] = [];
  await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await check();
      } catch (err) {
        const w = toWireError(err);
        problems.push({ component: name, code: w.code, message: err instanceof FleetgateError ? err.message : 'check failed' });
      }
    }),
  );
  return problems;
}

async function reload(): Promise<WireError[]> {
  const failed: WireError[] = [];
  for (const fn of reloaders) {
    try {
      await fn();
    } catch (err) {
      log.error({ err: errSummary(err) }, 'a reload hook failed: its previous files stay in force');
      failed.push(toWireError(err));
    }
  }
  return failed;
}

async function quiesce(): Promise<void> {
  for (const s of [...services].reverse()) {
    try {
      await s.stop();
    } catch (err) {
      log.warn({ service: s.name, err: errSummary(err) }, 'service failed to stop cleanly');
    }
  }
}

/** Passivates everything and leaves; the main thread has established that the mesh is quiet. */
async function stop(): Promise<void> {
  await shard.passivateAll();
  router.failAll('ERR_STOPPING', 'the shard stopped');
  for (const close of closers.reverse()) {
    try {
      await close();
    } catch (err) {
      log.warn({ err: errSummary(err) }, 'closing a shard resource failed');
    }
  }
  send({ t: 'stopped', stats: stats() });
  router.close();
  port.close();
}

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'peer':
      router.connect(m.shard, m.port);
      break;
    case 'main-port':
      router.attachClient(m.port);
      break;
    case 'peer-down':
      router.peerDown(m.shard);
      break;
    case 'start':
      void startServices();
      break;
    case 'ping':
      void health().then((problems) => send({ t: 'pong', id: m.id, stats: stats(), problems }));
      break;
    case 'metrics':
      void registry.getMetricsAsJSON().then((json) => send({ t: 'metrics', id: m.id, json: JSON.stringify(json) }));
      break;
    case 'hash-reply': {
      const w = hashWaiters.get(m.id);
      if (!w) break;
      hashWaiters.delete(m.id);
      if (m.ok) w.resolve(m.value);
      else w.reject(new HashingError(m.error.code, m.error.message));
      break;
    }
    case 'reload':
      void reload().then((failed) => send({ t: 'reloaded', id: m.id, failed }));
      break;
    case 'quiesce':
      void quiesce().then(() => send({ t: 'ack', id: m.id }));
      break;
    case 'probe':
      send({ t: 'probe', id: m.id, quiet: shard.quiet, ...router.linkCounts() });
      break;
    case 'stop':
      void stop();
      break;
  }
});

function setupFailed(err: unknown): void {
  log.error({ err: errSummary(err) }, 'shard setup failed');
  const w = toWireError(err);
  send({ t: 'setup-failed', error: err instanceof TypeError ? { code: 'ERR_SETUP', message: err.message } : w });
}

async function startServices(): Promise<void> {
  try {
    for (const s of services) await s.start();
    for (const fn of readyBarriers) await fn();
    send({ t: 'ready' });
  } catch (err) {
    setupFailed(err);
  }
}

// Modules are set up before the worker is wired into the mesh, so no message from another
// shard can arrive before every actor kind is registered.
try {
  for (const url of data.modules) {
    const mod: unknown = await import(url);
    if (!isShardModule(mod)) throw new TypeError(`module ${url} has no setup(host) export`);
    await mod.setup(host);
  }
  send({ t: 'setup-done' });
} catch (err) {
  setupFailed(err);
}
