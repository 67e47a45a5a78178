/**
 * The contract of a load-generator module: the code a worker thread runs. A scenario points
 * the pool at its module (`new URL('./publish-generator.js', import.meta.url)`), and each
 * worker imports it and calls its named export `createGenerator` once, before the start line.
 *
 *   export const createGenerator: CreateGenerator<MyParams> = async (init) => {
 *     const client = await connect(init.target, init.params);   // setup is not measured
 *     return { call: () => client.publish(...), close: () => client.close() };
 *   };
 *
 * `call` is one operation: resolve on success, reject on failure (rejections are counted by
 * their string `code`). The framework times it: closed loop from call to settle, open loop from
 * the operation's intended send time (coordinated-omission correction).
 */
import type { Histogram } from './histogram.js';
import type { Target } from './target.js';

export interface GeneratorInit<P> {
  readonly workerIndex: number;
  readonly workerCount: number;
  /** Concurrent calls this worker may have outstanding (closed loop: lanes; open loop: cap). */
  readonly lanes: number;
  /** What the scenario passed in its LoadSpec (structured-cloned into the worker). */
  readonly params: P;
  /** The server under load for this side of the run (undefined: the scenario's own). */
  readonly target: Target | undefined;
  /** A named histogram (microseconds) merged by name across workers into LoadResult.histograms. */
  histogram(name: string): Histogram;
  /** Adds to a named counter summed across workers into LoadResult.counters. */
  count(name: string, n?: number): void;
}

export interface LoadGenerator {
  /** One operation. Closed loop: `lane` is the caller (0 .. lanes-1), one call at a time per
   *  lane, so per-lane state (a connection) needs no locking. Open loop: always 0. */
  call(lane: number): Promise<void>;
  /** Releases connections after the run (bounded by the pool's drain grace). */
  close?(): Promise<void>;
}

export type CreateGenerator<P> = (init: GeneratorInit<P>) => LoadGenerator | Promise<LoadGenerator>;
