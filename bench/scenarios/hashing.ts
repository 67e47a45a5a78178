/**
 * `hashing`: argon2id verifications/s through the pool against a bare argon2 loop on all cores
 * (target ratio >= 0.9), and the worst shard's p99 event-loop delay during the storm (<= 10 ms).
 */
import { availableParallelism } from 'node:os';
import type { Scenario } from '../scenario.js';
import { runHashingBench } from './hashing-core.js';

export const hashingScenario: Scenario = {
  name: 'hashing',
  summary: 'hashing pool: argon2id verifications/s vs a bare loop on all cores, shard event-loop delay during the storm',
  options: [
    { name: 'shards', type: 'integer', min: 1, max: 64, default: 2, description: 'shard worker threads issuing verifications' },
    { name: 'threads', type: 'integer', min: 1, max: 256, default: availableParallelism(), description: 'hashing pool threads' },
    { name: 'seconds', type: 'number', gt: 0, max: 600, default: 5, description: 'length of each storm and each bare run' },
    { name: 'runs', type: 'integer', min: 1, max: 20, default: 3, description: 'alternating pool/bare runs (medians reported)' },
    { name: 'memory-cost', type: 'integer', min: 1024, default: 19456, description: 'argon2id memory in KiB' },
    { name: 'time-cost', type: 'integer', min: 1, default: 2, description: 'argon2id iterations' },
  ],
  targets: [],
  peers: [],
  headline: ['poolVerifyPerSec', 'bareVerifyPerSec', 'ratio', 'eventLoopDelayP99Ms'],
  async run(ctx) {
    const { errors, ...figures } = await runHashingBench({
      shards: ctx.options.number('shards'),
      threads: ctx.options.number('threads'),
      durationMs: ctx.options.number('seconds') * 1000,
      rounds: ctx.options.number('runs'),
      memoryCost: ctx.options.number('memory-cost'),
      timeCost: ctx.options.number('time-cost'),
      parallelism: 1,
      progress: (line) => ctx.progress.note(line),
    });
    return { figures: { ...figures }, errors };
  },
};
