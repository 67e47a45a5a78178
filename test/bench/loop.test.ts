import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadGenerator } from '../../bench/generator.js';
import { runLoop, type LoopPlan, type TickSample } from '../../bench/loop.js';
import { FakeTime } from './helpers.js';

const plan = (over: Partial<LoopPlan>): LoopPlan => ({
  mode: 'open',
  lanes: 1000,
  ratePerSec: 100,
  phaseMs: 0,
  limit: Number.POSITIVE_INFINITY,
  durationMs: 2000,
  warmupMs: 1000,
  drainMs: 1000,
  ...over,
});

async function run(p: LoopPlan, call: (time: FakeTime, i: number) => Promise<void>) {
  const time = new FakeTime();
  let i = 0;
  const gen: LoadGenerator = { call: () => call(time, i++) };
  const ticks: Array<Omit<TickSample, 'histogram'> & { count: number }> = [];
  const totals = await time.runUntilSettled(
    runLoop(gen, p, {
      now: time.now,
      startMs: 0,
      signal: new AbortController().signal,
      setTimer: time.setTimer,
      onTick: ({ histogram, ...rest }) => ticks.push({ ...rest, count: histogram.totalCount }),
    }),
  );
  return { totals, ticks, calls: i };
}

const after1ms = (time: FakeTime): Promise<void> => new Promise((r) => time.setTimer(r, 1));

describe('load loop', () => {
  it('open loop: warm-up unmeasured, one tick per second of the window', async () => {
    const { totals, ticks, calls } = await run(plan({}), after1ms);
    assert.equal(calls, 300); // 3 s at 100/s, sends at 0, 10, ..., 2990 ms
    assert.equal(totals.ops, 200);
    assert.equal(totals.latency.getValueAtPercentile(100), 1000);
    assert.equal(totals.measuredMs, 2000);
    assert.deepEqual(ticks, [
      { second: 0, ops: 0, errors: 0, warmup: true, partial: false, count: 0 },
      { second: 1, ops: 100, errors: 0, warmup: false, partial: false, count: 100 },
      { second: 2, ops: 100, errors: 0, warmup: false, partial: false, count: 100 },
    ]);
  });

  it('a fractional warm-up puts the short tick first, so the window starts on a tick', async () => {
    const { ticks } = await run(plan({ warmupMs: 500, durationMs: 1000 }), after1ms);
    assert.deepEqual(
      ticks.map((t) => [t.ops, t.warmup, t.partial]),
      [
        [0, true, false],
        [100, false, false],
      ],
    );
  });

  it('closed loop: exactly the count, lanes in parallel', async () => {
    const { totals, calls } = await run(plan({ mode: 'closed', lanes: 4, limit: 10, warmupMs: 0, durationMs: Number.POSITIVE_INFINITY }), after1ms);
    assert.equal(totals.ops, 10);
    assert.equal(calls, 10);
    assert.equal(totals.measuredMs, 3); // 4 + 4 + 2 calls of 1 ms each, in parallel lanes
  });

  it('counts rejections and synchronous throws by code', async () => {
    const { totals } = await run(plan({ limit: 4, warmupMs: 0 }), (_time, i) => {
      if (i === 0) throw Object.assign(new Error('sync'), { code: 'ERR_SYNC' });
      if (i === 1) return Promise.reject(new Error('no code'));
      return Promise.resolve();
    });
    assert.equal(totals.ops, 2);
    assert.deepEqual(Object.fromEntries(totals.errorsByCode), { ERR_SYNC: 1, ERR_BENCH_UNCODED: 1 });
  });

  it('calls that never settle count as incomplete after the drain grace', async () => {
    const { totals } = await run(plan({ limit: 3, warmupMs: 0, drainMs: 50 }), () => new Promise<void>(() => undefined));
    assert.equal(totals.ops, 0);
    assert.equal(totals.incomplete, 3);
    assert.deepEqual(Object.fromEntries(totals.errorsByCode), { ERR_BENCH_INCOMPLETE: 3 });
  });

  it('the open loop keeps at most `lanes` calls in flight', async () => {
    let inflight = 0;
    let peak = 0;
    const { totals } = await run(plan({ lanes: 3, limit: 20, warmupMs: 0 }), (time) => {
      peak = Math.max(peak, ++inflight);
      return new Promise<void>((r) =>
        time.setTimer(() => {
          inflight--;
          r();
        }, 100),
      );
    });
    assert.equal(totals.ops, 20);
    assert.equal(peak, 3);
  });
});
