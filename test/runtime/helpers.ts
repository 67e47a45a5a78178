/** Shared by the runtime tests that start a cluster of real worker threads. */
import { shardOf, type ClusterOptions } from '../../runtime/index.js';

const FIXTURE = new URL('../fixtures/test-actors.js', import.meta.url).href;

export function clusterOptions(over: Partial<ClusterOptions> = {}): ClusterOptions {
  return {
    shards: 2,
    modules: [FIXTURE],
    logLevel: 'silent',
    settings: { mailboxCapacity: 1024, idlePassivationMs: 60_000, askTimeoutMs: 5000, maxBatch: 512, turnBudget: 4096, drainTimeoutMs: 5000 },
    hashing: { threads: 1, maxQueue: 64, memoryCost: 1024, timeCost: 1, parallelism: 1 },
    restartBackoffMs: { min: 10, max: 100 },
    ...over,
  };
}

/** A key of `kind` that lands on `shard` out of `count`. */
export function keyOn(kind: string, shard: number, count: number, prefix = 'k'): string {
  for (let i = 0; ; i++) if (shardOf(kind, `${prefix}${i}`, count) === shard) return `${prefix}${i}`;
}
