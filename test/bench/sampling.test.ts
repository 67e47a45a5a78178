import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { parsePrometheusText, seriesValue } from '../../bench/sampling/prometheus.js';
import { parseProcStat, parseProcStatusRss } from '../../bench/sampling/proc.js';
import { Stat, startServerSampler } from '../../bench/sampling/sampler.js';

const METRICS = `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
process_resident_memory_bytes 52428800
fleetgate_event_loop_delay_p99_seconds{shard="0"} 0.0021
fleetgate_event_loop_delay_p99_seconds{shard="1"} 0.0034
fleetgate_mailbox_depth{shard="0",kind="device"} 10
fleetgate_mailbox_depth{shard="1",kind="device"} 32 1700000000000
weird{path="a\\"b\\\\c\\nd"} NaN
up +Inf
`;

describe('prometheus text', () => {
  it('parses samples with labels, escapes, timestamps and special values', () => {
    const s = parsePrometheusText(METRICS);
    assert.equal(s.length, 8);
    assert.deepEqual(s[0], { name: 'process_cpu_seconds_total', labels: {}, value: 12.5 });
    assert.deepEqual(s[5], { name: 'fleetgate_mailbox_depth', labels: { shard: '1', kind: 'device' }, value: 32 });
    assert.deepEqual(s[6]?.labels, { path: 'a"b\\c\nd' });
    assert.ok(Number.isNaN(s[6]?.value));
    assert.equal(s[7]?.value, Number.POSITIVE_INFINITY);
  });

  it('aggregates a series across label sets', () => {
    const s = parsePrometheusText(METRICS);
    assert.equal(seriesValue(s, 'fleetgate_mailbox_depth', 'sum'), 42);
    assert.equal(seriesValue(s, 'fleetgate_event_loop_delay_p99_seconds', 'max'), 0.0034);
    assert.equal(seriesValue(s, 'absent', 'max'), undefined);
  });
});

describe('/proc', () => {
  it('reads utime and stime past a command name with spaces and parentheses', () => {
    const stat = '1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 100 1000000 500 18446744073709551615';
    assert.deepEqual(parseProcStat(stat), { utimeTicks: 250, stimeTicks: 75 });
  });

  it('reads VmRSS in bytes', () => {
    assert.equal(parseProcStatusRss('Name:\tmosquitto\nVmRSS:\t    6144 kB\nThreads:\t1\n'), 6144 * 1024);
    assert.throws(() => parseProcStatusRss('Name: x\n'), /VmRSS/);
  });
});

describe('server sampler', () => {
  it('keeps min / avg / max', () => {
    const s = new Stat();
    for (const v of [3, 1, 2, Number.NaN]) s.add(v);
    assert.deepEqual(s.value(), { min: 1, avg: 2, max: 3 });
    assert.equal(new Stat().value(), undefined);
  });

  it('samples a pid (this process) at start and stop', async () => {
    const stats = await startServerSampler({ pid: process.pid }, 60_000).stop();
    assert.equal(stats.source, `pid ${process.pid}`);
    assert.equal(stats.samples, 2);
    assert.equal(stats.sample_errors, 0);
    assert.ok(stats.figures['rss_bytes'] !== undefined);
    assert.ok(stats.figures['cpu_percent'] !== undefined);
  });

  it('samples /metrics with CPU as a rate and the requested series', async () => {
    let cpu = 10;
    const server = createServer((_req, res) => {
      cpu += 1;
      res.end(METRICS.replace('12.5', String(cpu)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const addr = server.address();
      const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/metrics`;
      const stats = await startServerSampler(
        { metricsUrl: url, series: ['fleetgate_event_loop_delay_p99_seconds', { name: 'fleetgate_mailbox_depth', aggregate: 'sum' }] },
        60_000,
      ).stop();
      assert.equal(stats.samples, 2);
      assert.deepEqual(stats.figures['rss_bytes'], { min: 52428800, avg: 52428800, max: 52428800 });
      assert.deepEqual(stats.figures['fleetgate_mailbox_depth'], { min: 42, avg: 42, max: 42 });
      assert.deepEqual(stats.figures['fleetgate_event_loop_delay_p99_seconds'], { min: 0.0034, avg: 0.0034, max: 0.0034 });
      assert.ok((stats.figures['cpu_percent']?.max ?? 0) > 0);
    } finally {
      server.close();
    }
  });

  it('counts failed samples and says why', async () => {
    const stats = await startServerSampler({ metricsUrl: 'http://127.0.0.1:1/metrics' }, 60_000).stop();
    assert.equal(stats.samples, 0);
    assert.equal(stats.sample_errors, 2);
    assert.equal(typeof stats.last_error, 'string');
  });
});
