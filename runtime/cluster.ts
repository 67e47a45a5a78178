/**
 * The supervisor, on the main thread: starts W shard workers, wires them into a full mesh of
 * MessagePorts, serves their hashing requests from the one process-wide pool, replaces a worker
 * that dies (its actors re-activate on demand, asks waiting on it fail at once), answers health
 * and metrics by asking every shard, and shuts the whole thing down in order.
 *
 * The main thread hosts no actors; it talks to them as a client through its own Router.
 */
import { EventEmitter } from 'node:events';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { ActorRef } from './actor.js';
import { systemClock, type Clock } from './clock.js';
import { RuntimeCodes, RuntimeError, toWireError } from './errors.js';
import { HashPool, type HashPoolOptions } from './hashing/pool.js';
import { logDestination, logger } from './log.js';
import type { Hub } from './module.js';
import type { FromWorker, HealthProblem, RuntimeSettings, ShardStats, ShardWorkerData, ToWorker } from './messages.js';
import { eventLoopDelayGauge } from './metrics.js';
import { Router } from './router.js';
import { errSummary } from './shard.js';

export interface ClusterOptions {
  shards: number;
  /** Module URLs every shard imports (see module.ts). */
  modules: string[];
  settings: RuntimeSettings;
  moduleConfig?: unknown;
  hashing: HashPoolOptions;
  /** Main-thread services every shard gets a port to (see module.ts Hub). */
  hubs?: Hub[];
  logLevel?: string;
  /** Delay before replacing a dead worker, doubled on each consecutive death up to the max. */
  restartBackoffMs?: { min: number; max: number };
  /** How long a shard may take to answer a health ping. */
  healthTimeoutMs?: number;
  clock?: Clock;
}

export interface HealthReport {
  ok: boolean;
  shards: Array<{ shard: number; up: boolean; generation: number } & Partial<ShardStats>>;
  problems: HealthProblem[];
}

interface Slot {
  shard: number;
  generation: number;
  worker: Worker | null;
  /** Wired into the mesh and serving. */
  up: boolean;
  consecutiveDeaths: number;
  /** Answers awaited from the worker, by id (negative: lifecycle). Called with null when the
   *  worker exits first. */
  waiters: Map<number, (m: FromWorker | null) => void>;
  /** Cluster.reload requests made before this worker was spawned (it read its files then). */
  reloadsAtSpawn: number;
}

/** What a reload did on each shard; see Cluster.reload. */
export interface ReloadReport {
  /** Shards whose every reload hook took the files. */
  readonly reloaded: number[];
  /** Shards where a hook refused the files (and kept its previous ones), with why. */
  readonly failed: Array<{ shard: number; code: string; message: string }>;
  /** Shards that did not answer in time (down or being replaced; a replacement catches up). */
  readonly unanswered: number[];
}

export class Cluster extends EventEmitter implements ActorRef {
  readonly #opts: Required<Omit<ClusterOptions, 'moduleConfig'>> & { moduleConfig: unknown };
  readonly #slots: Slot[];
  readonly #router: Router;
  readonly #pool: HashPool;
  readonly #registry = new Registry();
  /** Cluster.reload requests so far: a worker spawned before the last one reloads once up. */
  #reloads = 0;
  readonly #log = logger('cluster');
  #seq = 0;
  #stopping = false;
  #restarts = 0;

  private constructor(opts: ClusterOptions) {
    super();
    if (!Number.isInteger(opts.shards) || opts.shards < 1) throw new TypeError(`shards must be a positive integer, got ${opts.shards}`);
    this.#opts = {
      logLevel: 'info',
      restartBackoffMs: { min: 50, max: 5000 },
      healthTimeoutMs: 2000,
      clock: systemClock,
      moduleConfig: undefined,
      hubs: [],
      ...opts,
    };
    this.#slots = Array.from({ length: opts.shards }, (_, shard) => ({
      shard,
      generation: 0,
      worker: null,
      up: false,
      consecutiveDeaths: 0,
      waiters: new Map(),
      reloadsAtSpawn: 0,
    }));
    this.#router = new Router(-1, opts.shards, null, this.#opts.clock, opts.settings.askTimeoutMs, opts.settings.maxBatch);
    this.#pool = new HashPool(opts.hashing);
    this.#mainMetrics();
  }

  /** Starts every shard; resolves when all serve, rejects (and cleans up) if any fails to set up. */
  static async start(opts: ClusterOptions): Promise<Cluster> {
    const c = new Cluster(opts);
    try {
      await Promise.all(c.#slots.map((s) => c.#spawn(s)));
      c.#wireAll();
      await Promise.all(c.#slots.map((s) => c.#startServices(s)));
    } catch (err) {
      await c.stop().catch(() => undefined);
      throw err;
    }
    return c;
  }

  get shardCount(): number {
    return this.#slots.length;
  }

  /** Workers replaced since start. */
  get restarts(): number {
    return this.#restarts;
  }

  get hashPool(): HashPool {
    return this.#pool;
  }

  tell(kind: string, key: string, message: unknown): void {
    if (this.#stopping) throw new RuntimeError(RuntimeCodes.STOPPING, 'the runtime is stopping');
    this.#router.tell(kind, key, message);
  }

  ask<R = unknown>(kind: string, key: string, message: unknown, timeoutMs?: number): Promise<R> {
    if (this.#stopping) return Promise.reject(new RuntimeError(RuntimeCodes.STOPPING, 'the runtime is stopping'));
    return this.#router.ask<R>(kind, key, message, timeoutMs);
  }

  // ---- workers ----

  /** Starts a worker for the slot and waits until its modules are set up. */
  #spawn(slot: Slot): Promise<void> {
    slot.reloadsAtSpawn = this.#reloads;
    // A replacement's files are read from here on (its modules' setup).
    if (slot.generation > 0) this.emit('shard-spawning', slot.shard, slot.generation);
    const hubs: Record<string, MessagePort> = {};
    for (const hub of this.#opts.hubs) {
      const { port1, port2 } = new MessageChannel();
      hub.attach(port1, slot.shard);
      hubs[hub.name] = port2;
    }
    const data: ShardWorkerData = {
      hubs,
      shardId: slot.shard,
      shardCount: this.#slots.length,
      generation: slot.generation,
      modules: this.#opts.modules,
      settings: this.#opts.settings,
      moduleConfig: this.#opts.moduleConfig,
      logLevel: this.#opts.logLevel,
      logFd: logDestination(),
    };
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: data,
      transferList: Object.values(hubs),
      name: `fleetgate-shard-${slot.shard}`,
    });
    slot.worker = worker;
    worker.on('message', (m: FromWorker) => this.#onWorkerMessage(slot, worker, m));
    worker.on('error', (err) => this.#log.error({ shard: slot.shard, err: errSummary(err) }, 'shard worker crashed'));
    worker.on('exit', (code) => this.#onExit(slot, worker, code));
    return this.#await(slot, 'setup-done');
  }

  #await(slot: Slot, t: 'setup-done' | 'ready'): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = -1 - this.#seq++;
      slot.waiters.set(id, (m) => {
        if (m === null) reject(new RuntimeError(RuntimeCodes.SHARD_UNAVAILABLE, `shard ${slot.shard} exited while starting`));
        else if (m.t === t) resolve();
        else if (m.t === 'setup-failed') reject(new RuntimeError(m.error.code, `shard ${slot.shard} failed to start: ${m.error.message}`));
        else reject(new RuntimeError(RuntimeCodes.SHARD_UNAVAILABLE, `shard ${slot.shard} exited while starting`));
      });
    });
  }

  #startServices(slot: Slot): Promise<void> {
    const ready = this.#await(slot, 'ready');
    this.#post(slot, { t: 'start' });
    return ready.then(() => {
      slot.up = true;
    });
  }

  /** Full mesh: one channel per pair of shards, and one from the main thread to each. */
  #wireAll(): void {
    for (const s of this.#slots) this.#wire(s, (o) => o.shard < s.shard);
  }

  #wire(slot: Slot, withPeer: (other: Slot) => boolean): void {
    for (const other of this.#slots) {
      if (other === slot || other.worker === null || !withPeer(other)) continue;
      const { port1, port2 } = new MessageChannel();
      this.#post(slot, { t: 'peer', shard: other.shard, port: port1 }, [port1]);
      this.#post(other, { t: 'peer', shard: slot.shard, port: port2 }, [port2]);
    }
    const { port1, port2 } = new MessageChannel();
    this.#post(slot, { t: 'main-port', port: port2 }, [port2]);
    this.#router.connect(slot.shard, port1);
  }

  /** Posts to a worker; false when it is gone (it may have exited before its 'exit' event). */
  #post(slot: Slot, m: ToWorker, transfer?: readonly import('node:worker_threads').TransferListItem[]): boolean {
    if (slot.worker === null) return false;
    try {
      slot.worker.postMessage(m, transfer);
      return true;
    } catch {
      return false;
    }
  }

  #onWorkerMessage(slot: Slot, worker: Worker, m: FromWorker): void {
    if (slot.worker !== worker) return;
    switch (m.t) {
      case 'hash':
        this.#pool.serve(m.request).then(
          (value) => this.#post(slot, { t: 'hash-reply', id: m.id, ok: true, value }),
          (err: unknown) => this.#post(slot, { t: 'hash-reply', id: m.id, ok: false, error: toWireError(err) }),
        );
        return;
      case 'pong':
      case 'metrics':
      case 'probe':
      case 'ack':
      case 'reloaded':
        slot.waiters.get(m.id)?.(m);
        slot.waiters.delete(m.id);
        return;
      default:
        // lifecycle answers: setup-done, ready, setup-failed, stopped
        for (const [id, w] of slot.waiters) {
          if (id < 0) {
            slot.waiters.delete(id);
            w(m);
          }
        }
    }
  }

  #onExit(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    slot.up = false;
    const waiters = [...slot.waiters.values()];
    slot.waiters.clear();
    for (const w of waiters) w(null);
    if (this.#stopping) return;
    // Everyone stops waiting on the dead shard now, not at their ask deadlines.
    this.#router.peerDown(slot.shard);
    for (const other of this.#slots) if (other.worker) this.#post(other, { t: 'peer-down', shard: slot.shard });
    slot.consecutiveDeaths++;
    const { min, max } = this.#opts.restartBackoffMs;
    const delay = Math.min(max, min * 2 ** (slot.consecutiveDeaths - 1));
    this.#log.error({ shard: slot.shard, code, restartInMs: delay }, 'shard worker died; replacing it');
    setTimeout(() => void this.#replace(slot), delay).unref();
  }

  async #replace(slot: Slot): Promise<void> {
    if (this.#stopping) return;
    slot.generation++;
    try {
      await this.#spawn(slot);
      this.#wire(slot, () => true);
      await this.#startServices(slot);
      this.#restarts++;
      this.#log.info({ shard: slot.shard, generation: slot.generation }, 'shard worker replaced');
      // A reload asked for while this worker was being spawned may have come after it read its
      // files, and it did not get the request: it reloads now, as the other shards did.
      if (slot.reloadsAtSpawn < this.#reloads) {
        const a = await this.#request<Extract<FromWorker, { t: 'reloaded' }>>(slot, (id) => ({ t: 'reload', id }), 10_000);
        if (a === null) this.#log.warn({ shard: slot.shard }, 'the replaced shard did not answer its catch-up reload');
        else if (a.failed.length > 0) this.#log.error({ shard: slot.shard, failed: a.failed }, 'the replaced shard kept its previous files on its catch-up reload');
      }
      // A worker that stays up for a while earns back the short backoff.
      setTimeout(() => {
        if (slot.up) slot.consecutiveDeaths = 0;
      }, 30_000).unref();
      this.emit('shard-restarted', slot.shard, slot.generation);
    } catch (err) {
      this.#log.error({ shard: slot.shard, err: errSummary(err) }, 'replacing the shard worker failed');
      if (slot.worker) void slot.worker.terminate();
    }
  }

  // ---- health and metrics ----

  #request<T extends FromWorker>(slot: Slot, make: (id: number) => ToWorker, timeoutMs: number): Promise<T | null> {
    if (!slot.up || slot.worker === null) return Promise.resolve(null);
    return new Promise((resolve) => {
      const id = ++this.#seq;
      const timer = setTimeout(() => {
        slot.waiters.delete(id);
        resolve(null);
      }, timeoutMs);
      slot.waiters.set(id, (m) => {
        clearTimeout(timer);
        resolve(m as T | null);
      });
      if (!this.#post(slot, make(id))) {
        clearTimeout(timer);
        slot.waiters.delete(id);
        resolve(null);
      }
    });
  }

  /**
   * Asks every shard to re-read its configuration files (the modules' reload hooks) and
   * resolves when each has answered or `timeoutMs` passed, with the ReloadReport; refused files
   * and silent shards are also logged. ERR_STOPPING once stop() was called.
   */
  async reload(timeoutMs = 10_000): Promise<ReloadReport> {
    if (this.#stopping) throw new RuntimeError(RuntimeCodes.STOPPING, 'the runtime is stopping; nothing is reloaded');
    this.#reloads++;
    const answers = await Promise.all(
      this.#slots.map((s) => this.#request<Extract<FromWorker, { t: 'reloaded' }>>(s, (id) => ({ t: 'reload', id }), timeoutMs)),
    );
    const report: ReloadReport = { reloaded: [], failed: [], unanswered: [] };
    this.#slots.forEach((s, i) => {
      const a = answers[i];
      if (a === null || a === undefined) report.unanswered.push(s.shard);
      else if (a.failed.length === 0) report.reloaded.push(s.shard);
      else for (const f of a.failed) report.failed.push({ shard: s.shard, code: f.code, message: f.message });
    });
    if (report.failed.length > 0) this.#log.error({ failed: report.failed }, 'shards kept their previous files: the reload did not take everywhere');
    if (report.unanswered.length > 0) this.#log.warn({ unanswered: report.unanswered }, 'shards did not answer the reload');
    return report;
  }

  /** Pings every shard (which runs its modules' health checks). */
  async health(): Promise<HealthReport> {
    const timeout = this.#opts.healthTimeoutMs;
    const answers = await Promise.all(
      this.#slots.map((s) => this.#request<Extract<FromWorker, { t: 'pong' }>>(s, (id) => ({ t: 'ping', id }), timeout)),
    );
    const problems: HealthProblem[] = [];
    const shards: HealthReport['shards'] = [];
    answers.forEach((a, i) => {
      const slot = this.#slots[i]!;
      if (a === null) {
        problems.push({
          component: `shard-${i}`,
          code: RuntimeCodes.SHARD_UNAVAILABLE,
          message: slot.up ? `shard ${i} did not answer within ${timeout} ms` : `shard ${i} is down`,
        });
        shards.push({ shard: i, up: false, generation: slot.generation });
        return;
      }
      shards.push({ ...a.stats, shard: i, up: true, generation: slot.generation });
      for (const p of a.problems) if (!problems.some((q) => q.component === p.component && q.code === p.code)) problems.push(p);
    });
    return { ok: problems.length === 0, shards, problems };
  }

  /** Prometheus text for the whole process: every shard's registry plus the main thread's. */
  async metrics(): Promise<string> {
    const parts = await Promise.all(
      this.#slots.map((s) => this.#request<Extract<FromWorker, { t: 'metrics' }>>(s, (id) => ({ t: 'metrics', id }), 2000)),
    );
    const all: MetricObjectWithValues<MetricValue<string>>[][] = [await this.#registry.getMetricsAsJSON()];
    for (const p of parts) if (p !== null) all.push(JSON.parse(p.json) as MetricObjectWithValues<MetricValue<string>>[]);
    return AggregatorRegistry.aggregate(all).metrics();
  }

  get metricsContentType(): string {
    return this.#registry.contentType;
  }

  #mainMetrics(): void {
    const r = this.#registry;
    r.setDefaultLabels({ shard: 'main' });
    collectDefaultMetrics({ register: r });
    eventLoopDelayGauge(r);
    const pool = this.#pool;
    const slots = this.#slots;
    let last = { completed: 0, rejectedBusy: 0 };
    // Registered first: prom-client collects in registration order, and this collector moves the
    // pool's figures into the histogram and counters below before they are serialised.
    new Gauge({
      name: 'fleetgate_hashing_queue_depth',
      help: 'Hashing tasks waiting for a thread',
      registers: [r],
      collect() {
        const s = pool.takeStats();
        this.set(s.queued);
        for (const d of s.durations) duration.observe(d);
        tasks.inc(s.completed - last.completed);
        busy.inc(s.rejectedBusy - last.rejectedBusy);
        last = { completed: s.completed, rejectedBusy: s.rejectedBusy };
      },
    });
    const duration = new Histogram({
      name: 'fleetgate_hashing_duration_seconds',
      help: 'Time a hashing task spent in the pool, queue included',
      buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers: [r],
    });
    const tasks = new Counter({ name: 'fleetgate_hashing_tasks_total', help: 'Hashing tasks completed', registers: [r] });
    const busy = new Counter({ name: 'fleetgate_hashing_rejected_total', help: 'Hashing tasks refused because the queue was full', registers: [r] });
    new Gauge({
      name: 'fleetgate_shards_up',
      help: 'Shard workers serving',
      registers: [r],
      collect() {
        this.set(slots.filter((s) => s.up).length);
      },
    });
    new Gauge({
      name: 'fleetgate_shard_restarts',
      help: 'Shard workers replaced since start',
      registers: [r],
      collect: () => {
        (r.getSingleMetric('fleetgate_shard_restarts') as Gauge).set(this.#restarts);
      },
    });
  }

  // ---- shutdown ----

  /**
   * Stops in three phases, so that nothing in flight is lost and nothing waits forever:
   *  1. every shard stops its services (no new work from outside) and the main thread stops
   *     taking tells and asks;
   *  2. drain: the mesh is quiet when every shard is idle and the data-plane entries sent equal
   *     those received, summed over all threads, in two probes in a row (counting termination
   *     detection: a message in flight is sent but not yet received). Bounded by drainTimeoutMs;
   *  3. every shard passivates its activations and exits; the hashing pool closes last.
   * Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const live = (): Slot[] => this.#slots.filter((s) => s.worker !== null && s.up);
    await Promise.all(live().map((s) => this.#request(s, (id) => ({ t: 'quiesce', id }), 10_000)));
    await this.#drain(live);
    const grace = 10_000;
    await Promise.all(
      this.#slots.map(async (slot) => {
        const w = slot.worker;
        if (!w) return;
        const exited = new Promise<void>((r) => w.once('exit', () => r()));
        this.#post(slot, { t: 'stop' });
        const timer = setTimeout(() => void w.terminate(), grace);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.#router.failAll(RuntimeCodes.STOPPING, 'the runtime stopped');
    this.#router.close();
    for (const hub of this.#opts.hubs) {
      try {
        await hub.close?.();
      } catch (err) {
        this.#log.warn({ hub: hub.name, err: errSummary(err) }, 'hub failed to close cleanly');
      }
    }
    await this.#pool.close();
  }

  async #drain(live: () => Slot[]): Promise<void> {
    const deadline = Date.now() + this.#opts.settings.drainTimeoutMs;
    const main = this.#slots.length;
    let previous = '';
    while (Date.now() < deadline) {
      const slots = live();
      const probes = await Promise.all(slots.map((s) => this.#request<Extract<FromWorker, { t: 'probe' }>>(s, (id) => ({ t: 'probe', id }), 2000)));
      const mine = this.#router.linkCounts();
      let balanced = true;
      const counts: number[] = [];
      probes.forEach((p, i) => {
        if (p === null) return; // a shard that does not answer holds no work we can still save
        const a = slots[i]!.shard;
        balanced &&= p.quiet;
        // Every link into shard a, from every live shard b and from the main thread, is empty.
        probes.forEach((q, j) => {
          if (q === null) return;
          const b = slots[j]!.shard;
          if (a !== b) balanced &&= q.sentTo[a] === p.receivedFrom[b];
        });
        balanced &&= mine.sentTo[a] === p.receivedFrom[main] && p.sentTo[main] === mine.receivedFrom[a];
        counts.push(...p.sentTo, ...p.receivedFrom);
      });
      const snapshot = counts.join(',');
      if (balanced && snapshot === previous) return;
      previous = balanced ? snapshot : '';
      await new Promise((r) => setTimeout(r, 2));
    }
    this.#log.warn({ drainTimeoutMs: this.#opts.settings.drainTimeoutMs }, 'shutdown drain timed out; passivating with work pending');
  }
}
