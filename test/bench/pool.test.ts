import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPool } from '../../bench/pool.js';
import type { LoadPlan, ProgressSample } from '../../bench/scenario.js';

const FIXED = new URL('./fixtures/fixed-generator.js', import.meta.url);

const plan = (over: Partial<LoadPlan>): LoadPlan => ({
  mode: 'closed',
  ratePerSec: undefined,
  concurrency: 4,
  maxInflight: 100,
  durationMs: undefined,
  count: 40,
  warmupMs: 0,
  workers: 2,
  drainMs: 1000,
  ...over,
});

describe('worker pool', () => {
  it('merges histograms and counters from every worker exactly', async () => {
    const seconds: ProgressSample[] = [];
    const r = await runPool({
      spec: { generator: FIXED, params: {} },
      plan: plan({}),
      target: undefined,
      signal: new AbortController().signal,
      onSecond: (s) => seconds.push(s),
    });
    assert.equal(r.workers, 2);
    assert.equal(r.ops, 40);
    assert.equal(r.errors, 0);
    assert.equal(r.latency.totalCount, 40);
    assert.deepEqual(r.counters, { calls: 40 });
    const fixed = r.histograms['fixed'];
    assert.ok(fixed !== undefined);
    assert.equal(fixed.totalCount, 40);
    // 20 calls per worker: 20 x 1000 us and 20 x 2000 us.
    assert.equal(fixed.getValueAtPercentile(50), 1000);
    assert.equal(fixed.getValueAtPercentile(100), 2000);
    assert.equal(seconds.reduce((a, s) => a + s.ops, 0), 40);
  });

  it('open loop across workers issues exactly the count', async () => {
    const r = await runPool({
      spec: { generator: FIXED, params: {} },
      plan: plan({ mode: 'open', ratePerSec: 2000, count: 30, workers: 2 }),
      target: undefined,
      signal: new AbortController().signal,
      onSecond: () => undefined,
    });
    assert.equal(r.ops, 30);
    assert.deepEqual(r.counters, { calls: 30 });
  });

  it('fails with a code when a generator setup throws', async () => {
    await assert.rejects(
      runPool({
        spec: { generator: FIXED, params: { failSetupOnWorker: 1 } },
        plan: plan({}),
        target: undefined,
        signal: new AbortController().signal,
        onSecond: () => undefined,
      }),
      { code: 'ERR_BENCH_GENERATOR_FAILED', message: 'worker 1: ERR_FIXTURE_SETUP: setup refused' },
    );
  });

  it('fails with a code when the module has no createGenerator', async () => {
    await assert.rejects(
      runPool({
        spec: { generator: new URL('./helpers.js', import.meta.url), params: {} },
        plan: plan({ workers: 1 }),
        target: undefined,
        signal: new AbortController().signal,
        onSecond: () => undefined,
      }),
      { code: 'ERR_BENCH_GENERATOR_FAILED' },
    );
  });
});
