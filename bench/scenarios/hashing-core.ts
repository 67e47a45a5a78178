/**
 * The `hashing` bench: argon2id verifications per second through the hashing pool, as the shards
 * use it, against a bare loop of argon2.verify calls keeping every core busy in this process, in
 * alternating rounds of the same run; and the p99 event-loop delay of every shard during the
 * storm (the pool exists so that no event loop ever hashes).
 */
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { Cluster, shardOf } from '../../runtime/index.js';

export interface HashingBenchOptions {
  shards: number;
  threads: number;
  durationMs: number;
  rounds: number;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  progress?: (line: string) => void;
}

export interface HashingFigures {
  poolVerifyPerSec: number;
  bareVerifyPerSec: number;
  ratio: number;
  eventLoopDelayP99Ms: number;
  errors: number;
}

const MODULE = new URL('../actors/hashing-actors.js', import.meta.url).href;

function keyOn(shard: number, count: number): string {
  for (let i = 0; ; i++) if (shardOf('bench-verifier', `v${i}`, count) === shard) return `v${i}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Largest per-shard p99 event-loop delay in a Prometheus scrape, in ms. */
function worstShardDelayP99(text: string): number {
  let worst = 0;
  for (const m of text.matchAll(/^fleetgate_event_loop_delay_seconds\{quantile="0\.99",shard="(\d+)"\} ([0-9.e+-]+)$/gm)) {
    worst = Math.max(worst, Number(m[2]) * 1000);
  }
  return worst;
}

async function bare(hash: string, secret: string, concurrency: number, durationMs: number): Promise<number> {
  const end = performance.now() + durationMs;
  let done = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      if (await argon2.verify(hash, secret)) done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  return done / ((performance.now() - t0) / 1000);
}

export async function runHashingBench(o: HashingBenchOptions): Promise<HashingFigures> {
  const say = o.progress ?? (() => undefined);
  const params = { memoryCost: o.memoryCost, timeCost: o.timeCost, parallelism: o.parallelism };
  const secret = 'bench-secret-0123456789';
  const hash = await argon2.hash(secret, { type: argon2.argon2id, ...params });
  const cores = availableParallelism();
  const cluster = await Cluster.start({
    shards: o.shards,
    modules: [MODULE],
    logLevel: 'warn',
    settings: { mailboxCapacity: 64, idlePassivationMs: 3_600_000, askTimeoutMs: 600_000, maxBatch: 4096, turnBudget: 8192, drainTimeoutMs: 5000 },
    hashing: { threads: o.threads, maxQueue: 4096, ...params },
  });
  try {
    // Enough requests in flight to keep every pool thread busy, split over the shards.
    const perShard = Math.max(1, Math.ceil((2 * o.threads) / o.shards));
    const storm = async (durationMs: number): Promise<{ perSec: number; failed: number; delayMs: number }> => {
      await cluster.metrics(); // resets every thread's event-loop delay histogram
      const results = await Promise.all(
        Array.from({ length: o.shards }, (_, s) =>
          cluster.ask<{ done: number; failed: number; seconds: number }>('bench-verifier', keyOn(s, o.shards), { hash, secret, concurrency: perShard, durationMs }),
        ),
      );
      const delayMs = worstShardDelayP99(await cluster.metrics());
      const seconds = Math.max(...results.map((r) => r.seconds));
      return { perSec: results.reduce((a, r) => a + r.done, 0) / seconds, failed: results.reduce((a, r) => a + r.failed, 0), delayMs };
    };
    await storm(Math.min(1000, o.durationMs));
    await bare(hash, secret, cores, Math.min(1000, o.durationMs));
    const pool: number[] = [];
    const bareRates: number[] = [];
    const delays: number[] = [];
    let errors = 0;
    for (let r = 0; r < o.rounds; r++) {
      const s = await storm(o.durationMs);
      pool.push(s.perSec);
      delays.push(s.delayMs);
      errors += s.failed;
      bareRates.push(await bare(hash, secret, cores, o.durationMs));
      say(`round ${r + 1}/${o.rounds}: pool ${s.perSec.toFixed(1)}/s, bare ${bareRates.at(-1)!.toFixed(1)}/s, shard event-loop p99 ${s.delayMs.toFixed(2)} ms`);
    }
    const poolVerifyPerSec = median(pool);
    const bareVerifyPerSec = median(bareRates);
    return {
      poolVerifyPerSec: Number(poolVerifyPerSec.toFixed(1)),
      bareVerifyPerSec: Number(bareVerifyPerSec.toFixed(1)),
      ratio: Number((poolVerifyPerSec / bareVerifyPerSec).toFixed(3)),
      eventLoopDelayP99Ms: Number(Math.max(...delays).toFixed(2)),
      errors,
    };
  } finally {
    await cluster.stop();
  }
}
