/**
 * Per-thread metrics. Each thread keeps its own prom-client registry labelled with its shard;
 * the main thread gathers every registry as JSON on a scrape and aggregates them into one
 * answer (prom-client's AggregatorRegistry.aggregate). Hot-path figures are plain counters on
 * the shard, copied into prom-client only when scraped.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Router } from './router.js';
import type { Shard } from './shard.js';

/** Monotonic counter whose value is read from a source at scrape time (a plain number the hot
 *  path increments, copied into prom-client only when scraped). */
export function sourcedCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** Event-loop delay of this thread since the previous scrape: p50, p99 and max, in seconds. */
export function eventLoopDelayGauge(registry: Registry): IntervalHistogram {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  new Gauge({
    name: 'fleetgate_event_loop_delay_seconds',
    help: 'Event-loop delay of the thread since the previous scrape',
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      this.set({ quantile: '0.5' }, h.percentile(50) / 1e9);
      this.set({ quantile: '0.99' }, h.percentile(99) / 1e9);
      this.set({ quantile: '1' }, h.max / 1e9);
      h.reset();
    },
  });
  return h;
}

export function shardRegistry(shard: Shard, router: Router, generation: number): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ shard: String(shard.shardId) });
  const c = shard.counters;
  sourcedCounter(registry, 'fleetgate_actor_messages_total', 'Messages handled by actors', () => c.messages);
  sourcedCounter(registry, 'fleetgate_actor_activations_total', 'Actor activations', () => c.activations);
  sourcedCounter(registry, 'fleetgate_actor_activation_failures_total', 'Actor activations that failed', () => c.activationFailures);
  sourcedCounter(registry, 'fleetgate_actor_passivations_total', 'Actor deactivations', () => c.passivations);
  sourcedCounter(registry, 'fleetgate_actor_restarts_total', 'Activations replaced after a handler failed', () => c.restarts);
  sourcedCounter(registry, 'fleetgate_mailbox_rejected_total', 'Messages refused because a mailbox was full', () => c.rejectedFull);
  sourcedCounter(registry, 'fleetgate_tells_dropped_total', 'Cross-shard tells that could not be delivered', () => c.droppedTells);
  sourcedCounter(registry, 'fleetgate_shard_batches_sent_total', 'Cross-thread batches sent', () => router.counters.batchesSent);
  sourcedCounter(registry, 'fleetgate_shard_entries_sent_total', 'Cross-thread messages sent', () => router.counters.entriesSent);
  new Gauge({
    name: 'fleetgate_actors_active',
    help: 'Activated actors on the shard',
    registers: [registry],
    collect() {
      this.set(shard.activeActors);
    },
  });
  new Gauge({
    name: 'fleetgate_mailbox_depth',
    help: 'Messages waiting in the mailboxes of the shard',
    registers: [registry],
    collect() {
      this.set(shard.mailboxDepth);
    },
  });
  new Gauge({
    name: 'fleetgate_asks_pending',
    help: 'Asks sent by the shard and not yet answered',
    registers: [registry],
    collect() {
      this.set(router.pendingAsks);
    },
  });
  new Gauge({
    name: 'fleetgate_shard_generation',
    help: 'How many times the shard worker was replaced',
    registers: [registry],
    collect() {
      this.set(generation);
    },
  });
  new Gauge({
    name: 'fleetgate_thread_heap_used_bytes',
    help: 'V8 heap used by the thread',
    registers: [registry],
    collect() {
      this.set(getHeapStatistics().used_heap_size); // this isolate's heap, not the process's
    },
  });
  eventLoopDelayGauge(registry);
  return registry;
}
