/**
 * The `runtime` bench: what the actor runtime itself can carry on this machine.
 *  - tell throughput across shards (source on shard 0, sink on shard 1) and within one shard;
 *  - ask round trip across shards (sequential, so it is latency, not throughput);
 *  - activation rate and heap bytes per idle activation (every shard activates its share).
 * Each throughput figure is the median of `rounds` runs after a warm-up run.
 */
import { Cluster, shardOf } from '../../runtime/index.js';

export interface RuntimeBenchOptions {
  shards: number;
  tells: number;
  asks: number;
  actors: number;
  rounds: number;
  progress?: (line: string) => void;
}

export interface RuntimeFigures {
  crossShardTellPerSec: number;
  /** Cross-shard, each message to a different one of 1,024 sinks than the one before. */
  crossShardTellManyTargetsPerSec: number;
  sameShardTellPerSec: number;
  askRttP50Us: number;
  askRttP99Us: number;
  activationsPerSec: number;
  bytesPerIdleActor: number;
}

const MODULE = new URL('../actors/runtime-actors.js', import.meta.url).href;

function keyOn(kind: string, shard: number, count: number, prefix: string): string {
  for (let i = 0; ; i++) if (shardOf(kind, `${prefix}${i}`, count) === shard) return `${prefix}${i}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runRuntimeBench(o: RuntimeBenchOptions): Promise<RuntimeFigures> {
  if (o.shards < 2) throw new TypeError('the runtime bench needs at least 2 shards to measure cross-shard traffic');
  const say = o.progress ?? (() => undefined);
  const cluster = await Cluster.start({
    shards: o.shards,
    modules: [MODULE],
    logLevel: 'warn',
    settings: { mailboxCapacity: 1024, idlePassivationMs: 3_600_000, askTimeoutMs: 120_000, maxBatch: 4096, turnBudget: 8192, drainTimeoutMs: 5000 },
    hashing: { threads: 1, maxQueue: 16, memoryCost: 1024, timeCost: 1, parallelism: 1 },
  });
  try {
    const source = keyOn('bench-source', 0, o.shards, 'src');
    const farSink = keyOn('bench-sink', 1, o.shards, 'far');
    const nearSink = keyOn('bench-sink', 0, o.shards, 'near');
    const echo = keyOn('bench-echo', 1, o.shards, 'echo');
    const blast = (to: string, count: number): Promise<number> => cluster.ask<number>('bench-source', source, { op: 'blast', to, count }, 600_000);

    await blast(farSink, Math.min(o.tells, 200_000));
    await blast(nearSink, Math.min(o.tells, 200_000));
    const manySinks = Array.from({ length: 1024 }, (_, i) => keyOn('bench-sink', 1, o.shards, `many${i}-`));
    const blastMany = (count: number): Promise<number> =>
      cluster.ask<number>('bench-source', source, { op: 'blast-many', to: manySinks, count }, 600_000);
    await blastMany(Math.min(o.tells, 200_000));
    const cross: number[] = [];
    const crossMany: number[] = [];
    const same: number[] = [];
    for (let r = 0; r < o.rounds; r++) {
      cross.push(await blast(farSink, o.tells));
      crossMany.push(await blastMany(o.tells));
      same.push(await blast(nearSink, o.tells));
      say(
        `round ${r + 1}/${o.rounds}: cross-shard ${Math.round(cross.at(-1)!)} msg/s ` +
          `(${Math.round(crossMany.at(-1)!)} over 1,024 targets), same-shard ${Math.round(same.at(-1)!)} msg/s`,
      );
    }

    await cluster.ask('bench-source', source, { op: 'pingpong', to: echo, count: Math.min(2000, o.asks) }, 600_000);
    const rtts = (await cluster.ask<number[]>('bench-source', source, { op: 'pingpong', to: echo, count: o.asks }, 600_000)).sort((a, b) => a - b);
    say(`ask round trip: p50 ${percentile(rtts, 50).toFixed(1)} us, p99 ${percentile(rtts, 99).toFixed(1)} us`);

    const perShard = Math.ceil(o.actors / o.shards);
    const spawned = await Promise.all(
      Array.from({ length: o.shards }, (_, s) =>
        cluster.ask<{ perSec: number; heapDelta: number }>('bench-source', keyOn('bench-source', s, o.shards, 'spawner'), { op: 'spawn', count: perShard }, 600_000),
      ),
    );
    const total = perShard * o.shards;
    const activationsPerSec = spawned.reduce((a, s) => a + s.perSec, 0);
    const bytesPerIdleActor = spawned.reduce((a, s) => a + s.heapDelta, 0) / total;
    say(`activations: ${Math.round(activationsPerSec)}/s, ${bytesPerIdleActor.toFixed(0)} heap bytes per idle actor at ${total} actors`);

    return {
      crossShardTellPerSec: Math.round(median(cross)),
      crossShardTellManyTargetsPerSec: Math.round(median(crossMany)),
      sameShardTellPerSec: Math.round(median(same)),
      askRttP50Us: Number(percentile(rtts, 50).toFixed(1)),
      askRttP99Us: Number(percentile(rtts, 99).toFixed(1)),
      activationsPerSec: Math.round(activationsPerSec),
      bytesPerIdleActor: Math.round(bytesPerIdleActor),
    };
  } finally {
    await cluster.stop();
  }
}
