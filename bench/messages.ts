/**
 * Every message between the pool (main thread) and a load worker, in one place.
 *
 * One worker runs one load, so the worker index is the correlation id. Ordering the pool
 * relies on: a port delivers in send order, so a worker's `tick`s all arrive before its `done`
 * or `failed`, and the pool sends `start` only after every worker's `ready` (setup, such as
 * opening connections, is never inside the measured window).
 */
import type { LoopPlan } from './loop.js';
import type { Target } from './target.js';

export interface WireError {
  code: string;
  message: string;
}

/** main -> worker, once, as `workerData`. */
export interface WorkerInit {
  readonly generator: string;
  readonly params: unknown;
  readonly target: Target | undefined;
  readonly workerIndex: number;
  readonly workerCount: number;
  readonly plan: LoopPlan;
}

/** main -> worker: begin at this wall-clock instant (all workers share the start line). */
export interface StartMessage {
  readonly type: 'start';
  readonly startAtEpochMs: number;
}

/** main -> worker: stop issuing now (hard cap or abort); the worker still answers `done`. */
export interface StopMessage {
  readonly type: 'stop';
}

export type ToWorker = StartMessage | StopMessage;

export interface ReadyMessage {
  readonly type: 'ready';
  readonly workerIndex: number;
}

export interface TickMessage {
  readonly type: 'tick';
  readonly workerIndex: number;
  readonly second: number;
  readonly ops: number;
  readonly errors: number;
  /** Latencies completed in this second, HdrHistogram compressed base64. */
  readonly histogram: string;
  readonly warmup: boolean;
  readonly partial: boolean;
}

export interface DoneMessage {
  readonly type: 'done';
  readonly workerIndex: number;
  readonly ops: number;
  readonly errors: number;
  readonly errorsByCode: Record<string, number>;
  /** `latency` plus the generator's named histograms, encoded. */
  readonly histograms: Record<string, string>;
  readonly counters: Record<string, number>;
  readonly clamped: number;
  readonly incomplete: number;
  readonly measuredMs: number;
}

export interface FailedMessage {
  readonly type: 'failed';
  readonly workerIndex: number;
  readonly error: WireError;
}

export type FromWorker = ReadyMessage | TickMessage | DoneMessage | FailedMessage;
