/**
 * The hashing pool: one piscina pool per process, owned by the main thread, shared by every
 * shard (shards send their requests over the control port; see cluster.ts). Sized to the cores,
 * with a bounded queue: when it is full, callers get ERR_HASHING_BUSY and answer "busy" upstream.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { HashingError } from '../errors.js';
import type { HashRequest, HashResult } from '../messages.js';
import type { Argon2Params, HashTask, HashTaskResult } from './task.js';

export const HashingCodes = {
  BUSY: 'ERR_HASHING_BUSY',
  FORMAT: 'ERR_HASH_FORMAT',
  FAILED: 'ERR_HASHING_FAILED',
  CLOSED: 'ERR_HASHING_CLOSED',
} as const;

export interface HashPoolOptions extends Argon2Params {
  threads: number;
  maxQueue: number;
}

export const defaultHashPoolOptions = (): HashPoolOptions => ({
  threads: availableParallelism(),
  maxQueue: 4096,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

/** What the shards and the credential actors need from hashing. */
export interface Hasher {
  hash(secret: string): Promise<string>;
  verify(secret: string, hash: string): Promise<{ ok: boolean; needsRehash: boolean }>;
}

export interface HashPoolStats {
  queued: number;
  running: number;
  completed: number;
  rejectedBusy: number;
  /** Seconds per task, successes and failures alike. */
  durations: number[];
}

export class HashPool implements Hasher {
  readonly #pool: Piscina;
  readonly #params: Argon2Params;
  #completed = 0;
  #rejectedBusy = 0;
  #running = 0;
  #closed = false;
  /** Recent task durations (seconds) for the metrics histogram; drained by the collector. */
  #durations: number[] = [];

  constructor(opts: HashPoolOptions) {
    if (!(opts.threads >= 1)) throw new TypeError(`hashing threads must be >= 1, got ${opts.threads}`);
    this.#params = { memoryCost: opts.memoryCost, timeCost: opts.timeCost, parallelism: opts.parallelism };
    this.#pool = new Piscina({
      filename: new URL('./task.js', import.meta.url).href,
      minThreads: opts.threads,
      maxThreads: opts.threads,
      maxQueue: opts.maxQueue,
      // argon2 waits on libuv's pool; one task per thread keeps the work to one core a thread.
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
  }

  get threads(): number {
    return this.#pool.threads.length;
  }

  hash(secret: string): Promise<string> {
    return this.#run({ op: 'hash', secret, params: this.#params }).then((r) => (r as { hash: string }).hash);
  }

  verify(secret: string, hash: string): Promise<{ ok: boolean; needsRehash: boolean }> {
    return this.#run({ op: 'verify', secret, hash, params: this.#params }).then((r) => {
      const v = r as { ok: boolean; needsRehash: boolean };
      return { ok: v.ok, needsRehash: v.needsRehash };
    });
  }

  /** Serves a request that came from a shard over the control port. */
  async serve(req: HashRequest): Promise<HashResult> {
    if (req.op === 'hash') return { op: 'hash', hash: await this.hash(req.secret) };
    const v = await this.verify(req.secret, req.hash);
    return { op: 'verify', ok: v.ok, needsRehash: v.needsRehash };
  }

  async #run(task: HashTask): Promise<HashTaskResult> {
    if (this.#closed) throw new HashingError(HashingCodes.CLOSED, 'the hashing pool is closed');
    if (this.#pool.queueSize >= this.#pool.options.maxQueue) {
      this.#rejectedBusy++;
      throw new HashingError(HashingCodes.BUSY, 'the hashing pool is saturated, try again later');
    }
    const t0 = performance.now();
    this.#running++;
    let res: HashTaskResult;
    try {
      res = (await this.#pool.run(task)) as HashTaskResult;
    } catch (err) {
      throw new HashingError(HashingCodes.FAILED, 'hashing failed', { cause: err });
    } finally {
      this.#running--;
      this.#completed++;
      if (this.#durations.length < 10_000) this.#durations.push((performance.now() - t0) / 1000);
    }
    if (res.op === 'error') throw new HashingError(res.code, res.message);
    return res;
  }

  /** Counters and the durations recorded since the last call. */
  takeStats(): HashPoolStats {
    const durations = this.#durations;
    this.#durations = [];
    return {
      queued: this.#pool.queueSize,
      running: this.#running,
      completed: this.#completed,
      rejectedBusy: this.#rejectedBusy,
      durations,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
  }
}
