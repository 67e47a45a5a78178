/**
 * The worker-thread pool that runs a generator module under a load plan, so that generating
 * load is not the bottleneck (and not on the event loop of an in-process server).
 *
 * The plan is split across workers so their union is the plan: closed-loop lanes and counts
 * split evenly; the open-loop rate split evenly with each worker phase-shifted, so the sends
 * interleave into one evenly spaced schedule. Per-second ticks are combined once every worker
 * reported that second; histograms are merged from their encoded form.
 */
import { Worker } from 'node:worker_threads';
import { BenchCodes, BenchError } from './errors.js';
import { createLatencyHistogram, decodeHistogram, type Histogram } from './histogram.js';
import type { LoopPlan } from './loop.js';
import type { DoneMessage, FromWorker, TickMessage, ToWorker, WorkerInit } from './messages.js';
import type { LoadPlan, LoadResult, LoadSpec, ProgressSample } from './scenario.js';
import { splitEvenly } from './schedule.js';
import type { Target } from './target.js';

const WORKER = new URL('./worker.js', import.meta.url);
const DEFAULT_SETUP_TIMEOUT_MS = 60_000;
/** How far ahead of "now" the shared start line is put, so every worker sees it in the future. */
const START_LEAD_MS = 50;

/** Each worker's share of the plan. Workers beyond the closed-loop concurrency would idle: dropped. */
export function splitPlan(plan: LoadPlan): LoopPlan[] {
  const workers = plan.mode === 'closed' ? Math.min(plan.workers, plan.concurrency) : plan.workers;
  const lanes = splitEvenly(plan.mode === 'closed' ? plan.concurrency : Math.max(plan.maxInflight, workers), workers);
  const counts = plan.count === undefined ? undefined : splitEvenly(plan.count, workers);
  const rate = plan.ratePerSec ?? 0;
  return lanes.map((l, i) => ({
    mode: plan.mode,
    lanes: l,
    ratePerSec: plan.mode === 'open' ? rate / workers : 0,
    // Worker i sends global sends i, i + W, i + 2W, ...: offset by i global intervals.
    phaseMs: plan.mode === 'open' ? (i * 1000) / rate : 0,
    limit: counts === undefined ? Number.POSITIVE_INFINITY : (counts[i] as number),
    durationMs: plan.durationMs ?? Number.POSITIVE_INFINITY,
    warmupMs: plan.warmupMs,
    drainMs: plan.drainMs,
  }));
}

export interface PoolRun<P> {
  readonly spec: LoadSpec<P>;
  readonly plan: LoadPlan;
  readonly target: Target | undefined;
  readonly signal: AbortSignal;
  readonly onSecond: (sample: ProgressSample) => void;
}

interface SecondBucket {
  ops: number;
  errors: number;
  reports: number;
  warmup: boolean;
  partial: boolean;
  histogram: Histogram;
}

export async function runPool<P>(run: PoolRun<P>): Promise<LoadResult> {
  const shares = splitPlan(run.plan);
  const workers: Worker[] = [];
  const done: DoneMessage[] = [];
  const buckets = new Map<number, SecondBucket>();
  const perSecond: number[] = [];
  let nextSecond = 0;
  let ready = 0;

  const emitSeconds = (final: boolean): void => {
    // Seconds are emitted in order, each once all workers reported it (or at the very end).
    for (;;) {
      const b = buckets.get(nextSecond);
      if (b === undefined || (!final && b.reports < shares.length)) return;
      buckets.delete(nextSecond++);
      if (!b.warmup && !b.partial) perSecond.push(b.ops);
      run.onSecond({
        ops: b.ops,
        errors: b.errors,
        warmup: b.warmup,
        partial: b.partial,
        ...(b.histogram.totalCount > 0
          ? { p50Us: b.histogram.getValueAtPercentile(50), p99Us: b.histogram.getValueAtPercentile(99) }
          : {}),
      });
    }
  };
  const onTick = (m: TickMessage): void => {
    let b = buckets.get(m.second);
    if (b === undefined) {
      b = { ops: 0, errors: 0, reports: 0, warmup: m.warmup, partial: false, histogram: createLatencyHistogram() };
      buckets.set(m.second, b);
    }
    b.ops += m.ops;
    b.errors += m.errors;
    b.reports++;
    b.partial ||= m.partial;
    b.histogram.add(decodeHistogram(m.histogram));
    emitSeconds(false);
  };

  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: BenchError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(setupTimer);
        run.signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const stopAll = (): void => {
        for (const w of workers) w.postMessage({ type: 'stop' } satisfies ToWorker);
      };
      const onAbort = (): void => {
        if (ready < shares.length) finish(new BenchError(BenchCodes.HARD_CAP, 'stopped during generator setup'));
        else stopAll();
      };
      run.signal.addEventListener('abort', onAbort, { once: true });
      const setupTimeout = run.spec.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS;
      const setupTimer = setTimeout(
        () => finish(new BenchError(BenchCodes.GENERATOR_FAILED, `generator setup took longer than ${setupTimeout} ms`)),
        setupTimeout,
      );

      shares.forEach((plan, i) => {
        const init: WorkerInit = {
          generator: run.spec.generator.href,
          params: run.spec.params,
          target: run.target,
          workerIndex: i,
          workerCount: shares.length,
          plan,
        };
        // A generator's console.log must not reach stdout, which carries only the result JSON.
        const w = new Worker(WORKER, { workerData: init, stdout: true });
        w.stdout.pipe(process.stderr, { end: false });
        workers.push(w);
        w.on('message', (m: FromWorker) => {
          switch (m.type) {
            case 'ready':
              if (++ready === shares.length) {
                clearTimeout(setupTimer);
                const start: ToWorker = { type: 'start', startAtEpochMs: Date.now() + START_LEAD_MS };
                for (const x of workers) x.postMessage(start);
                if (run.signal.aborted) stopAll();
              }
              return;
            case 'tick':
              return onTick(m);
            case 'done':
              done.push(m);
              if (done.length === shares.length) finish();
              return;
            case 'failed':
              return finish(
                new BenchError(BenchCodes.GENERATOR_FAILED, `worker ${m.workerIndex}: ${m.error.code}: ${m.error.message}`),
              );
          }
        });
        w.on('error', (err) =>
          finish(new BenchError(BenchCodes.GENERATOR_FAILED, `worker ${i} crashed: ${err.message}`, { cause: err })),
        );
        w.on('exit', (code) => {
          if (!done.some((d) => d.workerIndex === i)) {
            finish(new BenchError(BenchCodes.GENERATOR_FAILED, `worker ${i} exited (code ${code}) before reporting`));
          }
        });
      });
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  emitSeconds(true);
  return combine(done, perSecond);
}

function combine(done: readonly DoneMessage[], perSecond: number[]): LoadResult {
  const latency = createLatencyHistogram();
  const histograms: Record<string, Histogram> = {};
  const errorsByCode: Record<string, number> = {};
  const counters: Record<string, number> = {};
  let ops = 0;
  let errors = 0;
  let clamped = 0;
  let measuredMs = 0;
  for (const d of done) {
    ops += d.ops;
    errors += d.errors;
    clamped += d.clamped;
    measuredMs = Math.max(measuredMs, d.measuredMs);
    for (const [k, v] of Object.entries(d.errorsByCode)) errorsByCode[k] = (errorsByCode[k] ?? 0) + v;
    for (const [k, v] of Object.entries(d.counters)) counters[k] = (counters[k] ?? 0) + v;
    for (const [name, enc] of Object.entries(d.histograms)) {
      const h = decodeHistogram(enc);
      if (name === 'latency') latency.add(h);
      else (histograms[name] ??= createLatencyHistogram()).add(h);
    }
  }
  return {
    ops,
    opsPerSec: measuredMs > 0 ? Math.round((ops / measuredMs) * 1000 * 10) / 10 : 0,
    errors,
    errorsByCode,
    latency,
    histograms,
    counters,
    perSecond,
    measuredMs: Math.round(measuredMs),
    workers: done.length,
    clamped,
  };
}
