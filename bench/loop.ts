/**
 * The load loops a worker runs around a generator's `call`.
 *
 * Closed loop: `lanes` callers each issue the next call when the previous settles; latency is
 * call-to-settle. Open loop: calls leave on a fixed schedule whatever the server does; latency
 * is measured from the intended send time, so a stalled server shows up as the queueing delay
 * it really caused (coordinated-omission correction). In the open loop `lanes` caps calls in
 * flight so a dead server cannot make the generator grow without bound; a capped send is late,
 * and its lateness is still counted because the clock starts at the intended time.
 *
 * Both loops stop issuing at the end of the window, at the op limit or on abort, then wait at
 * most `drainMs` for calls in flight; those still out are counted as ERR_BENCH_INCOMPLETE.
 */
import { BenchCodes, errorCode } from './errors.js';
import type { LoadGenerator } from './generator.js';
import { createLatencyHistogram, recordLatencyUs, type Histogram } from './histogram.js';
import { OpenLoopSchedule } from './schedule.js';

export interface LoopPlan {
  readonly mode: 'open' | 'closed';
  readonly lanes: number;
  /** Open loop: this worker's arrival rate, ops/s. */
  readonly ratePerSec: number;
  /** Open loop: offset of this worker's first send, so workers interleave evenly. */
  readonly phaseMs: number;
  /** Measured ops this worker may issue (Infinity when only the duration bounds it). */
  readonly limit: number;
  /** Measured window length (Infinity when only the count bounds it). */
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly drainMs: number;
}

export interface TickSample {
  /** 0-based index of the second, warm-up seconds first; the window starts on a boundary. */
  readonly second: number;
  readonly ops: number;
  readonly errors: number;
  /** Latencies of the ops that completed in this second. */
  readonly histogram: Histogram;
  readonly warmup: boolean;
  /** The last tick of the run covers less than a second. */
  readonly partial: boolean;
}

export interface LoopTotals {
  readonly ops: number;
  readonly errors: number;
  readonly errorsByCode: Map<string, number>;
  readonly latency: Histogram;
  /** Latencies beyond the histogram's 60 s range, clamped (a sign of a broken run). */
  readonly clamped: number;
  readonly incomplete: number;
  /** From the end of warm-up to the last completion (or the end of the window). */
  readonly measuredMs: number;
}

export interface LoopEnv {
  /** Monotonic milliseconds (performance.now in production). */
  now(): number;
  /** The loop's time origin on `now()`'s axis: the shared start line. */
  readonly startMs: number;
  readonly signal: AbortSignal;
  onTick(sample: TickSample): void;
  /** Timer on `now()`'s axis; returns a cancel function. Default: setTimeout. Injected by tests. */
  readonly setTimer?: (fn: () => void, ms: number) => () => void;
}

function realTimer(fn: () => void, ms: number): () => void {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
}

export function runLoop(gen: LoadGenerator, plan: LoopPlan, env: LoopEnv): Promise<LoopTotals> {
  return new LoopRun(gen, plan, env).run();
}

class LoopRun {
  readonly #gen: LoadGenerator;
  readonly #plan: LoopPlan;
  readonly #env: LoopEnv;
  readonly #measureFrom: number;
  /** Tick grid origin: whole seconds before the window, so a tick never straddles warm-up and window. */
  readonly #tickOrigin: number;
  readonly #end: number;
  readonly #latency = createLatencyHistogram();
  readonly #tickHist = createLatencyHistogram();
  readonly #errorsByCode = new Map<string, number>();
  #ops = 0;
  #errors = 0;
  #tickOps = 0;
  #tickErrors = 0;
  #clamped = 0;
  #issuedMeasured = 0;
  #inflight = 0;
  #lastCompletion = 0;
  #stopped = false;
  #stoppedAt = 0;
  #onStop: (() => void) | undefined;
  #cancelTick: (() => void) | undefined;
  readonly #setTimer: (fn: () => void, ms: number) => () => void;
  #second = 0;
  /** Wakes the issuing side when an in-flight slot frees or the run must stop. */
  #wake: (() => void) | undefined;

  constructor(gen: LoadGenerator, plan: LoopPlan, env: LoopEnv) {
    this.#gen = gen;
    this.#plan = plan;
    this.#env = env;
    this.#measureFrom = env.startMs + plan.warmupMs;
    this.#end = this.#measureFrom + plan.durationMs;
    this.#tickOrigin = this.#measureFrom - Math.ceil(plan.warmupMs / 1000) * 1000;
    this.#setTimer = env.setTimer ?? realTimer;
  }

  async run(): Promise<LoopTotals> {
    const onAbort = (): void => this.#stop();
    this.#env.signal.addEventListener('abort', onAbort, { once: true });
    this.#scheduleTick();
    const cancelEnd = Number.isFinite(this.#plan.durationMs)
      ? this.#setTimer(() => this.#stop(), Math.max(0, this.#end - this.#env.now()))
      : undefined;
    try {
      if (this.#env.signal.aborted) this.#stop();
      else if (this.#plan.mode === 'closed') this.#closed();
      else
        this.#open().catch((err: unknown) => {
          this.#countError(errorCode(err));
          this.#stop();
        });
      await new Promise<void>((resolve) => {
        if (this.#stopped) resolve();
        else this.#onStop = resolve;
      });
      const incomplete = await this.#drain();
      for (let i = 0; i < incomplete; i++) this.#countError(BenchCodes.INCOMPLETE);
      this.#flushTick(true);
      const last = Math.max(this.#lastCompletion, this.#stoppedAt);
      return {
        ops: this.#ops,
        errors: this.#errors,
        errorsByCode: this.#errorsByCode,
        latency: this.#latency,
        clamped: this.#clamped,
        incomplete,
        measuredMs: Math.max(0, last - this.#measureFrom),
      };
    } finally {
      cancelEnd?.();
      this.#cancelTick?.();
      this.#env.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Stops issuing (end of window, op limit reached, or abort); calls in flight may finish. */
  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stoppedAt = this.#env.now();
    const onStop = this.#onStop;
    this.#onStop = undefined;
    onStop?.();
    this.#wakeUp();
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** True when one more op may be issued at time `t`; false stops the run for good. */
  #mayIssue(t: number): boolean {
    if (this.#stopped) return false;
    if (t >= this.#end || (t >= this.#measureFrom && this.#issuedMeasured >= this.#plan.limit)) {
      this.#stop();
      return false;
    }
    return true;
  }

  #closed(): void {
    for (let lane = 0; lane < this.#plan.lanes; lane++) void this.#lane(lane);
  }

  async #lane(lane: number): Promise<void> {
    const now = (): number => this.#env.now();
    for (;;) {
      const t0 = now();
      if (!this.#mayIssue(t0)) return;
      const measured = t0 >= this.#measureFrom;
      if (measured) this.#issuedMeasured++;
      this.#inflight++;
      try {
        await this.#gen.call(lane);
        this.#complete(measured, t0, now());
      } catch (err) {
        this.#fail(err);
      }
      this.#wakeUp();
    }
  }

  async #open(): Promise<void> {
    const schedule = new OpenLoopSchedule(this.#env.startMs + this.#plan.phaseMs, this.#plan.ratePerSec);
    let k = 0;
    for (;;) {
      const t = this.#env.now();
      // Issue everything due by now; a late pump sends a burst, each send keeps its intended time.
      while (this.#inflight < this.#plan.lanes) {
        const intended = schedule.intendedAt(k);
        if (intended > t) break;
        if (!this.#mayIssue(intended)) return;
        k++;
        this.#send(intended);
      }
      const next = schedule.intendedAt(k);
      if (next >= this.#end) {
        // No send left in the window: the window still lasts to its end (the end timer stops
        // the run), so ops/s and the last second are measured over the whole window.
        while (!this.#stopped) await new Promise<void>((resolve) => (this.#wake = resolve));
        return;
      }
      if (!this.#mayIssue(next)) return;
      await new Promise<void>((resolve) => {
        if (this.#inflight >= this.#plan.lanes) {
          this.#wake = resolve; // a completion frees a slot
          return;
        }
        const cancel = this.#setTimer(() => this.#wakeUp(), Math.max(0, next - this.#env.now()));
        this.#wake = () => {
          cancel();
          resolve();
        };
      });
    }
  }

  #send(intended: number): void {
    const measured = intended >= this.#measureFrom;
    if (measured) this.#issuedMeasured++;
    this.#inflight++;
    let pending: Promise<void>;
    try {
      pending = this.#gen.call(0);
    } catch (err) {
      this.#fail(err); // a generator that throws instead of rejecting is still counted
      return;
    }
    pending.then(
      () => {
        this.#complete(measured, intended, this.#env.now());
        this.#wakeUp();
      },
      (err: unknown) => {
        this.#fail(err);
        this.#wakeUp();
      },
    );
  }

  #complete(measured: boolean, fromMs: number, doneMs: number): void {
    this.#inflight--;
    this.#lastCompletion = doneMs;
    if (!measured) return;
    const us = (doneMs - fromMs) * 1000;
    if (recordLatencyUs(this.#latency, us)) this.#clamped++;
    recordLatencyUs(this.#tickHist, us);
    this.#ops++;
    this.#tickOps++;
  }

  #fail(err: unknown): void {
    this.#inflight--;
    this.#lastCompletion = this.#env.now();
    // Warm-up failures count too: an error is never hidden by the phase it happened in.
    this.#countError(errorCode(err));
  }

  #countError(code: string): void {
    this.#errors++;
    this.#tickErrors++;
    this.#errorsByCode.set(code, (this.#errorsByCode.get(code) ?? 0) + 1);
  }

  async #drain(): Promise<number> {
    const deadline = this.#env.now() + this.#plan.drainMs;
    while (this.#inflight > 0) {
      const left = deadline - this.#env.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const cancel = this.#setTimer(() => this.#wakeUp(), left);
        this.#wake = () => {
          cancel();
          resolve();
        };
      });
    }
    return this.#inflight;
  }

  #scheduleTick(): void {
    const at = this.#tickOrigin + (this.#second + 1) * 1000;
    this.#cancelTick = this.#setTimer(() => {
      this.#flushTick();
      this.#scheduleTick();
    }, Math.max(0, at - this.#env.now()));
  }

  #flushTick(last = false): void {
    const second = this.#second++;
    // The last tick is partial unless its second ran to the end (the end of the window and the
    // tick fall on the same instant, and either timer may fire first).
    const partial = last && this.#env.now() < this.#tickOrigin + (second + 1) * 1000;
    this.#env.onTick({
      second,
      ops: this.#tickOps,
      errors: this.#tickErrors,
      histogram: this.#tickHist,
      warmup: this.#tickOrigin + (second + 1) * 1000 <= this.#measureFrom,
      partial,
    });
    this.#tickOps = 0;
    this.#tickErrors = 0;
    this.#tickHist.reset();
  }
}
