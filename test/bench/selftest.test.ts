import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runBenchCli } from '../../bench/cli.js';
import { captureIo } from './helpers.js';

async function bench(argv: string[]) {
  const io = captureIo();
  const code = await runBenchCli(argv, io);
  const last = io.out.at(-1);
  assert.ok(last !== undefined, 'something on stdout');
  return { code, io, json: JSON.parse(last) as Record<string, unknown> };
}

const KEYS = ['scenario', 'parameters', 'machine', 'started_at', 'finished_at', 'ops', 'ops_per_s', 'mean_us', 'p50_us', 'p90_us', 'p99_us', 'p999_us', 'max_us', 'injected_failures', 'workers', 'clamped', 'errors', 'errors_by_code'];

describe('selftest through runBenchCli', () => {
  it('closed loop: the last stdout line is the result JSON', async () => {
    const { code, io, json } = await bench(['selftest', '--count', '20', '--warmup', '0', '--workers', '2', '--concurrency', '4', '--delay-ms', '0']);
    assert.equal(code, 0);
    assert.equal(io.out.length, 1);
    assert.deepEqual(Object.keys(json), KEYS);
    assert.equal(json['scenario'], 'selftest');
    assert.equal(json['ops'], 20);
    assert.equal(json['errors'], 0);
    assert.equal(json['workers'], 2);
    assert.equal((json['parameters'] as Record<string, unknown>)['mode'], 'closed');
    assert.deepEqual(Object.keys(json['machine'] as object), ['cpus', 'model', 'memory_bytes', 'node', 'os']);
    assert.match(io.err.join('\n'), /^\[selftest fleetgate\] 1s /m);
    assert.match(io.err.at(-1) ?? '', /^selftest: ops_per_s .* - no errors$/);
  });

  it('open loop', async () => {
    const { code, json } = await bench(['selftest', '--rate', '1000', '--count', '20', '--warmup', '0', '--workers', '1', '--quiet']);
    assert.equal(code, 0);
    assert.equal(json['ops'], 20);
    assert.equal((json['parameters'] as Record<string, unknown>)['mode'], 'open');
  });

  it('counts injected failures, says so, exits 1', async () => {
    const { code, io, json } = await bench(['selftest', '--count', '20', '--fail-rate', '0.25', '--warmup', '0', '--workers', '1', '--concurrency', '1', '--quiet']);
    assert.equal(code, 1);
    assert.equal(json['errors'], 5);
    assert.equal(json['ops'], 15);
    assert.deepEqual(json['errors_by_code'], { ERR_SELFTEST_INJECTED: 5 });
    assert.match(io.err.at(-1) ?? '', / - WITH 5 ERRORS \(ERR_SELFTEST_INJECTED 5\)$/);
  });

  it('stops at the hard cap and reports it', async () => {
    const { code, json } = await bench(['selftest', '--duration', '60', '--max-time', '0.3', '--warmup', '0', '--workers', '1', '--quiet']);
    assert.equal(code, 1);
    assert.deepEqual(json['failure'], { code: 'ERR_BENCH_HARD_CAP', message: 'stopped at the hard cap of 0.3 s; figures are partial' });
  });

  it('--out writes the three files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleetgate-bench-out-'));
    try {
      const { code } = await bench(['selftest', '--count', '10', '--warmup', '0', '--workers', '1', '--quiet', '--out', dir]);
      assert.equal(code, 0);
      assert.deepEqual((await readdir(dir)).sort(), ['report.html', 'result.json', 'summary.md']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('stdout of a real process', () => {
  it('carries only the result JSON, even when a generator prints', async () => {
    const { spawnSync } = await import('node:child_process');
    const cli = new URL('./fixtures/noisy-cli.js', import.meta.url);
    const r = spawnSync(process.execPath, [cli.pathname, 'noisy', '--count', '5', '--warmup', '0', '--workers', '2'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, r.stdout);
    assert.equal((JSON.parse(lines[0] ?? '') as Record<string, unknown>)['ops'], 5);
    assert.match(r.stderr, /noise from a worker/);
    assert.match(r.stderr, /^noisy: ops 5, /m);
  });
});
