import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLatencyHistogram, recordLatencyUs } from '../../bench/histogram.js';
import { buildResult, machineInfo, median, medianFigures, ratios, summaryLine, type RunRecord, type SideRun } from '../../bench/result.js';

function run(side: 'fleetgate' | 'peer', round: number, opsPerS: number, errors = 0): SideRun {
  const h = createLatencyHistogram();
  for (let v = 1; v <= 100; v++) recordLatencyUs(h, v * round);
  return {
    side,
    round,
    figures: { ops_per_s: opsPerS, p99_us: 100 * round, protocol: 'mqtt' },
    errors,
    errorsByCode: errors > 0 ? { ERR_MQTT_CLOSED: errors } : {},
    histograms: { publish: h },
    series: { throughput: [opsPerS, opsPerS] },
    server: side === 'peer' ? { source: 'pid 1', samples: 2, sample_errors: 0, figures: { cpu_percent: { min: 1, avg: 2, max: 3 } } } : undefined,
    durationMs: 1000,
  };
}

const record = (runs: SideRun[], peer?: 'aedes'): RunRecord => ({
  scenario: 'publish',
  parameters: { rate: 1000, rounds: 3 },
  machine: machineInfo(),
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:01:00.000Z',
  peer,
  runs,
});

describe('result', () => {
  it('takes medians per figure, numbers only', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.deepEqual(medianFigures([run('fleetgate', 1, 10), run('fleetgate', 2, 30), run('fleetgate', 3, 20)]), {
      ops_per_s: 20,
      p99_us: 200,
      protocol: 'mqtt',
    });
    assert.deepEqual(ratios({ a: 10, b: 1, s: 'x' }, { a: 4, b: 0, s: 'y' }), { a: 2.5, b: null });
  });

  it('has the documented shape without --vs', () => {
    const r = buildResult(record([run('fleetgate', 1, 100)]), false);
    assert.deepEqual(Object.keys(r), [
      'scenario', 'parameters', 'machine', 'started_at', 'finished_at', 'ops_per_s', 'p99_us', 'protocol', 'errors', 'errors_by_code',
    ]);
    assert.deepEqual(Object.keys(r.machine), ['cpus', 'model', 'memory_bytes', 'node', 'os']);
    assert.equal(r.errors, 0);
    assert.equal(JSON.parse(JSON.stringify(r)).ops_per_s, 100);
  });

  it('with --vs: per-round figures for both sides, medians, vs and ratio', () => {
    const runs = [1, 2, 3].flatMap((i) => [run('fleetgate', i, 100 * i), run('peer', i, 50 * i, i === 2 ? 1 : 0)]);
    const r = buildResult(record(runs, 'aedes'), false);
    assert.equal(r['ops_per_s'], 200);
    assert.deepEqual(r['vs'], {
      peer: 'aedes',
      ops_per_s: 100,
      p99_us: 200,
      protocol: 'mqtt',
      errors: 1,
      errors_by_code: { ERR_MQTT_CLOSED: 1 },
      server: { source: 'pid 1', samples: 6, sample_errors: 0, cpu_percent: { min: 1, avg: 2, max: 3 } },
    });
    assert.deepEqual(r['ratio'], { ops_per_s: 2, p99_us: 1 });
    const rounds = r['rounds'] as Array<Record<string, unknown>>;
    assert.equal(rounds.length, 3);
    assert.deepEqual(rounds[1], {
      round: 2,
      fleetgate: { ops_per_s: 200, p99_us: 200, protocol: 'mqtt', errors: 0, duration_ms: 1000 },
      peer: { ops_per_s: 100, p99_us: 200, protocol: 'mqtt', errors: 1, duration_ms: 1000 },
    });
    assert.equal(r['detail'], undefined);
    const detailed = buildResult(record(runs, 'aedes'), true);
    const detail = detailed['detail'] as { runs: Array<{ side: string; histograms: Record<string, { count: number }> }> };
    assert.equal(detail.runs.length, 6);
    assert.equal(detail.runs[0]?.histograms['publish']?.count, 100);
  });

  it('says so on the summary line when errors were counted', () => {
    const clean = buildResult(record([run('fleetgate', 1, 100)]), false);
    assert.equal(summaryLine(clean, ['ops_per_s', 'p99_us']), 'publish: ops_per_s 100, p99_us 100 us - no errors');
    const runs = [run('fleetgate', 1, 100, 2), run('peer', 1, 50, 1)];
    const dirty = buildResult(record(runs, 'aedes'), false);
    assert.equal(
      summaryLine(dirty, ['ops_per_s']),
      'publish fleetgate vs aedes: ops_per_s 100 vs 50 (x2) - WITH 3 ERRORS (ERR_MQTT_CLOSED 3)',
    );
  });

  it('reports a failure', () => {
    const r = buildResult({ ...record([]), failure: { code: 'ERR_BENCH_PEER_UNAVAILABLE', message: 'no mosquitto' } }, false);
    assert.deepEqual(r['failure'], { code: 'ERR_BENCH_PEER_UNAVAILABLE', message: 'no mosquitto' });
    assert.match(summaryLine(r, undefined), /FAILED: ERR_BENCH_PEER_UNAVAILABLE: no mosquitto$/);
  });
});
