import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OpenLoopSchedule, splitEvenly, workerSchedule } from '../../bench/schedule.js';
import { splitPlan } from '../../bench/pool.js';
import type { LoadPlan } from '../../bench/scenario.js';

describe('open-loop schedule', () => {
  it('places send k at start + k / rate', () => {
    const s = new OpenLoopSchedule(1000, 200);
    assert.equal(s.intervalMs, 5);
    assert.equal(s.intendedAt(0), 1000);
    assert.equal(s.intendedAt(3), 1015);
    assert.equal(s.intendedAt(1_000_000), 1000 + 5_000_000);
  });

  it('has rate x window intended sends in any window', () => {
    const s = new OpenLoopSchedule(0, 1000);
    assert.equal(s.countIn(0, 1000), 1000);
    assert.equal(s.countIn(250, 750), 500);
    assert.equal(s.countIn(0.5, 10.5), 10);
    assert.equal(s.countIn(5000, 6000), 1000);
    assert.equal(s.countIn(10, 10), 0);
  });

  it('counts due sends, including the one exactly at t, and caps at the limit', () => {
    const s = new OpenLoopSchedule(100, 10, 25);
    assert.equal(s.dueBy(99.9), 0);
    assert.equal(s.dueBy(100), 1);
    assert.equal(s.dueBy(199.9), 1);
    assert.equal(s.dueBy(200), 2);
    assert.equal(s.dueBy(1_000_000), 25);
    assert.equal(s.dueBefore(200), 1);
  });

  it('does not drift: a million sends later the schedule is still on the grid', () => {
    const s = new OpenLoopSchedule(0, 3);
    assert.equal(s.dueBy(s.intendedAt(3_000_000)), 3_000_001);
  });

  it('refuses a rate that is not positive', () => {
    assert.throws(() => new OpenLoopSchedule(0, 0), TypeError);
  });

  it('splits across workers so the union is the global schedule', () => {
    const global = new OpenLoopSchedule(0, 1000);
    const workers = [0, 1, 2].map((i) => workerSchedule(0, 1000, 3, i, 100));
    const union = workers.flatMap((w) => Array.from({ length: w.limit }, (_, k) => w.intendedAt(k))).sort((a, b) => a - b);
    assert.equal(union.length, 100);
    union.forEach((t, g) => assert.ok(Math.abs(t - global.intendedAt(g)) < 1e-9, `send ${g}`));
    assert.deepEqual(workers.map((w) => w.limit), [34, 33, 33]);
  });
});

describe('splitting a plan', () => {
  const base: LoadPlan = {
    mode: 'closed', ratePerSec: undefined, concurrency: 10, maxInflight: 100, durationMs: undefined,
    count: 101, warmupMs: 0, workers: 4, drainMs: 5000,
  };

  it('splits integers evenly', () => {
    assert.deepEqual(splitEvenly(10, 4), [3, 3, 2, 2]);
    assert.deepEqual(splitEvenly(0, 2), [0, 0]);
    assert.throws(() => splitEvenly(1, 0), TypeError);
  });

  it('closed loop: lanes and counts split, no more workers than lanes', () => {
    const shares = splitPlan(base);
    assert.deepEqual(shares.map((s) => s.lanes), [3, 3, 2, 2]);
    assert.deepEqual(shares.map((s) => s.limit), [26, 25, 25, 25]);
    assert.equal(splitPlan({ ...base, concurrency: 2 }).length, 2);
  });

  it('open loop: rate split with phase offsets, in-flight cap split', () => {
    const shares = splitPlan({ ...base, mode: 'open', ratePerSec: 1000, count: undefined, durationMs: 5000 });
    assert.deepEqual(shares.map((s) => s.ratePerSec), [250, 250, 250, 250]);
    assert.deepEqual(shares.map((s) => s.phaseMs), [0, 1, 2, 3]);
    assert.deepEqual(shares.map((s) => s.lanes), [25, 25, 25, 25]);
    assert.ok(shares.every((s) => s.limit === Number.POSITIVE_INFINITY && s.durationMs === 5000));
  });
});
