/**
 * A load worker: imports the scenario's generator module, sets it up, waits for the shared
 * start line, runs the loop and reports ticks and totals (see messages.ts for the protocol).
 * Runs only as a worker thread started by pool.ts.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { BenchCodes, errorCode, errorMessage } from './errors.js';
import type { CreateGenerator, GeneratorInit, LoadGenerator } from './generator.js';
import { createLatencyHistogram, encodeHistogram, type Histogram } from './histogram.js';
import { runLoop } from './loop.js';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';

if (parentPort === null) throw new TypeError('bench/worker.js must run as a worker thread');
const port: MessagePort = parentPort;
const init = workerData as WorkerInit;
const post = (m: FromWorker): void => port.postMessage(m);
const abort = new AbortController();
const named = new Map<string, Histogram>();
const counters = new Map<string, number>();

async function main(): Promise<void> {
  let gen: LoadGenerator;
  try {
    const mod = (await import(init.generator)) as { createGenerator?: unknown };
    if (typeof mod.createGenerator !== 'function') {
      throw Object.assign(new Error(`${init.generator} has no exported function createGenerator`), {
        code: BenchCodes.GENERATOR_FAILED,
      });
    }
    const create = mod.createGenerator as CreateGenerator<unknown>;
    const genInit: GeneratorInit<unknown> = {
      workerIndex: init.workerIndex,
      workerCount: init.workerCount,
      lanes: init.plan.lanes,
      params: init.params,
      target: init.target,
      histogram(name) {
        let h = named.get(name);
        if (h === undefined) {
          if (name === 'latency') throw new TypeError('histogram name "latency" is the loop\'s own');
          h = createLatencyHistogram();
          named.set(name, h);
        }
        return h;
      },
      count(name, n = 1) {
        counters.set(name, (counters.get(name) ?? 0) + n);
      },
    };
    gen = await create(genInit);
  } catch (err) {
    post({ type: 'failed', workerIndex: init.workerIndex, error: { code: errorCode(err), message: errorMessage(err) } });
    return;
  }

  const startAtEpochMs = await new Promise<number>((resolve) => {
    port.on('message', (m: ToWorker) => {
      if (m.type === 'start') resolve(m.startAtEpochMs);
      else abort.abort();
    });
    post({ type: 'ready', workerIndex: init.workerIndex });
  });
  // Wall clock only to agree on the start line across threads; all timing is performance.now().
  const startMs = performance.now() + (startAtEpochMs - Date.now());
  await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, startMs - performance.now())));
  // Timers may fire up to a millisecond early against performance.now(): a call issued before the
  // start line would count as warm-up, and a --count run would then issue more than its count.
  while (performance.now() < startMs) await new Promise<void>((resolve) => setImmediate(resolve));

  const totals = await runLoop(gen, init.plan, {
    now: () => performance.now(),
    startMs,
    signal: abort.signal,
    onTick: (s) =>
      post({
        type: 'tick',
        workerIndex: init.workerIndex,
        second: s.second,
        ops: s.ops,
        errors: s.errors,
        histogram: encodeHistogram(s.histogram),
        warmup: s.warmup,
        partial: s.partial,
      }),
  });
  if (gen.close) {
    await Promise.race([
      gen.close().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, init.plan.drainMs).unref()),
    ]);
  }
  const histograms: Record<string, string> = { latency: encodeHistogram(totals.latency) };
  for (const [name, h] of named) histograms[name] = encodeHistogram(h);
  post({
    type: 'done',
    workerIndex: init.workerIndex,
    ops: totals.ops,
    errors: totals.errors,
    errorsByCode: Object.fromEntries(totals.errorsByCode),
    histograms,
    counters: Object.fromEntries(counters),
    clamped: totals.clamped,
    incomplete: totals.incomplete,
    measuredMs: totals.measuredMs,
  });
  port.close();
}

main().catch((err: unknown) => {
  post({ type: 'failed', workerIndex: init.workerIndex, error: { code: errorCode(err), message: errorMessage(err) } });
});
