/**
 * `runtime`: what the actor runtime carries on this machine (see runtime-core.ts for the method).
 * Targets on a 2-core machine: cross-shard tell >= 1,000,000/s, same-shard tell >= 3,000,000/s,
 * idle actor <= 1 KiB of heap.
 */
import type { Scenario } from '../scenario.js';
import { runRuntimeBench } from './runtime-core.js';

export const runtimeScenario: Scenario = {
  name: 'runtime',
  summary: 'actor runtime: tell throughput within and across shards, ask round trip, activations, bytes per idle actor',
  options: [
    { name: 'shards', type: 'integer', min: 2, max: 64, default: 2, description: 'shard worker threads' },
    { name: 'tells', type: 'integer', min: 1000, default: 2_000_000, description: 'tells per throughput run' },
    { name: 'asks', type: 'integer', min: 100, default: 20_000, description: 'sequential asks for the round-trip figures' },
    { name: 'actors', type: 'integer', min: 1000, default: 1_000_000, description: 'idle actors activated for the memory figure' },
    { name: 'runs', type: 'integer', min: 1, max: 20, default: 3, description: 'throughput runs (the median is reported)' },
  ],
  targets: [],
  peers: [],
  headline: ['crossShardTellPerSec', 'sameShardTellPerSec', 'askRttP99Us', 'bytesPerIdleActor'],
  async run(ctx) {
    const figures = await runRuntimeBench({
      shards: ctx.options.number('shards'),
      tells: ctx.options.number('tells'),
      asks: ctx.options.number('asks'),
      actors: ctx.options.number('actors'),
      rounds: ctx.options.number('runs'),
      progress: (line) => ctx.progress.note(line),
    });
    return { figures: { ...figures }, errors: 0 };
  },
};
